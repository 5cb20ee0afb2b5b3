"""Registers a county keeps in office files: companies, inspectors, credit grades, fee history.

Every file is a real .xlsx written here the way an office keeps it: a title
row above the header, blanks, short company names. Storage tests run on
SQLite and PostgreSQL (``db_url``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import db
from data.importers import import_boundaries, import_compounds
from data.importers.companies import credit_code, import_companies
from data.importers.credit import import_credit, parse_period
from data.importers.fees import import_fees, parse_date
from data.importers.inspectors import import_inspectors
from data.schema import (AuditLog, Compound, CreditGrade, FeeAdjustment, FeeRecord, Inspector, ProjectManager,
                         PropertyCompany)

TOWNS = {"卧龙山街道": shapely.box(116.30, 35.38, 116.35, 35.43), "纸坊镇": shapely.box(116.35, 35.38, 116.40, 35.43)}
COMMUNITIES = [("建设路社区", "卧龙山街道", shapely.box(116.30, 35.38, 116.35, 35.43)),
               ("纸坊社区", "纸坊镇", shapely.box(116.35, 35.38, 116.40, 35.43))]
FULL = "嘉祥县鸿运物业服务有限公司"


def xlsx(path: Path, header: list, rows: list[list], *, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.append(["填报单位：嘉祥县住房和城乡建设局"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _gdf(**cols) -> gpd.GeoDataFrame:
    geoms = cols.pop("geometry")
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4326")


def seed_places(engine, tmp_path: Path) -> None:
    """County, townships and communities through the boundary importer (GeoJSON written here)."""
    steps = [("county", _gdf(名称=["嘉祥县"], 行政区划代码=["370829"], geometry=[shapely.box(116.2, 35.3, 116.5, 35.5)])),
             ("township", _gdf(名称=list(TOWNS), 代码=["370829001", "370829101"], geometry=list(TOWNS.values()))),
             ("community", _gdf(社区名称=[c[0] for c in COMMUNITIES], 所属镇街=[c[1] for c in COMMUNITIES],
                                geometry=[c[2] for c in COMMUNITIES]))]
    for level, frame in steps:
        frame.to_file(tmp_path / f"{level}.geojson")
        report = import_boundaries(engine, tmp_path / f"{level}.geojson", level=level)
        assert report.ok, report.error_lines()


def seed_compounds(engine, tmp_path: Path) -> None:
    """Compounds naming one company three ways and a second company: two companies result."""
    path = xlsx(tmp_path / "小区名册.xlsx",
                ["小区名称", "所属镇街", "所属社区", "小区类型", "管理模式", "物业企业", "户数", "经度", "纬度"],
                [["阳光花园", "卧龙山街道", "建设路社区", "商品房", "专业化物业", FULL, 300, 116.32, 35.40],
                 ["幸福里", "卧龙山街道", "建设路社区", "商品房", "专业化物业", "鸿运物业", None, 116.33, 35.41],
                 ["纸坊新村", "纸坊镇", "纸坊社区", "老旧小区", "专业化物业", "嘉祥县 鸿运物业服务有限公司", 120,
                  116.37, 35.40],
                 ["安居苑", "纸坊镇", "纸坊社区", "商品房", "专业化物业", "嘉祥县安居物业管理有限公司", 200,
                  116.38, 35.41]],
                title="嘉祥县住宅小区名册（2025年）")
    report = import_compounds(engine, path)
    assert report.ok, report.error_lines()


@pytest.fixture
def county(db_url, tmp_path):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    seed_places(engine, tmp_path)
    seed_compounds(engine, tmp_path)
    yield engine
    engine.dispose()


def _companies(engine) -> dict[str, PropertyCompany]:
    with Session(engine) as s:
        return {c.name: c for c in s.scalars(select(PropertyCompany))}


def valid_code(body17: str) -> str:
    """A 统一社会信用代码 with its check character (GB 32100-2015)."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * w for c, w in zip(body17, weights))
    return body17 + chars[(31 - total % 31) % 31]


