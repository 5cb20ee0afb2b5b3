"""Compound register import: Chinese headers, every field, places by name or location, all-or-nothing."""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.__main__ import main as cli
from data.db import make_engine, migrate
from data.importers import ImportReport, import_boundaries, import_compounds
from data.schema import Community, Compound, Grid, ProjectManager, PropertyCompany, Township

TOWNSHIPS = {"金乡街道": shapely.box(116.20, 35.00, 116.30, 35.10), "鱼山街道": shapely.box(116.30, 35.00, 116.40, 35.10)}
COMMUNITIES = [
    ("城西社区", "金乡街道", shapely.box(116.20, 35.00, 116.25, 35.08)),
    ("城东社区", "金乡街道", shapely.box(116.25, 35.00, 116.30, 35.08)),
    ("新村社区", "金乡街道", shapely.box(116.20, 35.08, 116.30, 35.10)),
    ("鱼山社区", "鱼山街道", shapely.box(116.30, 35.00, 116.40, 35.08)),
    ("新村社区", "鱼山街道", shapely.box(116.30, 35.08, 116.40, 35.10)),
]
GRIDS = {"城东一网格": shapely.box(116.25, 35.00, 116.30, 35.04), "城东二网格": shapely.box(116.25, 35.04, 116.30, 35.08)}
MODE_HUIMIN = "社区\u201c惠民\u201d物业兜底"


def _frame(**columns) -> gpd.GeoDataFrame:
    geoms = columns.pop("geometry")
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326")


def _seed(engine, tmp_path: Path):
    """County, townships, communities and grids imported through the boundary importer."""
    migrate(engine)
    steps = [
        ("county", _frame(名称=["金乡县"], 行政区划代码=["370828"], geometry=[shapely.box(116.10, 34.85, 116.50, 35.25)])),
        ("township", _frame(名称=list(TOWNSHIPS), 代码=["370828001", "370828002"], geometry=list(TOWNSHIPS.values()))),
        ("community", _frame(社区名称=[c[0] for c in COMMUNITIES], 所属镇街=[c[1] for c in COMMUNITIES],
                             geometry=[c[2] for c in COMMUNITIES])),
        ("grid", _frame(网格名称=list(GRIDS), 网格编码=["W1", "W2"], 所属社区=["城东社区"] * 2, 所属镇街=["金乡街道"] * 2,
                        geometry=list(GRIDS.values()))),
    ]
    for level, frame in steps:
        frame.to_file(tmp_path / f"{level}.geojson")
        report = import_boundaries(engine, tmp_path / f"{level}.geojson", level=level)
        assert report.ok, report.error_lines()
    return engine


@pytest.fixture
def engine(tmp_path):
    return _seed(make_engine(f"sqlite:///{tmp_path}/t.sqlite"), tmp_path)


def _counts(engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Compound, PropertyCompany, ProjectManager))


def _compounds(engine) -> dict[str, Compound]:
    with Session(engine) as s:
        rows = list(s.scalars(select(Compound)))
        for r in rows:
            _ = (r.company, r.manager)
        s.expunge_all()
        return {r.name: r for r in rows}


def _ids(engine, model) -> dict[str, int]:
    with Session(engine) as s:
        return {r.name: r.id for r in s.scalars(select(model))}


FULL = {
    "小区名称": ["金城花园", "鱼山小区", "城东新苑"],
    "小区编码": ["XQ001", "XQ002", None],
    "地址": ["金乡县金山街 1 号", "鱼山路 8 号", None],
    "所属镇街": ["金乡街道", None, "金乡街道"],
    "所属社区": ["城东社区", None, "城东社区"],
    "户数": [320, "1,200", "86户"],
    "楼栋数": [12, 30, 3],
    "建筑面积（万㎡）": [3.5, 12, None],
    "建成年份": [2005, "1998年", None],
    "小区类型": ["商品房", "老旧", "回迁安置小区"],
    "管理模式": ["专业化物业", '社区"惠民"物业兜底', "业主自管"],
    "物业企业": ["金乡县金城物业服务有限公司", "金乡县金城物业服务有限公司", "无"],
    "项目经理": ["张三", "李四", None],
    "项目经理电话": ["013800001234", 13900001234, None],
    "收费等级": ["二级", 4, None],
    "物业费单价（元/㎡·月）": [1.2, "0.45元", None],
    "业主组织": ["业主委员会", "物管会", "无"],
    "党支部": ["是", "有", "否"],
    "专职书记": ["Y", "N", 0],
    "三会三公开": [1, "true", "无"],
    "智慧物业": ["TRUE", "false", "否"],
    "电梯数": [6, 0, None],
    "车位数": [300, 50, 10],
    "维修资金余额（万元）": [120.5, None, None],
    "经度": [116.27, 116.35, 116.26],
    "纬度": [35.02, 35.05, 35.06],
}


