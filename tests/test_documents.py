"""Documents an office can file (issue 16, issue 13 item 4), read back with python-docx.

Every generated .docx is opened and checked for A4, the standard's margins, PAGE fields
in the footers (odd and even), the embedded map and photos, and the contact rule per
role (full and audited for a role that may reveal, masked for everyone else). The
briefing's PDF is made by LibreOffice and rendered to PNG with pdftoppm.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date, datetime

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import audit, db
from data.auth import Account
from data.documents import maps as static_maps
from data.documents.briefing import briefing_docx, consequences, year_earlier_gaps
from data.documents.case_form import case_form_document
from data.documents.numbering import number_for, township_short
from data.documents.numbers import num, pct
from data.documents.official import OfficialDocument, load_template
from data.documents.parking import proposal_document
from data.queries import complaint_months
from data.queries import parking as pq
from data.schema import CasePhoto, EnforcementCase, ParkingResource, Township
from data.scope import COUNTY, Scope
from policy import parking as rules
from tests.conftest import skip_or_fail

MONTH = None  # the demo's last month, set by the fixture


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo county with its photos in a private folder; yields the engine."""
    from data.demo import build_demo

    folder = tmp_path_factory.mktemp("documents")
    old = {k: os.environ.get(k) for k in ("PHOTOS_DIR", "MAP_CACHE_DIR")}
    os.environ["PHOTOS_DIR"] = str(folder / "photos")
    os.environ["MAP_CACHE_DIR"] = str(folder / "maps")
    engine = db.make_engine(f"sqlite:///{folder / 'demo.sqlite'}")
    db.migrate(engine)
    build_demo(engine, seed=7, compounds=300, complaints=6000)
    yield engine
    engine.dispose()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def account(role: str, township_id: int | None = None, **kw) -> Account:
    return Account(id=99, username=f"t_{role}", display_name=role, role=role, township_id=township_id, **kw)


def read(data: bytes) -> Document:
    return Document(io.BytesIO(data))


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def assert_filed_layout(doc) -> None:
    """A4, GB/T 9704 margins, and a PAGE field in the odd and the even footer of every section."""
    for section in doc.sections:  # portrait, or landscape for a wide attachment table: A4 either way
        assert sorted((round(section.page_width.mm), round(section.page_height.mm))) == [210, 297]
        assert (section.orientation == 1) == (section.page_width > section.page_height)
        assert [round(getattr(section, f"{side}_margin").mm) for side in ("top", "bottom", "left", "right")] \
            == [37, 35, 28, 26]
        for footer in (section.footer, section.even_page_footer):
            xml = footer._element.xml
            assert "PAGE" in "".join(footer._element.itertext()) or " PAGE " in xml
            assert "w:fldChar" in xml and "— " in "".join(p.text for p in footer.paragraphs)
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = doc.sections[0].footer.paragraphs[0], doc.sections[0].even_page_footer.paragraphs[0]
    assert (odd.alignment, even.alignment) == (2, 0)  # odd pages right, even pages left


def audit_reveals(engine, target: str) -> int:
    log = audit.entries(engine, actions=["reveal"])
    return int((log["target"] == target).sum())


# --------------------------------------------------------------------------- numbers as people write them
@pytest.mark.parametrize("value, unit, expected", [
    (500.0, "米", "500 米"), (500, "米", "500 米"), (1268, "辆", "1,268 辆"), (1268.0, "", "1,268"),
    (243.96, "米", "244 米"), (0.5, "", "0.5"), (1.25, "", "1.3"), (-0.0, "", "0"), (None, "件", "未填报"),
    (float("nan"), "", "未填报"), (1234567, "", "1,234,567"),
])
def test_num(value, unit, expected):
    assert num(value, unit) == expected


@pytest.mark.parametrize("value, signed, expected", [
    (0.242, False, "24.2%"), (0.30, False, "30%"), (-0.178, True, "-17.8%"), (0.05, True, "+5%"),
    (None, False, "未填报"),
])
def test_pct(value, signed, expected):
    assert pct(value, signed=signed) == expected


@pytest.mark.parametrize("name, short", [("金乡街道", "金乡街办"), ("胡集镇", "胡集政"), ("羊山镇", "羊山政")])
def test_township_short(name, short):
    assert township_short(name) == short


@pytest.mark.parametrize("value, expected", [
    ("reminder", ["工作提醒"]), ("none", []), (None, []),
    (["public_commitment", "collective_talk"], ["党（工）委书记公开承诺", "县专班集中谈话"]),
])
def test_consequences_read_one_action_or_a_list(value, expected):
    assert consequences(value) == expected