# --------------------------------------------------------------------------- companies
def test_short_and_full_names_become_one_company(county):
    names = _companies(county)
    assert set(names) == {FULL, "嘉祥县安居物业管理有限公司"}
    with Session(county) as s:
        counts = dict(s.execute(select(PropertyCompany.name, func.count(Compound.id))
                                .join(Compound, Compound.company_id == PropertyCompany.id)
                                .group_by(PropertyCompany.name)).all())
    assert counts == {FULL: 3, "嘉祥县安居物业管理有限公司": 1}


def test_company_register_updates_by_name_and_code(county, tmp_path):
    code = valid_code("91370829MA3C1234X")
    path = xlsx(tmp_path / "企业.xlsx", ["企业名称", "统一社会信用代码", "法定代表人", "联系电话", "资质", "企业性质"],
                [["鸿运物业", code, "李华", "0537-6851234", "二级", "民营"],
                 ["嘉祥县城投物业服务有限公司", None, None, None, None, "国有"],
                 ["合计", None, None, None, None, None]],
                title="嘉祥县物业服务企业名录")
    report = import_companies(county, path)
    assert report.ok, report.error_lines()
    assert (report.created, report.updated) == (1, 1)
    assert any("匹配为已有企业" in n.message and FULL in n.message for n in report.notes)
    names = _companies(county)
    assert names[FULL].credit_code == code and names[FULL].legal_rep == "李华"
    assert names["嘉祥县城投物业服务有限公司"].state_owned is True
    again = import_companies(county, path)
    assert again.ok and again.unchanged == 2 and again.created == 0


def test_company_register_refuses_bad_code_and_writes_nothing(county, tmp_path):
    path = xlsx(tmp_path / "企业.xlsx", ["企业名称", "统一社会信用代码"],
                [["新华物业", "91370829MA3C12345"], ["新城物业", "123"]])
    report = import_companies(county, path)
    assert not report.ok
    assert {e.row for e in report.errors} == {2, 3}
    assert "新华物业" not in " ".join(_companies(county))


def test_ambiguous_short_name_is_refused_naming_both(county, tmp_path):
    # a second 鸿运 company in another county: its region prefix keeps it apart
    path = xlsx(tmp_path / "企业.xlsx", ["企业名称"], [["金乡县鸿运物业管理有限公司"]])
    report = import_companies(county, path)
    assert report.ok and report.created == 1, report.error_lines()
    assert "金乡县鸿运物业管理有限公司" in _companies(county)
    # "鸿运物业" is a learned alias of the local company; "鸿运物业公司" could be either
    credit = xlsx(tmp_path / "信用.xlsx", ["企业名称", "信用等级"], [["鸿运物业公司", "AA"]],
                  title="2025年第四季度物业服务企业信用评价结果")
    report = import_credit(county, credit)
    assert not report.ok
    line = report.error_lines()[0]
    assert "金乡县鸿运物业管理有限公司" in line and FULL in line and "全称" in line


credit_cases = [
    ("2025年第四季度", ("2025-Q4",)), ("2025-Q1", ("2025-Q1",)), ("2025年上半年", ("2025-Q1", "2025-Q2")),
    ("2025年度", ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")), (2024, ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4")),
    ("2025年4季度", ("2025-Q4",)),
    ("2025年", ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")),
]