def test_full_register_with_chinese_headers(engine, tmp_path):
    path = tmp_path / "小区档案.xlsx"
    pd.DataFrame(FULL).to_excel(path, index=False)
    report = import_compounds(engine, path)
    assert report.ok, report.error_lines()
    assert (report.created, report.related) == (3, {"新建物业企业": 1, "新建项目经理": 2})
    c = _compounds(engine)
    a, b, n = c["金城花园"], c["鱼山小区"], c["城东新苑"]
    assert (a.code, a.address, a.households, a.buildings, a.year_built) == ("XQ001", "金乡县金山街 1 号", 320, 12, 2005)
    assert a.floor_area_m2 == Decimal("35000.00") and a.maintenance_fund == Decimal("1205000.00")
    assert (a.fee_level, a.fee_price, b.fee_level, b.fee_price) == (2, Decimal("1.20"), 4, Decimal("0.45"))
    assert (b.households, b.year_built, b.compound_class, b.management_mode) == (1200, 1998, "老旧小区", MODE_HUIMIN)
    assert (a.owners_body, b.owners_body, n.owners_body) == ("业主委员会", "物业管理委员会", "无")
    assert (a.party_branch, a.party_secretary_full_time, a.notice_board, a.smart_property) == (True, True, True, True)
    assert (b.party_branch, b.party_secretary_full_time, b.notice_board, b.smart_property) == (True, False, True, False)
    assert (n.party_branch, n.notice_board, n.company_id, n.manager_id) == (False, False, None, None)
    assert a.company.name == b.company.name == "金乡县金城物业服务有限公司"
    assert (a.manager.name, a.manager.phone, b.manager.phone) == ("张三", "013800001234", "13900001234")
    assert a.geometry.geom_type == "Point" and (a.geometry.x, a.geometry.y) == (116.27, 35.02)
    towns, comms, grids = _ids(engine, Township), _ids(engine, Community), _ids(engine, Grid)
    assert (a.township_id, a.community_id, a.grid_id) == (towns["金乡街道"], comms["城东社区"], grids["城东一网格"])
    assert (b.township_id, b.grid_id) == (towns["鱼山街道"], None)
    assert n.code == "370828001-002-001" and n.grid_id == grids["城东二网格"]
    notes = report.note_lines()
    assert "第 3 行 所属社区：按坐标确定为“鱼山社区”" in notes
    assert "第 2 行 所属网格：按坐标确定为“城东一网格”" in notes
    assert any("万" in n and "10000" in n for n in notes)


def test_reimport_changes_nothing_and_duplicates_nothing(engine, tmp_path):
    path = tmp_path / "c.xlsx"
    pd.DataFrame(FULL).to_excel(path, index=False)
    assert import_compounds(engine, path).ok
    before = _counts(engine)
    again = import_compounds(engine, path)
    assert again.ok and (again.created, again.updated, again.unchanged, again.related) == (0, 0, 3, {})
    assert _counts(engine) == before == (3, 1, 2)
    changed = pd.DataFrame(FULL)
    changed.loc[0, "户数"] = 321
    changed.to_excel(path, index=False)
    third = import_compounds(engine, path)
    assert (third.updated, third.unchanged) == (1, 2) and _compounds(engine)["金城花园"].households == 321


def test_dry_run_writes_nothing(engine, tmp_path):
    path = tmp_path / "c.xlsx"
    pd.DataFrame(FULL).to_excel(path, index=False)
    report = import_compounds(engine, path, dry_run=True)
    assert report.ok and report.created == 3 and report.related == {"新建物业企业": 1, "新建项目经理": 2}
    assert not report.written and "将新建 3" in report.summary()
    assert _counts(engine) == (0, 0, 0)


BAD = {
    "小区名称": ["好小区", "坏户数", "坏镇街", "坏类型", "坏坐标", None, "好小区", "无物业却有企业", "坏社区"],
    "小区编码": ["A1", "A2", "A3", "A4", "A5", "A6", "A1", "A8", "A9"],
    "所属镇街": ["金乡街道", "金乡街道", "金乡镇", "金乡街道", "金乡街道", "金乡街道", "金乡街道", "鱼山街道", None],
    "所属社区": ["城东社区", "城东社区", "城东社区", "城东社区", "城东社区", "城东社区", "城东社区", "鱼山社区", "新村社区"],
    "户数": [10, "三百", 10, 10, 10, 10, 10, 10, 10],
    "小区类型": ["商品房", "商品房", "商品房", "别墅区", "商品房", "商品房", "商品房", "三无小区", "商品房"],
    "管理模式": ["专业化物业", "专业化物业", "专业化物业", "托管", "专业化物业", "专业化物业", "专业化物业", "无物业",
             "专业化物业"],
    "物业企业": [None, None, None, None, None, None, None, "某物业公司", None],
    "智慧物业": ["是", "是", "是", "是", "maybe", "是", "是", "否", "否"],
    "经度": [116.27, 116.27, 116.27, 116.27, 117.5, 116.27, 116.27, 116.35, None],
    "纬度": [35.02, 35.02, 35.02, 35.02, 35.02, 35.02, 35.02, 35.05, None],
}