# --------------------------------------------------------------------------- the document layer
def test_official_document_layout_and_attachment(tmp_path):
    doc = OfficialDocument(kind="briefing", issuer="金乡县住房和城乡建设局", title="关于测试的通知",
                           dated=date(2026, 10, 31), number="金住建〔2026〕3号", addressees=["各镇街"])
    doc.para("正文。")
    doc.attach("长表", pd.DataFrame({"小区": [f"小区{i}" for i in range(60)], "户数": range(60)}))
    data = doc.save()
    d = read(data)
    assert_filed_layout(d)
    text = all_text(d)
    assert "金乡县住房和城乡建设局文件" in text and "金住建〔2026〕3号" in text and "各镇街：" in text
    assert "附件：长表" in text and "2026年10月31日" in text and "印发" in text
    mark = next(p for p in d.paragraphs if p.text.endswith("文件"))
    assert d.styles["公文-发文机关标志"].font.color.rgb == (0xFF, 0x00, 0x00) and mark.style.name == "公文-发文机关标志"
    assert d.styles["公文-标题"].font.size.pt == 22 and d.styles["公文-正文"].font.size.pt == 16
    assert d.tables[0].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats on each page
    assert d.core_properties.created.replace(tzinfo=None) == datetime(2026, 10, 31)
    twin = OfficialDocument(kind="briefing", issuer="金乡县住房和城乡建设局", title="关于测试的通知",
                            dated=date(2026, 10, 31), number="金住建〔2026〕3号", addressees=["各镇街"])
    twin.para("正文。")
    twin.attach("长表", pd.DataFrame({"小区": [f"小区{i}" for i in range(60)], "户数": range(60)}))
    assert twin.save() == data  # no time stamps anywhere: the same inputs, the same bytes


def test_templates_are_files_an_office_can_restyle():
    for kind in ("briefing", "parking", "case_form"):
        doc = load_template(kind)
        assert "公文-正文" in [s.name for s in doc.styles]
        assert round(doc.sections[0].page_width.mm) == 210


def test_numbers_run_per_office_kind_and_year_and_stay_with_their_subject(demo):
    kw = dict(kind="notice", office="金乡县住房和城乡建设局", pattern="金住建〔{year}〕{n}号", year=2026)
    first = number_for(demo, subject="notice:a", actor="t", **kw)
    second = number_for(demo, subject="notice:b", actor="t", **kw)
    assert (first, second) == ("金住建〔2026〕1号", "金住建〔2026〕2号")
    assert number_for(demo, subject="notice:a", actor="t", **kw) == first  # made again: same number
    assert number_for(demo, subject="notice:c", actor=None, **kw) is None  # nobody signed in: no number
    assert number_for(demo, subject="notice:d", actor="t", **{**kw, "year": 2027}) == "金住建〔2027〕1号"


# --------------------------------------------------------------------------- static maps
def test_static_map_renders_png_svg_pdf_and_caches_by_inputs(demo):
    from data.documents.mapdata import heat_map, yoy_map
    from data.queries.overview import township_table
    from data.scope import Period

    month = complaint_months(demo)[-1]
    m = heat_map(demo, COUNTY, Period.months(month, month))
    assert m.synthetic and any(layer.kind == "polygons" for layer in m.layers)
    static_maps.clear_memory()
    before = dict(static_maps.stats)
    png = static_maps.render(m, "png", cache=False)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert static_maps.render(m, "svg", cache=False).lstrip().startswith(b"<?xml")
    assert static_maps.render(m, "pdf", cache=False)[:5] == b"%PDF-"
    static_maps.render(m, "png")
    static_maps.render(m, "png")
    assert static_maps.stats["hits"] >= before["hits"] + 1
    towns = township_table(demo, COUNTY, Period.months(month, month))
    other = yoy_map(demo, COUNTY, towns)
    assert other.key("png", 200) != m.key("png", 200)
    changed = yoy_map(demo, COUNTY, towns.assign(yoy_pct=towns["yoy_pct"].fillna(0) + 0.5))
    assert changed.key("png", 200) != other.key("png", 200)  # different values, another cache entry
    assert static_maps.cjk_font() is not None  # fonts-noto-cjk on the test machine
    with pytest.raises(ValueError):
        static_maps.render(m, "gif")


