"""An empty county (``init --no-demo``) set up from its own files through the CLI, up to a spot-check draw;
the templates those files can start from."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import db
from data.__main__ import main as cli
from data.importers import columns as C
from data.importers.templates import KINDS, column_rows, template_bytes
from data.schema import Inspector, PropertyCompany
from data.scope import COUNTY
from tests.test_registers_import import COMMUNITIES, FULL, TOWNS, _gdf, valid_code, xlsx


def _password(monkeypatch, text="jiaxiang2025pw"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text + "\n"))


def _boundaries(url: str, tmp_path: Path) -> None:
    import shapely

    files = [("county", _gdf(XZQMC=["嘉祥县"], XZQDM=["370829"], 名称=["嘉祥县"], 行政区划代码=["370829"],
                             geometry=[shapely.box(116.2, 35.3, 116.5, 35.5)])),
             ("township", _gdf(名称=list(TOWNS), 代码=["370829001", "370829101"], geometry=list(TOWNS.values()))),
             ("community", _gdf(社区名称=[c[0] for c in COMMUNITIES], 所属镇街=[c[1] for c in COMMUNITIES],
                                geometry=[c[2] for c in COMMUNITIES]))]
    for level, frame in files:
        path = tmp_path / f"{level}.geojson"
        frame.to_file(path)
        assert cli(["import", "boundaries", str(path), "--level", level, "--db", url]) == 0


def test_draw_on_an_empty_county_from_its_own_files(db_url, tmp_path, capsys, monkeypatch):
    assert cli(["init", "--no-demo", "--db", db_url]) == 0
    engine = db.make_engine(db_url)
    from data.queries.inspection import run_draw
    from policy.inspection import RecusalError

    _boundaries(db_url, tmp_path)
    compounds = xlsx(tmp_path / "小区名册.xlsx",
                     ["小区名称", "所属镇街", "所属社区", "小区类型", "管理模式", "物业企业", "经度", "纬度"],
                     [["阳光花园", "卧龙山街道", "建设路社区", "商品房", "专业化物业", "鸿运物业", 116.32, 35.40],
                      ["幸福里", "卧龙山街道", "建设路社区", "商品房", "专业化物业", FULL, 116.33, 35.41],
                      ["纸坊新村", "纸坊镇", "纸坊社区", "老旧小区", "专业化物业", "安居物业", 116.37, 35.40],
                      ["安居苑", "纸坊镇", "纸坊社区", "商品房", "专业化物业", "嘉祥县安居物业管理有限公司", 116.38, 35.41]],
                     title="嘉祥县住宅小区名册")
    assert cli(["import", "compounds", str(compounds), "--db", db_url]) == 0
    companies = xlsx(tmp_path / "企业名录.xlsx", ["企业名称", "统一社会信用代码", "法定代表人"],
                     [[FULL, valid_code("91370829MA3C1234X"), "李华"], ["嘉祥县安居物业管理有限公司", None, None]])
    assert cli(["import", "companies", str(companies), "--db", db_url]) == 0
    with Session(engine) as s:
        assert s.scalar(select(PropertyCompany.name).where(PropertyCompany.credit_code.is_not(None))) == FULL
        assert len(s.scalars(select(PropertyCompany)).all()) == 2

    # no inspector yet: the shortage says how many and where to add them
    with pytest.raises(RecusalError) as err:
        run_draw(engine, COUNTY, n=2, actor="cli", seed=7, team_size=2)
    message = str(err.value)
    assert "请增加至少 2 名检查人员" in message and "import inspectors" in message and "名录" in message
    assert "阳光花园" in message or "纸坊新村" in message or "幸福里" in message or "安居苑" in message

    inspectors = xlsx(tmp_path / "执法检查人员名录.xlsx", ["姓名", "单位", "执法证号", "所属镇街", "回避企业", "联系电话"],
                      [["张明", "县住建局", "鲁JX001", None, "鸿运物业", "13900001111"],
                       ["王芳", "卧龙山街道办事处", "鲁JX002", "卧龙山街道", None, None],
                       ["李强", "纸坊镇人民政府", "鲁JX003", "纸坊镇", None, None],
                       ["赵磊", "县市场监管局", "鲁JX004", None, "安居物业", None]],
                      title="嘉祥县执法检查人员名录")
    assert cli(["import", "inspectors", str(inspectors), "--dry-run", "--db", db_url]) == 0
    with Session(engine) as s:
        assert s.scalars(select(Inspector)).all() == []  # dry run wrote nothing
    assert cli(["import", "inspectors", str(inspectors), "--db", db_url]) == 0
    rec = run_draw(engine, COUNTY, n=4, actor="cli", seed=7, team_size=2)
    assert len(rec.result.picks) == 4
    with Session(engine) as s:
        staff = {i.id: i for i in s.scalars(select(Inspector))}
        companies = {c.id: c.name for c in s.scalars(select(PropertyCompany))}
    from data.queries.inspection import draw_results

    results = draw_results(engine, COUNTY, rec.draw_id)
    for pick in rec.result.picks:
        for i in pick.team:
            assert staff[i].township_id != pick.township_id
    assert len(results) == 4

    # an inspector login linked to its inspector sees its own assignments only
    _password(monkeypatch)
    assert cli(["user", "add", "zhangming", "--role", "inspector", "--inspector", "鲁JX001",
                "--password-stdin", "--db", db_url]) == 0
    from data.auth import get_account

    account = get_account(engine, "zhangming")
    assert staff[account.inspector_id].cert_no == "鲁JX001"
    own = draw_results(engine, COUNTY, rec.draw_id, inspector_id=account.inspector_id)
    assert len(own) == sum(1 for p in rec.result.picks if account.inspector_id in p.team)
    assert "张明" in " ".join(own["team"]) or own.empty

    # wrong ids: a Chinese message naming the command that lists them, no traceback
    capsys.readouterr()
    _password(monkeypatch)
    assert cli(["user", "add", "bob", "--role", "township", "--township-id", "99", "--password-stdin",
                "--db", db_url]) == 1
    err_text = capsys.readouterr().err
    assert "镇街编号 99 不存在" in err_text and "python -m data places" in err_text
    _password(monkeypatch)
    assert cli(["user", "add", "bob", "--role", "inspector", "--inspector", "鲁XX999", "--password-stdin",
                "--db", db_url]) == 1
    assert "鲁XX999" in capsys.readouterr().err
    assert cli(["places", "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert "卧龙山街道" in listed and "建设路社区" in listed and "镇街\t" in listed
    engine.dispose()


# --------------------------------------------------------------------------- templates
@pytest.mark.parametrize("kind", KINDS)
def test_template_lists_every_spec_column_with_synonyms(kind, tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(kind)))
    doc = wb["说明"]
    text = "\n".join(" ".join(str(c) for c in row if c is not None) for row in doc.iter_rows(values_only=True))
    if kind == "boundaries":
        assert "GeoJSON" in text and "Shapefile" in text and "--level" in text
        return
    cols = column_rows(kind)
    assert cols
    sheet = wb.worksheets[0]
    assert [c.value for c in sheet[1]] == [c.label for c in cols]
    for c in cols:
        assert c.label in text
        for synonym in c.synonyms:
            assert synonym in text, (kind, c.label, synonym)
    enumerated = [c for c in cols if c.allowed]
    ranges = {str(r) for dv in sheet.data_validations.dataValidation for r in dv.sqref.ranges}
    for c in enumerated:
        letter = openpyxl.utils.get_column_letter([x.key for x in cols].index(c.key) + 1)
        assert f"{letter}2:{letter}1000" in ranges, (kind, c.label)


def test_a_synonym_added_to_a_spec_shows_in_the_template(monkeypatch):
    from data.importers import inspectors  # noqa: F401 - registers the spec

    fields = list(C.FIELDS["inspectors"])
    f = fields[0]
    fields[0] = C.Field(f.key, f.label, (*f.aliases, "执法队员"), f.parse)
    monkeypatch.setitem(C.FIELDS, "inspectors", tuple(fields))
    assert "执法队员" in column_rows("inspectors")[0].synonyms


def test_filled_templates_import_cleanly(db_url, tmp_path):
    from tests.test_registers_import import seed_compounds, seed_places

    engine = db.make_engine(db_url)
    db.migrate(engine)
    seed_places(engine, tmp_path)
    seed_compounds(engine, tmp_path)
    data = {
        "companies": {"企业名称": "嘉祥县城投物业服务有限公司", "法定代表人": "刘洋", "企业性质": "国有", "资质": "一级"},
        "inspectors": {"姓名": "张明", "单位": "县住建局", "执法证号": "鲁JX001", "所属镇街": "县直",
                       "回避企业": "鸿运物业", "联系电话": "13900001111", "状态": "在岗"},
        "credit": {"企业名称": "鸿运物业", "信用得分": 90, "信用等级": "AA", "评价期间": "2025年第四季度"},
        "fees": {"小区名称": "阳光花园", "收费标准": 1.1, "等级": "二级", "执行日期": "2024-07-01", "调整类型": "上调"},
        "evaluations": {"小区名称": "阳光花园", "季度": "2025-Q4", "考评分数": 88},
    }
    from data.importers.companies import import_companies
    from data.importers.credit import import_credit
    from data.importers.evaluations import import_evaluations
    from data.importers.fees import import_fees
    from data.importers.inspectors import import_inspectors

    importers = {"companies": import_companies, "inspectors": import_inspectors, "credit": import_credit,
                 "fees": import_fees, "evaluations": import_evaluations}
    for kind, values in data.items():
        wb = openpyxl.load_workbook(io.BytesIO(template_bytes(kind)))
        ws = wb.worksheets[0]
        headers = [c.value for c in ws[1]]
        for j, h in enumerate(headers, start=1):
            ws.cell(row=2, column=j).value = values.get(h)
        path = tmp_path / f"{kind}.xlsx"
        wb.save(path)
        report = importers[kind](engine, path)
        assert report.ok, (kind, report.error_lines())
        assert report.created >= 1, kind
    engine.dispose()


def test_cli_and_page_offer_the_same_kinds():
    from data.__main__ import IMPORT_KINDS, REGISTER_KINDS
    from data.importers.kinds import KINDS, REGISTERS
    from data.importers.templates import KINDS as TEMPLATE_KINDS

    assert set(IMPORT_KINDS) == set(KINDS) == set(TEMPLATE_KINDS)
    assert set(REGISTER_KINDS) <= set(REGISTERS)


@pytest.mark.parametrize("staff,team_size,needed", [
    ([], 2, 2),                                                        # empty register: a whole team
    ([{"id": 1, "township_id": 2}], 2, 1),                             # one usable: one more
    ([{"id": 1, "township_id": 1}, {"id": 2, "township_id": 2}], 2, 1),  # own township recused
    ([{"id": 1, "township_id": 2}], 3, 2),
    ([{"id": 1, "township_id": 2, "linked_company_ids": [9]}, {"id": 2, "township_id": 3}], 3, 2),
])
def test_shortage_says_exactly_how_many(staff, team_size, needed):
    from policy.inspection import RecusalError, draw

    comps = [{"id": 1, "township_id": 1, "company_id": 9}, {"id": 2, "township_id": 1, "company_id": 8}]
    with pytest.raises(RecusalError) as err:
        draw(comps, staff, n=2, seed=1, team_size=team_size)
    assert err.value.needed == needed
    assert f"请增加至少 {needed} 名检查人员" in str(err.value)
    # adding exactly that many county-level inspectors makes the draw possible
    more = [{"id": 100 + k, "township_id": None} for k in range(needed)]
    assert len(draw(comps, staff + more, n=2, seed=1, team_size=team_size).picks) == 2