def test_bad_rows_are_all_listed_and_nothing_is_written(engine, tmp_path):
    pd.DataFrame(FULL).iloc[:1].to_excel(tmp_path / "ok.xlsx", index=False)
    assert import_compounds(engine, tmp_path / "ok.xlsx").ok
    before = _counts(engine)
    path = tmp_path / "bad.xlsx"
    pd.DataFrame(BAD).to_excel(path, index=False)
    report = import_compounds(engine, path)
    assert not report.ok and not report.written
    assert report.error_lines() == [
        "第 3 行 户数：'三百' 不是整数",
        "第 4 行 所属镇街：'金乡镇' 不存在（现有：金乡街道、鱼山街道）",
        "第 5 行 小区类型：'别墅区' 不是允许的小区类型（可选：商品房、老旧小区、回迁安置小区、三无小区）",
        f"第 5 行 管理模式：'托管' 不是允许的管理模式（可选：专业化物业、{MODE_HUIMIN}、国有企业兜底、业主自管、单位自管、无物业）",
        "第 6 行 智慧物业：'maybe' 不是 是/否（可填 是/否、有/无、Y/N、1/0、true/false）",
        "第 6 行 经度：'117.500000, 35.020000' 位于金乡县范围外（容差 1000 米）：请检查坐标或坐标系",
        "第 7 行 小区名称：为空",
        "第 8 行 小区编码：'A1' 与第 2 行重复",
        "第 9 行 物业企业：'某物业公司' 管理模式为“无物业”，不应填写物业企业",
        "第 10 行 所属社区：'新村社区' 同名社区在多个镇街（金乡街道、鱼山街道），请填写所属镇街",
    ]
    assert _counts(engine) == before == (1, 1, 1)
    assert "发现 10 个错误，未写入任何数据" in report.summary()
    assert report.error_lines(limit=3)[-1] == "…… 另有 7 条未列出"

    report.to_excel(tmp_path / "错误报告.xlsx")
    back = pd.read_excel(tmp_path / "错误报告.xlsx", sheet_name="错误", dtype=str)
    assert list(back.columns) == ["行号", "列", "值", "原因"]
    assert len(back) == 10 and back.loc[0].tolist() == ["3", "户数", "三百", "不是整数"]
    wb = openpyxl.load_workbook(io.BytesIO(report.to_excel_bytes()))
    assert wb.sheetnames == ["错误", "提示", "汇总"] and wb["错误"].freeze_panes == "A2"


@pytest.mark.parametrize(("cell", "expected"), [
    ("是", True), ("否", False), ("有", True), ("无", False), ("Y", True), ("n", False),
    (1, True), (0, False), ("1", True), ("0", False), ("true", True), ("False", False), (True, True),
])
def test_yes_no_cells(engine, tmp_path, cell, expected):
    df = pd.DataFrame({"小区名称": ["甲"], "所属社区": ["城西社区"], "所属镇街": ["金乡街道"], "小区类型": ["商品房"],
                       "管理模式": ["业主自管"], "智慧物业": [cell], "党支部": [cell]})
    df.to_csv(tmp_path / "c.csv", index=False)
    assert import_compounds(engine, tmp_path / "c.csv").ok
    c = _compounds(engine)["甲"]
    assert c.smart_property is expected and c.party_branch is expected and c.geometry is None