# --------------------------------------------------------------------------- 呈报表
def _case_with_photos(engine) -> tuple[int, int]:
    with Session(engine) as s:
        case_id = s.scalar(select(CasePhoto.case_id).join(EnforcementCase, EnforcementCase.id == CasePhoto.case_id)
                           .where(EnforcementCase.reporter_phone.is_not(None)).limit(1))
        case = s.get(EnforcementCase, case_id)
        return case_id, case.township_id


@pytest.mark.parametrize("role, own_township, full", [
    ("housing", False, True),        # 住建局 may reveal, county-wide
    ("township", True, True),        # its own township's case
    ("leader", False, False),
    ("community", True, False),
    ("inspector", False, False),     # an inspector on another township's case (issue 13 item 4)
    ("admin", False, False),
    (None, False, False),            # DASHBOARD_LOGIN=off: nobody signed in
])
def test_case_form_contacts_by_role_with_map_and_photos(demo, role, own_township, full):
    case_id, town = _case_with_photos(demo)
    with Session(demo) as s:
        case = s.get(EnforcementCase, case_id)
        phone = case.reporter_phone
        photos = len(s.scalars(select(CasePhoto.id).where(CasePhoto.case_id == case_id)).all())
    who = None if role is None else account(role, town if own_township else None,
                                            community_id=1 if role == "community" else None)
    scope = COUNTY if who is None or role not in ("township", "community") else Scope(town)
    before = audit_reveals(demo, f"enforcement_case:{case_id}")
    doc = read(case_form_document(demo, scope, case_id, account=who, exported_by="测试"))
    assert_filed_layout(doc)
    text = all_text(doc)
    digits = "".join(ch for ch in phone if ch.isdigit())
    assert (digits in text.replace("-", "")) is full
    if not full:
        assert "****" in text and "隐去部分数字" in text
    assert audit_reveals(demo, f"enforcement_case:{case_id}") == before + (1 if full else 0)
    assert len(doc.inline_shapes) == photos + 1  # the location map and every photo
    assert "附图：违法违规位置图" in text and "拍摄时间" in text


# --------------------------------------------------------------------------- 错时停车方案
@pytest.fixture(scope="module")
def proposal(demo):
    with Session(demo) as s:
        tid, name = s.execute(select(Township.id, Township.name).where(Township.name == "金乡街道")).first()
    scope = Scope(tid)
    d, r = pq.demand(demo, scope), pq.resources(demo, scope)
    compounds, offers = pq.planning_inputs(d, r)
    result = rules.plan(compounds, offers, walk_limit_m=500, detour=1.3, night=("19:00", "07:30"))
    content = pq.proposal_content(name, d, r, result)
    pid = pq.save_proposal(demo, scope, tid, content, at=datetime(2026, 9, 1, 9))
    return pid, tid


@pytest.mark.parametrize("role, own, full", [
    ("township", True, True), ("housing", False, True), ("leader", False, False), ("community", True, False),
    (None, False, False),
])
def test_parking_proposal_is_ready_to_file(demo, proposal, role, own, full):
    pid, tid = proposal
    who = None if role is None else account(role, tid if own else None,
                                            community_id=1 if role == "community" else None)
    scope = Scope(tid) if role in ("township", "community") else COUNTY
    before = audit_reveals(demo, f"parking_proposal:{pid}")
    data = proposal_document(demo, scope, pid, account=who)
    doc = read(data)
    assert_filed_layout(doc)
    text = all_text(doc)
    assert "县住房和城乡建设局、县综合行政执法局：" in text  # 主送机关 from the settings
    assert "上限 500 米" in text and "500.0" not in text
    assert len(doc.inline_shapes) == 1  # the assignments map
    assert "附件：1. 共享停车资源及联系方式" in text and "车辆安排明细" in text
    body_tables = len(doc.tables)
    assert body_tables >= 2
    with Session(demo) as s:
        contacts = [c for c in s.scalars(select(ParkingResource.contact).where(ParkingResource.township_id == tid))
                    if c and any(ch.isdigit() for ch in c)]
    mobiles = ["".join(ch for ch in c if ch.isdigit()) for c in contacts if "1" in c]
    shown = all_text(doc)
    if full:
        assert any(m in shown.replace("-", "").replace(" ", "") for m in mobiles)
    else:
        assert "****" in shown
    assert audit_reveals(demo, f"parking_proposal:{pid}") == before + (1 if full else 0)
    if role == "township":  # the township takes the number; it stays with the proposal
        assert "金乡街办发〔2026〕" in text
        again = all_text(read(proposal_document(demo, scope, pid, account=who)))
        number = next(line for line in text.split("\n") if "金乡街办发" in line)
        assert number in again