@pytest.mark.parametrize("title,found", [
    ("嘉祥县2025年第四季度物业服务企业信用评价结果", ("2025-Q4",)),
    ("填报日期：2026年1月5日", None),                                  # a date is no period
    ("2025年度物业服务企业信用评价结果 填报日期：2026年1月5日", ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")),
    ("2025年下半年信用评价", ("2025-Q3", "2025-Q4")),
    ("信用评价结果.xlsx", None),
])
def test_period_in_a_title(title, found):
    from data.importers.credit import find_period

    got = find_period(title)
    assert (got[0] if got else None) == found


@pytest.mark.parametrize("cell,quarters", credit_cases)
def test_credit_period_cells(cell, quarters):
    assert parse_period(cell) == quarters


# --------------------------------------------------------------------------- credit
def test_credit_grades_with_period_in_title_and_short_names(county, tmp_path):
    path = xlsx(tmp_path / "信用评价.xlsx", ["序号", "企业名称", "信用得分", "信用等级"],
                [[1, "鸿运物业", 91.5, "AA级"], [2, "嘉祥县安居物业管理有限公司", None, "B"],
                 [3, "嘉祥县新苑物业服务有限公司", 70, "A"]],
                title="嘉祥县2025年第四季度物业服务企业信用评价结果")
    report = import_credit(county, path)
    assert report.ok, report.error_lines()
    assert report.created == 3 and report.related.get("新建物业企业") == 1
    assert any("标题行" in n.message for n in report.notes)
    with Session(county) as s:
        got = {(c.name, g.quarter): (g.grade, g.score) for g, c in s.execute(
            select(CreditGrade, PropertyCompany).join(PropertyCompany, PropertyCompany.id == CreditGrade.company_id))}
    assert got[(FULL, "2025-Q4")] == ("AA", Decimal("91.50"))
    assert got[("嘉祥县安居物业管理有限公司", "2025-Q4")] == ("B", None)  # blank score stays unknown
    # the map's credit colours read them although the county has no quarterly evaluations (no 未评级)
    from data.queries.evaluation import compound_indicators
    from data.scope import COUNTY

    shown = compound_indicators(county, COUNTY)
    assert sorted(shown["credit_grade"].dropna()) == ["AA", "AA", "AA", "B"]
    from data.queries.evaluation import company_status

    later = company_status(county, COUNTY, "2026-Q1").set_index("company")  # a grade stands until the next
    assert later.loc[FULL, "grade"] == "AA" and later.loc[FULL, "tier"] != "未评级"
    assert company_status(county, COUNTY, "2025-Q3").set_index("company").loc[FULL, "tier"] == "未评级"


def test_credit_without_period_anywhere_is_refused(county, tmp_path):
    path = xlsx(tmp_path / "信用.xlsx", ["企业名称", "信用等级"], [["鸿运物业", "AA"]])
    report = import_credit(county, path)
    assert not report.ok and "评价期间" in report.error_lines()[0]


def test_credit_annual_result_and_bad_grade(county, tmp_path):
    path = xlsx(tmp_path / "2024年度信用评价.xlsx", ["企业名称", "信用等级", "年度"],
                [["鸿运物业", "AAA", 2024], ["安居物业", "D", 2024]])
    report = import_credit(county, path)
    assert not report.ok and report.errors[0].row == 3 and "信用等级" in report.errors[0].message
    path = xlsx(tmp_path / "2024年度信用评价.xlsx", ["企业名称", "信用等级", "年度"], [["鸿运物业", "AAA", 2024]])
    report = import_credit(county, path)
    assert report.ok and report.created == 4


# --------------------------------------------------------------------------- fees
@pytest.mark.parametrize("cell,expected", [
    ("2024-03-01", date(2024, 3, 1)), ("2024/3/1", date(2024, 3, 1)), ("2024年3月1日", date(2024, 3, 1)),
    ("2024.3", date(2024, 3, 1)), (20240301, date(2024, 3, 1)), (datetime(2024, 3, 1, 8), date(2024, 3, 1)),
])
def test_fee_dates(cell, expected):
    assert parse_date(cell) == expected


def test_fee_history_imports_in_date_order_and_keeps_latest_as_current(county, tmp_path):
    path = xlsx(tmp_path / "收费.xlsx", ["小区", "收费标准（元/㎡·月）", "等级", "变更日期", "调整类型"],
                [["阳光花园", 1.20, "二级", "2024-07-01", "上调"],   # file not in date order
                 ["阳光花园", 0.90, "三级", "2019-01-01", "首次核定"],
                 ["阳光花园", 1.00, None, "2022-03-01", "降费"],
                 ["幸福里", 0.80, "三级", "2026-06-01", None]],       # future: scheduled, not current
                title="物业服务收费标准及调整记录")
    report = import_fees(county, path, today=date(2026, 1, 1))
    assert report.ok, report.error_lines()
    assert report.created == 4 and report.related.get("调价状态记录") == 2
    with Session(county) as s:
        sun = s.scalar(select(Compound).where(Compound.name == "阳光花园"))
        happy = s.scalar(select(Compound).where(Compound.name == "幸福里"))
        assert (sun.fee_price, sun.fee_level) == (Decimal("1.20"), 2)
        assert happy.fee_price is None
        steps = [(a.changed_at.date(), a.status) for a in s.scalars(
            select(FeeAdjustment).where(FeeAdjustment.compound_id == sun.id).order_by(FeeAdjustment.id))]
        kinds = {r.effective_date: r.change_kind for r in s.scalars(select(FeeRecord))}
    assert steps == [(date(2022, 3, 1), "已降费"), (date(2024, 7, 1), "已通过")]
    assert kinds[date(2019, 1, 1)] == "首次核定"
    # a past adjustment after the others: history, not refused; the current status stays the latest
    past = xlsx(tmp_path / "补录.xlsx", ["小区名称", "收费标准", "执行日期", "调整类型"],
                [["阳光花园", 1.10, "2023-01-01", "上调"]])
    report = import_fees(county, past, today=date(2026, 1, 1))
    assert report.ok, report.error_lines()
    from data.queries import latest_fee_status
    from data.scope import COUNTY

    latest = latest_fee_status(county, COUNTY)
    assert latest.set_index("compound_id").loc[sun.id, "status"] == "已通过"
    assert latest.set_index("compound_id").loc[sun.id, "changed_at"].date() == date(2024, 7, 1)
    with Session(county) as s:
        assert s.get(Compound, sun.id).fee_price == Decimal("1.20")
    # and the fee page can still record the next step from the current status
    from data.queries.fees import record_fee_status

    record_fee_status(county, COUNTY, sun.id, "成本已公开", actor="住建局", reason="新一轮调价", at=date(2025, 9, 1))


def test_fee_rows_with_errors_write_nothing(county, tmp_path):
    path = xlsx(tmp_path / "收费.xlsx", ["小区名称", "收费标准", "执行日期"],
                [["阳光花园", 1.2, "2024-01-01"], ["不存在小区", 1.0, "2024-01-01"], ["阳光花园", 1.3, "2024-01-01"],
                 ["幸福里", "一块", "2024-01-01"]])
    report = import_fees(county, path)
    assert not report.ok and {e.row for e in report.errors} == {3, 4, 5}
    with Session(county) as s:
        assert s.scalar(select(func.count()).select_from(FeeRecord)) == 0


def test_a_township_imports_fees_of_its_own_compounds_only(county, tmp_path):
    """纸坊镇's officer may not write 卧龙山街道's fees; the row says so and nothing is written."""
    from data.scope import Scope
    from data.schema import Township

    with Session(county) as s:
        zhifang = s.scalar(select(Township.id).where(Township.name == "纸坊镇"))
    path = xlsx(tmp_path / "收费.xlsx", ["小区名称", "收费标准", "执行日期"],
                [["纸坊新村", 0.8, "2024-01-01"], ["阳光花园", 1.2, "2024-01-01"]])
    report = import_fees(county, path, scope=Scope(zhifang))
    assert not report.ok and [(e.row, "管辖范围" in e.message) for e in report.errors] == [(3, True)]
    with Session(county) as s:
        assert s.scalar(select(func.count()).select_from(FeeRecord)) == 0
    own = xlsx(tmp_path / "收费2.xlsx", ["小区名称", "收费标准", "执行日期"], [["纸坊新村", 0.8, "2024-01-01"]])
    assert import_fees(county, own, scope=Scope(zhifang)).ok


# --------------------------------------------------------------------------- inspectors
def test_inspector_register_with_recusal_lists(county, tmp_path):
    header = ["姓名", "单位", "执法证号", "所属镇街", "回避企业", "联系电话"]
    path = xlsx(tmp_path / "执法检查人员名录.xlsx", header,
                [["张明", "县住建局", "鲁JX001", None, "鸿运物业、嘉祥县安居物业管理有限公司", "13900001111"],
                 ["王芳", "卧龙山街道办", "鲁JX002", "卧龙山街道", None, None],
                 ["李强", "纸坊镇政府", "鲁JX003", "纸坊镇", "安居物业\n鸿运物业", None],
                 ["赵磊", "县市场监管局", "鲁JX004", "县直", "无", None]],
                title="嘉祥县物业管理执法检查人员名录")
    report = import_inspectors(county, path)
    assert report.ok, report.error_lines()
    assert report.created == 4
    names = _companies(county)
    with Session(county) as s:
        got = {i.cert_no: i for i in s.scalars(select(Inspector))}
    both = sorted([names[FULL].id, names["嘉祥县安居物业管理有限公司"].id])
    assert sorted(got["鲁JX001"].linked_company_ids) == both and got["鲁JX001"].township_id is None
    assert sorted(got["鲁JX003"].linked_company_ids) == both
    assert got["鲁JX002"].township_id is not None and got["鲁JX002"].linked_company_ids == []
    assert got["鲁JX001"].phone == "13900001111"
    from data.queries.inspection import inspectors

    shown = inspectors(county)
    assert "13900001111" not in shown.to_string() and shown["active"].all()
    # re-import: upsert by 执法证号, a changed unit updates
    path = xlsx(tmp_path / "名录2.xlsx", header, [["张明", "县住建局物业科", "鲁JX001", None, None, None]])
    report = import_inspectors(county, path)
    assert report.ok and report.updated == 1
    with Session(county) as s:
        again = s.scalar(select(Inspector).where(Inspector.cert_no == "鲁JX001"))
        assert again.unit == "县住建局物业科" and sorted(again.linked_company_ids) == both


def test_inspector_unknown_company_and_township_are_errors(county, tmp_path):
    path = xlsx(tmp_path / "名录.xlsx", ["姓名", "单位", "执法证号", "所属镇街", "回避企业"],
                [["张明", "县住建局", "鲁JX001", None, "华夏物业"],
                 ["王芳", "街道办", "鲁JX002", "不存在镇", None],
                 ["李强", None, "鲁JX003", None, None],
                 ["赵磊", "县局", "鲁JX001", None, None]])
    report = import_inspectors(county, path)
    assert not report.ok
    text = "\n".join(report.error_lines())
    assert "华夏物业" in text and "import companies" in text
    assert {e.row for e in report.errors} == {2, 3, 4, 5}
    with Session(county) as s:
        assert s.scalar(select(func.count()).select_from(Inspector)) == 0


def test_inspector_register_edit_and_deactivate_is_audited(county):
    from data.auth import create_user, get_account
    from data.queries.inspection import inspectors
    from data.queries.inspectors import save_inspector, set_inspector_active

    create_user(county, "zjj", "住建局", "housing", password=None)
    create_user(county, "sq", "社区", "community", password=None, township_id=1, community_id=1)
    housing = get_account(county, "zjj")
    new = save_inspector(county, name="孙丽", unit="县住建局", cert_no="鲁JX100", phone="13812345678", actor=housing)
    with pytest.raises(ValueError, match="已登记"):
        save_inspector(county, name="孙丽2", unit="县住建局", cert_no="鲁JX100", actor=housing)
    with pytest.raises(PermissionError):
        save_inspector(county, name="x", unit="y", cert_no="z", actor=get_account(county, "sq"))
    save_inspector(county, inspector_id=new, name="孙丽", unit="县住建局物业科", cert_no="鲁JX100",
                   phone="13812345678", actor=housing)
    set_inspector_active(county, new, False, actor=housing)
    assert inspectors(county, active_only=True).empty
    with Session(county) as s:
        entries = [e.detail for e in s.scalars(select(AuditLog).where(AuditLog.action == "inspector"))]
    assert [e["op"] for e in entries] == ["create", "update", "deactivate"]
    assert "13812345678" not in str(entries)


# --------------------------------------------------------------------------- merge
def test_merge_keeps_every_link(county):
    from data.queries.companies import merge_companies

    with Session(county) as s:
        keep = s.scalar(select(PropertyCompany).where(PropertyCompany.name == FULL))
        dup = PropertyCompany(name="鸿运物业公司（旧）", state_owned=False, phone="0537-1234567")
        s.add(dup)
        s.flush()
        comp = s.scalar(select(Compound).where(Compound.name == "安居苑"))
        comp.company_id = dup.id
        mgr = ProjectManager(company_id=dup.id, name="周经理")
        s.add(mgr)
        s.flush()
        comp.manager_id = mgr.id
        s.add_all([CreditGrade(company_id=dup.id, quarter="2025-Q1", grade="B"),
                   CreditGrade(company_id=dup.id, quarter="2025-Q2", grade="C"),
                   CreditGrade(company_id=keep.id, quarter="2025-Q2", grade="AA")])
        s.add(Inspector(name="张明", unit="县住建局", cert_no="X1", linked_company_ids=[dup.id]))
        s.commit()
        keep_id, dup_id, comp_id = keep.id, dup.id, comp.id
    moved = merge_companies(county, keep_id, dup_id, actor="县住建局")
    assert moved["compounds"] == 1 and moved["credit_grades"] == 1 and moved["inspectors"] == 1
    with Session(county) as s:
        assert s.get(PropertyCompany, dup_id) is None
        kept = s.get(PropertyCompany, keep_id)
        assert "鸿运物业公司（旧）" in kept.aliases and kept.phone == "0537-1234567"
        assert s.get(Compound, comp_id).company_id == keep_id
        assert s.get(ProjectManager, s.get(Compound, comp_id).manager_id).company_id == keep_id
        grades = dict(s.execute(select(CreditGrade.quarter, CreditGrade.grade)
                                .where(CreditGrade.company_id == keep_id)).all())
        assert grades == {"2025-Q1": "B", "2025-Q2": "AA"}
        assert s.scalar(select(Inspector).where(Inspector.cert_no == "X1")).linked_company_ids == [keep_id]
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "merge_company"))
        assert entry.detail["dropped_grades"][0]["quarter"] == "2025-Q2"
    with pytest.raises(ValueError):
        merge_companies(county, keep_id, keep_id, actor="县住建局")