def test_points_polygons_and_blank_cells(engine, tmp_path):
    poly = shapely.box(116.26, 35.01, 116.28, 35.03)
    pd.DataFrame({"小区名称": ["金城花园"], "小区编码": ["XQ001"], "小区类型": ["商品房"], "管理模式": ["业主自管"],
                  "户数": [300], "WKT": [poly.wkt]}).to_excel(tmp_path / "poly.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "poly.xlsx")
    assert report.ok and "第 2 行 所属社区：按坐标确定为“城东社区”" in report.note_lines()
    assert _compounds(engine)["金城花园"].geometry.equals(poly)
    # A register with a point inside the polygon and a blank 户数 keeps both the polygon and 300.
    pd.DataFrame({"小区名称": ["金城花园"], "小区编码": ["XQ001"], "户数": [None], "楼栋数": [9],
                  "经度": [116.27], "纬度": [35.02]}).to_excel(tmp_path / "pt.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "pt.xlsx")
    assert report.ok and report.updated == 1, report.error_lines()
    c = _compounds(engine)["金城花园"]
    assert c.geometry.equals(poly) and c.households == 300 and c.buildings == 9
    assert any("保留原范围" in n for n in report.note_lines())
    pd.DataFrame({"小区名称": ["新点小区"], "所属社区": ["城西社区"], "所属镇街": ["金乡街道"], "小区类型": ["商品房"],
                  "管理模式": ["无物业"], "经度": [116.22], "纬度": [35.02]}).to_excel(tmp_path / "p2.xlsx", index=False)
    assert import_compounds(engine, tmp_path / "p2.xlsx").ok
    assert _compounds(engine)["新点小区"].geometry.geom_type == "Point"  # no polygon invented


def test_new_compound_needs_class_and_mode_and_a_place(engine, tmp_path):
    pd.DataFrame({"小区名称": ["甲", "乙"], "经度": [116.27, None], "纬度": [35.02, None]}).to_excel(
        tmp_path / "c.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "c.xlsx")
    assert report.error_lines() == [  # 小区类型 may stay unknown (no bureau register has it)
        "第 2 行 管理模式：新建小区时必须填写",
        "第 3 行 所属社区：为空，且没有坐标，无法确定所属社区",
    ]


def test_manager_without_company_and_missing_name_column(engine, tmp_path):
    pd.DataFrame({"小区名称": ["甲"], "所属社区": ["城西社区"], "所属镇街": ["金乡街道"], "小区类型": ["商品房"],
                  "管理模式": ["专业化物业"], "项目经理": ["张三"]}).to_csv(tmp_path / "c.csv", index=False)
    assert import_compounds(engine, tmp_path / "c.csv").error_lines() == ["第 2 行 项目经理：'张三' 填写了项目经理，但没有物业企业"]
    pd.DataFrame({"地址": ["x"]}).to_csv(tmp_path / "n.csv", index=False)
    lines = import_compounds(engine, tmp_path / "n.csv").error_lines()
    assert lines[0].startswith("小区名称：缺少必需的列（可用列名：小区名称、项目名称")


def test_report_summary_and_lines_without_database():
    report = ImportReport(kind="小区档案", source="a.xlsx", rows=3, created=2, unchanged=1)
    report.note("提示一")
    assert report.ok and report.summary().startswith("小区档案导入完成（a.xlsx）：共 3 行，新建 2、更新 0、未变 1。")
    report.error(5, "户数", "三百", "不是整数")
    report.error(None, "", None, "文件中没有数据行")
    assert not report.ok and report.error_lines() == ["第 5 行 户数：'三百' 不是整数", "文件中没有数据行"]


def test_cli_compounds_dry_run(engine, tmp_path, capsys):
    pd.DataFrame(FULL).to_excel(tmp_path / "c.xlsx", index=False)
    url = str(engine.url)
    assert cli(["--db", url, "import", "compounds", str(tmp_path / "c.xlsx"), "--dry-run"]) == 0
    assert "仅校验" in capsys.readouterr().out and _counts(engine) == (0, 0, 0)
    assert cli(["--db", url, "import", "compounds", str(tmp_path / "c.xlsx")]) == 0
    assert _counts(engine) == (3, 1, 2)


def test_same_results_on_sqlite_and_postgis(db_url, tmp_path):
    engine = _seed(make_engine(db_url), tmp_path)
    try:
        pd.DataFrame(FULL).to_excel(tmp_path / "c.xlsx", index=False)
        pd.DataFrame(BAD).to_excel(tmp_path / "bad.xlsx", index=False)
        assert len(import_compounds(engine, tmp_path / "bad.xlsx").errors) == 10
        assert _counts(engine) == (0, 0, 0)
        assert import_compounds(engine, tmp_path / "c.xlsx").created == 3
        again = import_compounds(engine, tmp_path / "c.xlsx")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert _counts(engine) == (3, 1, 2)
        assert _compounds(engine)["金城花园"].geometry.equals(shapely.Point(116.27, 35.02))
    finally:
        engine.dispose()


def test_update_by_code_needs_no_place_or_coordinates(engine, tmp_path):
    pd.DataFrame(FULL).to_excel(tmp_path / "c.xlsx", index=False)
    assert import_compounds(engine, tmp_path / "c.xlsx").ok
    before = _compounds(engine)["鱼山小区"]
    pd.DataFrame({"小区编码": ["XQ002"], "小区名称": ["鱼山小区"], "电梯数": [4]}).to_csv(tmp_path / "u.csv", index=False)
    report = import_compounds(engine, tmp_path / "u.csv")
    assert report.ok and report.updated == 1, report.error_lines()
    after = _compounds(engine)["鱼山小区"]
    assert after.elevators == 4 and (after.community_id, after.grid_id) == (before.community_id, before.grid_id)
    assert after.geometry.equals(before.geometry) and after.households == before.households
