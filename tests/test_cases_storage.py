"""Enforcement cases on SQLite and PostgreSQL: steps, transfers, duty routing, photos, overdue, form export."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.auth import Account
from data.documents.case_form import case_form_docx
from data.photos import PhotoError
from data.queries import cases as cq
from data.queries.duties import set_duty
from data.schema import CaseStep, Community, Compound, PropertyCompany, Township
from data.scope import COUNTY, Scope
from policy.cases import StepError
from tests.test_inspection_photos import jpeg_with_gps

T0 = datetime(2026, 9, 1, 9, 0)
HOUSING = Account(id=1, username="housing", display_name="住建局", role="housing")


@pytest.fixture
def engine(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOS_DIR", str(tmp_path / "photos"))
    return engine


@pytest.fixture
def places(engine):
    out = {}
    with Session(engine) as s, s.begin():
        co = PropertyCompany(name="金乡物业")
        s.add(co)
        s.flush()
        for k, name in enumerate(("金乡街道", "鱼山街道")):
            t = Township(code=f"T{k}", name=name, kind="街道")
            s.add(t)
            s.flush()
            c = Community(code=f"C{k}", township_id=t.id, name=f"{name}社区")
            s.add(c)
            s.flush()
            cp = Compound(code=f"X{k}", name=f"{name}花园<b>", address="金乡县某路1号", township_id=t.id,
                          community_id=c.id, households=200, compound_class="商品房",
                          management_mode="专业化物业", company_id=co.id)
            s.add(cp)
            s.flush()
            out[name] = (t.id, cp.id)
    return out


def walk(engine, case_id, upto, start=T0, frm="拍照"):
    steps = ["拍照", "制止", "呈报", "处理", "结案"]
    for k, step in enumerate(steps[steps.index(frm): steps.index(upto) + 1], start=1):
        form = {"reporting_unit": "金乡物业", "reporter": "王伟", "reporter_phone": "13812345678",
                "reporting_opinion": "当事人拒不改正，请依法查处"} if step == "呈报" else None
        if step == "处理":
            form = {"receiver": "李娜", "receiver_phone": "0537-8721234", "receiving_opinion": "已立案调查"}
        if step == "拍照":  # 拍照 means a photo is attached
            cq.add_case_photo(engine, COUNTY, case_id, jpeg_with_gps(), "现场.jpg")
        cq.advance_case(engine, COUNTY, case_id, step, actor="某人", note=f"{step}说明", at=start + timedelta(hours=k),
                        form=form)


def test_case_goes_through_six_steps_in_order(engine, places):
    _, cid = places["金乡街道"]
    case_id = cq.open_case(engine, COUNTY, category="违法建设", details="一楼私搭彩钢棚约20平方米",
                           actor="网格员", compound_id=cid, at=T0)
    d = cq.case_detail(engine, COUNTY, case_id)
    assert d.case["department"] == "综合行政执法局" and d.case["step"] == "发现" and d.next_step == "拍照"
    assert d.case["case_no"] == "LD-2026-0001"
    with pytest.raises(StepError, match="不能跳过环节"):
        cq.advance_case(engine, COUNTY, case_id, "呈报", actor="x", at=T0 + timedelta(hours=1))
    walk(engine, case_id, "制止")
    with pytest.raises(StepError, match="呈报单位"):  # the form's reporting unit is required at 呈报
        cq.advance_case(engine, COUNTY, case_id, "呈报", actor="x", at=T0 + timedelta(hours=9))
    with pytest.raises(StepError, match="不能早于上一环节"):
        cq.advance_case(engine, COUNTY, case_id, "呈报", actor="x", at=T0, form={"reporting_unit": "u"})
    walk(engine, case_id, "结案", start=T0 + timedelta(hours=10), frm="呈报")
    d = cq.case_detail(engine, COUNTY, case_id)
    assert d.case["step"] == "结案" and d.case["closed_at"] is not None and d.next_step is None
    assert list(d.steps["step"]) == ["发现", "拍照", "制止", "呈报", "处理", "结案"]
    assert d.case["receiving_unit"] == "综合行政执法局" and d.case["reporter_phone"] == "138****5678"
    with pytest.raises(StepError, match="已结案"):
        cq.advance_case(engine, COUNTY, case_id, "结案", actor="x", at=T0 + timedelta(days=9))
    with pytest.raises(StepError, match="已结案"):
        cq.transfer_case(engine, COUNTY, case_id, "公安局", actor="x")


def test_transfer_is_recorded_and_changes_the_department(engine, places):
    _, cid = places["金乡街道"]
    case_id = cq.open_case(engine, COUNTY, category="一个新类别", details="d", actor="a", compound_id=cid, at=T0)
    assert cq.case_detail(engine, COUNTY, case_id).case["department"] == "镇街"
    cq.transfer_case(engine, COUNTY, case_id, "综合行政执法局", actor="金乡街道物业办", reason="非本单位职责",
                     at=T0 + timedelta(minutes=30))
    d = cq.case_detail(engine, COUNTY, case_id)
    assert d.case["department"] == "综合行政执法局" and d.case["step"] == "发现"
    t = d.steps[d.steps["step"] == "移交"].iloc[0]
    assert (t["from_unit"], t["to_unit"], t["note"]) == ("镇街", "综合行政执法局", "非本单位职责")
    walk(engine, case_id, "拍照", start=T0 + timedelta(hours=1))  # the steps go on after a transfer


def test_duty_matrix_edit_routes_new_cases_and_flags_old_ones(engine, places):
    _, cid = places["金乡街道"]
    old = cq.open_case(engine, COUNTY, category="违法建设", details="d", actor="a", compound_id=cid, at=T0)
    set_duty(engine, "违法建设", "自然资源和规划局")
    new = cq.open_case(engine, COUNTY, category="违法建设", details="d", actor="a", compound_id=cid, at=T0)
    assert cq.case_detail(engine, COUNTY, new).case["department"] == "自然资源和规划局"
    assert cq.case_detail(engine, COUNTY, old).suggested_department == "自然资源和规划局"
    assert cq.case_detail(engine, COUNTY, new).suggested_department is None
    assert cq.case_detail(engine, COUNTY, new).case["case_no"] == "LD-2026-0002"


def test_scope_limits_reads_and_writes(engine, places):
    t0, c0 = places["金乡街道"]
    t1, c1 = places["鱼山街道"]
    a = cq.open_case(engine, COUNTY, category="违法建设", details="d", actor="a", compound_id=c0, at=T0)
    cq.open_case(engine, COUNTY, category="违法建设", details="d", actor="a", compound_id=c1, at=T0)
    assert len(cq.cases(engine, Scope(t1), now=T0)) == 1
    with pytest.raises(PermissionError):
        cq.case_detail(engine, Scope(t1), a)
    with pytest.raises(PermissionError):
        cq.advance_case(engine, Scope(t1), a, "拍照", actor="x", at=T0 + timedelta(hours=1))
    with pytest.raises(PermissionError):
        cq.open_case(engine, Scope(t1), category="违法建设", details="d", actor="a", compound_id=c0, at=T0)


def test_overdue_by_department_and_township(engine, places):
    _, c0 = places["金乡街道"]
    _, c1 = places["鱼山街道"]
    cq.open_case(engine, COUNTY, category="违法建设", details="d", actor="a", compound_id=c0, at=T0)
    cq.open_case(engine, COUNTY, category="电动车充电", details="d", actor="a", compound_id=c1,
                 at=T0 + timedelta(days=20))
    now = T0 + timedelta(days=30)  # the first has been open exactly 30 days: overdue (inclusive)
    frame = cq.cases(engine, COUNTY, now=now)
    assert frame.set_index("category").loc["违法建设", "overdue"]
    assert not frame.set_index("category").loc["电动车充电", "overdue"]
    summary = cq.overdue_summary(engine, COUNTY, now=now)
    by_dept = summary["department"].set_index("department")
    assert by_dept.loc["综合行政执法局", "overdue_cases"] == 1 and by_dept.loc["消防救援大队", "overdue_cases"] == 0
    assert summary["township"].set_index("township").loc["金乡街道", "open_cases"] == 1


def test_photos_and_the_case_report_form(engine, places, tmp_path):
    _, cid = places["金乡街道"]
    case_id = cq.open_case(engine, COUNTY, category="违法建设", details="一楼私搭彩钢棚约20平方米",
                           actor="网格员", compound_id=cid, location="3号楼东侧", at=T0)
    walk(engine, case_id, "拍照")
    with Session(engine) as s:
        shot = s.scalar(select(CaseStep.id).where(CaseStep.case_id == case_id, CaseStep.step == "拍照"))
    cq.add_case_photo(engine, COUNTY, case_id, jpeg_with_gps(), "现场.jpg", step_id=shot)
    with pytest.raises(PhotoError):
        cq.add_case_photo(engine, COUNTY, case_id, b"MZ\x90\x00" + b"\x00" * 64, "照片.jpg")
    photos = cq.case_detail(engine, COUNTY, case_id).photos
    assert len(photos) == 2 and (photos["step"] == "拍照").all()  # walk() attached one before the step
    assert photos.iloc[0]["lat"] == pytest.approx(35.0712, abs=1e-5)
    assert list((tmp_path / "photos").rglob("*.jpg"))
    walk(engine, case_id, "处理", start=T0 + timedelta(hours=1), frm="制止")

    path = tmp_path / "呈报表.docx"
    path.write_bytes(case_form_docx(cq.case_form_fields(engine, COUNTY, case_id, account=HOUSING)))
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for table in doc.tables[1:] for row in table.rows for c in row.cells)
    cells = "\n".join(c.text for row in doc.tables[0].rows for c in row.cells)
    assert "住宅小区违法违规案件呈报表" in text and "本表一式叁份" in text
    for expected in ("呈报单位", "金乡物业", "联系人：王伟", "电话：13812345678", "接收单位", "综合行政执法局",
                     "接收人：李娜", "电话：0537-8721234", "违法违规位置", "3号楼东侧", "违法违规详细情况",
                     "一楼私搭彩钢棚约20平方米", "呈报单位意见", "当事人拒不改正", "接收单位意见", "已立案调查",
                     "负责人（签章）", "2026 年 9 月 1 日", "备注", "附违法违规照片 2 张"):
        assert expected in cells, expected
    assert cells.count("负责人（签章）") >= 2
    assert len(doc.inline_shapes) == 2 and "位置 35.071200°N" in text  # the location map and the photo
    assert not doc.sections[0].header.paragraphs[0].text  # no stamp unless somebody exported it
    stamped = Document(io.BytesIO(case_form_docx(cq.case_form_fields(engine, COUNTY, case_id),
                                                 exported_by="金乡街道物业办（jinxiang_jd）",
                                                 when=datetime(2026, 9, 2, 8, 30))))
    assert stamped.sections[0].header.paragraphs[0].text == "导出：金乡街道物业办（jinxiang_jd）　2026-09-02 08:30"


def test_photo_step_needs_a_photo_and_a_corrected_violation_closes(engine, places):
    """拍照 without a photo is refused; 发现→拍照→制止→结案 closes (corrected when stopped)."""
    _, cid = places["金乡街道"]
    case_id = cq.open_case(engine, COUNTY, category="占用绿地", details="绿地堆放杂物", actor="某人",
                           compound_id=cid, at=T0)
    with pytest.raises(StepError, match="上传现场照片"):
        cq.advance_case(engine, COUNTY, case_id, "拍照", actor="x", at=T0 + timedelta(hours=1))
    photo = cq.add_case_photo(engine, COUNTY, case_id, jpeg_with_gps(), "现场.jpg")
    step = cq.advance_case(engine, COUNTY, case_id, "拍照", actor="x", at=T0 + timedelta(hours=1))
    cq.advance_case(engine, COUNTY, case_id, "制止", actor="x", at=T0 + timedelta(hours=2))
    assert set(cq.case_detail(engine, COUNTY, case_id).next_steps) == {"呈报", "结案"}
    cq.advance_case(engine, COUNTY, case_id, "结案", actor="x", at=T0 + timedelta(hours=3))
    d = cq.case_detail(engine, COUNTY, case_id)
    assert d.case["step"] == "结案" and d.next_step is None
    assert d.photos.set_index("id").loc[photo, "step_id"] == step  # the photo belongs to 拍照