def test_a_merged_away_name_finds_the_kept_company(county, tmp_path):
    from data.queries.companies import merge_companies

    with Session(county) as s:
        keep = s.scalar(select(PropertyCompany).where(PropertyCompany.name == FULL)).id
        dup = PropertyCompany(name="鸿运物业服务部", state_owned=False)
        s.add(dup)
        s.commit()
        dup_id = dup.id
    merge_companies(county, keep, dup_id, actor="县住建局")
    path = xlsx(tmp_path / "信用.xlsx", ["企业名称", "信用等级", "季度"], [["鸿运物业服务部", "A", "2025-Q3"]])
    report = import_credit(county, path)
    assert report.ok and not report.related, report.error_lines()
    with Session(county) as s:
        assert s.scalar(select(CreditGrade.company_id).where(CreditGrade.quarter == "2025-Q3")) == keep


def test_credit_code_check():
    code = valid_code("91370829MA3C1234X")
    assert credit_code(code) == code
    with pytest.raises(ValueError):
        credit_code(code[:-1] + ("0" if code[-1] != "0" else "1"))


def test_cli_report_and_dry_run_for_a_register(county, tmp_path, db_url, capsys):
    from data.__main__ import main as cli

    bad = xlsx(tmp_path / "企业.xlsx", ["企业名称", "统一社会信用代码"], [["新华物业", "123"], ["新城物业", None]])
    out = tmp_path / "错误.xlsx"
    assert cli(["import", "companies", str(bad), "--report", str(out), "--db", db_url]) == 1
    errors = openpyxl.load_workbook(out)["错误"]
    assert [c.value for c in errors[2]][:2] == [2, "统一社会信用代码"]
    good = xlsx(tmp_path / "企业2.xlsx", ["企业名称"], [["新城物业"]])
    assert cli(["import", "companies", str(good), "--dry-run", "--db", db_url]) == 0
    assert "仅校验" in capsys.readouterr().out
    assert "新城物业" not in _companies(county)