def test_parking_map_draws_walking_routes_when_given(demo, proposal):
    from shapely.geometry import LineString

    from data.documents.mapdata import parking_map

    pid, tid = proposal
    p = pq.proposal(demo, Scope(tid), pid)
    straight = parking_map(demo, p)
    assert any(label == "车辆安排（直线）" for _, _, label in straight.entries)
    routes = pd.Series([LineString([(116.30, 35.07), (116.301, 35.071), (116.302, 35.071)])])
    walked = parking_map(demo, p, routes=routes)
    assert any(label == "步行路线" for _, _, label in walked.entries)
    assert walked.key("png", 200) != straight.key("png", 200)
    assert static_maps.render(walked, "svg")[:5] in (b"<?xml", b"<svg ")


def test_hostile_text_is_plain_text_in_the_paper():
    doc = OfficialDocument(kind="briefing", issuer="金乡县", title="测试", dated=date(2026, 10, 31))
    doc.para("幸福<script>alert(1)</script>小区\x0b**粗体**[链接](http://x) =cmd|' /C calc'!A0")
    doc.attach("表", pd.DataFrame({"小区": ["=HYPERLINK(\"http://x\")\x00"]}))
    text = all_text(read(doc.save()))
    assert "幸福<script>alert(1)</script>小区**粗体**[链接](http://x)" in text and "\x0b" not in text
    assert '=HYPERLINK("http://x")' in text  # Word shows text; it runs nothing


# --------------------------------------------------------------------------- 月度通报
def test_briefing_is_complete_deterministic_and_audited(demo):
    month = complaint_months(demo)[-1]
    cli = "cli:test"
    made = briefing_docx(demo, COUNTY, month, actor=cli)
    doc = read(made.docx)
    assert_filed_layout(doc)
    text = all_text(doc)
    y, m = month.split("-")
    for expected in (f"关于{int(y)}年{int(m)}月", "总体情况和目标进度", "镇街问责情况", "投诉排名", "红黑榜",
                     "问责事项应落实", "问责事项落实情况（分镇街）", "执法联动案件", "错时停车方案", "双随机抽查", "附件：", "印发",
                     "演示数据（合成）"):
        assert expected in text, expected
    assert len(doc.inline_shapes) == 2  # heat map and township choropleth
    assert made.number and made.number in text
    again = briefing_docx(demo, COUNTY, month, actor=cli)
    assert again.docx == made.docx  # same month and data: the same file, number included
    log = audit.entries(demo, actions=["export"])
    assert (log["target"] == f"月度通报_{month}.docx").sum() == 2


def test_briefing_says_when_year_earlier_data_is_incomplete(demo):
    months = complaint_months(demo)
    early = months[min(12, len(months) - 1)]
    assert year_earlier_gaps(demo, early)
    text = all_text(read(briefing_docx(demo, COUNTY, early, log=False).docx))
    assert "上年同期数据不完整" in text or "上年同期无数据" in text


def test_briefing_for_one_township_and_the_cli(demo, tmp_path):
    from data.__main__ import main

    month = complaint_months(demo)[-1]
    with Session(demo) as s:
        tid = s.scalar(select(Township.id).where(Township.name == "金乡街道"))
    out = tmp_path / "通报"
    assert main(["briefing", month, "--township", str(tid), "-o", str(out), "--no-pdf",
                 "--maps", str(tmp_path / "maps"), "--db", str(demo.url)]) == 0
    text = all_text(Document(str(tmp_path / "通报.docx")))
    assert sorted(p.suffix for p in (tmp_path / "maps").iterdir()) == [".pdf", ".pdf", ".png", ".png", ".svg", ".svg"]
    assert "金乡街道物业管理工作情况" in text


def test_briefing_pdf_renders_to_png(demo, tmp_path):
    from data.documents.pdf import docx_to_pdf, soffice

    if soffice() is None or shutil.which("pdftoppm") is None:
        skip_or_fail("LibreOffice (soffice) or pdftoppm is not installed")
    month = complaint_months(demo)[-1]
    pdf = docx_to_pdf(briefing_docx(demo, COUNTY, month, log=False).docx)
    assert pdf[:5] == b"%PDF-"
    (tmp_path / "b.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / "b.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    from PIL import Image

    with Image.open(pages[0]) as first:
        assert abs(first.width / first.height - 210 / 297) < 0.01  # A4
        import numpy as np

        rgb = np.asarray(first.convert("RGB")).astype(int)
        red = int(((rgb[..., 0] > 200) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).sum())
        assert red > 50  # the red 发文机关标志 and line
