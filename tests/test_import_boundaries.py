"""Boundary imports: county, townships, communities, grids — upsert, validation, all-or-nothing."""
from __future__ import annotations

import json
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
from data.importers import import_boundaries
from data.schema import Community, County, Grid, Township

COUNTY = shapely.box(116.10, 34.85, 116.50, 35.25)
TOWNSHIPS = {"金乡街道": shapely.box(116.20, 35.00, 116.30, 35.10), "鱼山街道": shapely.box(116.30, 35.00, 116.40, 35.10)}
BOWTIE = shapely.Polygon([(116.20, 35.00), (116.30, 35.10), (116.30, 35.00), (116.20, 35.10)])
FLAT = shapely.Polygon([(116.20, 35.00), (116.25, 35.00), (116.30, 35.00), (116.20, 35.00)])


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _all(engine, model) -> dict:
    with Session(engine) as s:
        return {r.name: r for r in s.scalars(select(model))}


def _geojson(path: Path, columns: dict, geoms: list) -> Path:
    gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326").to_file(path)
    return path


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite")
    migrate(engine)
    return engine


@pytest.fixture
def county(engine, tmp_path):
    path = _geojson(tmp_path / "county.geojson", {"名称": ["金乡县"], "行政区划代码": ["370828"]}, [COUNTY])
    assert import_boundaries(engine, path, level="county").ok
    return engine


@pytest.fixture
def towns_file(tmp_path) -> Path:
    return _geojson(tmp_path / "towns.geojson", {"镇街名称": list(TOWNSHIPS), "代码": ["370828001", "370828002"]},
                    list(TOWNSHIPS.values()))


# --------------------------------------------------------------------------- county
def test_county_from_bare_geometry_with_keyword_name_and_adcode(engine, tmp_path):
    path = tmp_path / "370828.geojson"
    path.write_text(json.dumps(shapely.geometry.mapping(COUNTY)))  # cnmaps style: geometry only
    report = import_boundaries(engine, path, level="county", name="金乡县", adcode="370828")
    assert report.ok and report.created == 1, report.error_lines()
    with Session(engine) as s:
        row = s.get(County, "370828")
        assert row.name == "金乡县" and row.geometry.equals(COUNTY) and "370828.geojson" in row.source
    again = import_boundaries(engine, path, level="county", name="金乡县", adcode="370828")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    bigger = tmp_path / "bigger.geojson"
    bigger.write_text(json.dumps(shapely.geometry.mapping(COUNTY.buffer(0.01))))
    assert import_boundaries(engine, bigger, level="county", adcode="370828").updated == 1
    assert _count(engine, County) == 1


@pytest.mark.parametrize("adcode", ["37082", "3708281", "金乡"])
def test_county_adcode_must_be_six_digits(engine, tmp_path, adcode):
    path = _geojson(tmp_path / "c.geojson", {"name": ["金乡县"]}, [COUNTY])
    report = import_boundaries(engine, path, level="county", adcode=adcode)
    assert not report.ok and "6 位数字" in report.error_lines()[0]
    assert _count(engine, County) == 0


def test_county_needs_an_adcode_and_cannot_switch_county(engine, tmp_path):
    path = _geojson(tmp_path / "c.geojson", {"name": ["金乡县"]}, [COUNTY])
    assert "行政区划代码" in import_boundaries(engine, path, level="county").error_lines()[0]
    assert import_boundaries(engine, path, level="county", adcode="370828").ok
    other = import_boundaries(engine, path, level="county", adcode="370826", name="微山县")
    assert not other.ok and "不一致" in other.error_lines()[0]


def test_county_file_with_several_counties_needs_a_choice(engine, tmp_path):
    path = _geojson(tmp_path / "city.geojson", {"adcode": ["370828", "370829"], "name": ["金乡县", "嘉祥县"]},
                    [COUNTY, shapely.box(116.2, 35.3, 116.5, 35.6)])
    assert "请用 adcode= 或 name= 指定" in import_boundaries(engine, path, level="county").error_lines()[0]
    report = import_boundaries(engine, path, level="county", adcode="370829")
    assert report.ok and _all(engine, County)["嘉祥县"].adcode == "370829"


# --------------------------------------------------------------------------- townships
def test_township_reimport_is_idempotent(county, towns_file):
    first = import_boundaries(county, towns_file, level="township")
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0), first.error_lines()
    second = import_boundaries(county, towns_file, level="township")
    assert second.ok and (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert _count(county, Township) == 2
    stored = _all(county, Township)
    assert stored["金乡街道"].code == "370828001" and stored["金乡街道"].kind == "街道"
    assert not stored["金乡街道"].synthetic


def test_township_dry_run_writes_nothing_but_counts(county, towns_file):
    report = import_boundaries(county, towns_file, level="township", dry_run=True)
    assert report.ok and report.created == 2 and not report.written
    assert "仅校验" in report.summary() and "将新建 2" in report.summary()
    assert _count(county, Township) == 0


def test_township_update_by_code_and_generated_codes(county, tmp_path, towns_file):
    import_boundaries(county, towns_file, level="township")
    renamed = _geojson(tmp_path / "r.geojson", {"名称": ["金城街道", "鸡黍镇"], "代码": ["370828001", None]},
                       [TOWNSHIPS["金乡街道"], shapely.box(116.15, 34.90, 116.20, 35.00)])
    report = import_boundaries(county, renamed, level="township")
    assert report.ok and (report.created, report.updated) == (1, 1), report.error_lines()
    stored = _all(county, Township)
    assert "金乡街道" not in stored and stored["金城街道"].code == "370828001"
    assert stored["鸡黍镇"].code == "370828-001" and stored["鸡黍镇"].kind == "镇"
    assert any("已生成 370828-001" in n for n in report.note_lines())


def test_excel_with_wkt_column(county, tmp_path):
    path = tmp_path / "镇街.xlsx"
    pd.DataFrame({"乡镇名称": list(TOWNSHIPS), "WKT": [g.wkt for g in TOWNSHIPS.values()]}).to_excel(path, index=False)
    report = import_boundaries(county, path, level="township")
    assert report.ok and report.created == 2, report.error_lines()
    assert _all(county, Township)["鱼山街道"].geometry.equals(TOWNSHIPS["鱼山街道"])


def test_invalid_geometries(county, tmp_path):
    path = _geojson(tmp_path / "bad.geojson",
                    {"名称": ["蝴蝶镇", "扁平镇", "点镇", "空镇", "外县镇"]},
                    [BOWTIE, FLAT, shapely.Point(116.3, 35.0), None, shapely.box(117.0, 35.0, 117.1, 35.1)])
    report = import_boundaries(county, path, level="township")
    assert report.error_lines() == [
        "第 3 行 几何图形：无效且无法修复（自相交，位置约 116.250000, 35.000000）",
        "第 4 行 几何图形：应为面（多边形），实际为点",
        "第 5 行 几何图形：为空（缺少边界）",
        "第 6 行 几何图形：位于金乡县范围外（容差 1000 米）：请检查坐标或坐标系",
    ]
    assert _count(county, Township) == 0
    only_bowtie = _geojson(tmp_path / "bowtie.geojson", {"名称": ["蝴蝶镇"]}, [BOWTIE])
    fixed = import_boundaries(county, only_bowtie, level="township")
    assert fixed.ok and "第 2 行 几何图形：无效（自相交，位置约 116.250000, 35.050000），已自动修复" in fixed.note_lines()
    stored = _all(county, Township)["蝴蝶镇"].geometry
    assert stored.is_valid and stored.geom_type == "MultiPolygon" and stored.area == pytest.approx(0.005)


def test_duplicates_inside_the_file(county, tmp_path):
    path = _geojson(tmp_path / "dup.geojson", {"名称": ["金乡街道", "金乡街道", "鱼山街道"],
                                               "代码": ["370828001", "370828009", "370828001"]},
                    [TOWNSHIPS["金乡街道"]] * 2 + [TOWNSHIPS["鱼山街道"]])
    report = import_boundaries(county, path, level="township")
    assert report.error_lines() == ["第 3 行 名称：'金乡街道' 与第 2 行重复", "第 4 行 代码：'370828001' 与第 2 行重复"]
    assert _count(county, Township) == 0


# --------------------------------------------------------------------------- communities and grids
def test_communities_by_name_or_by_location(county, tmp_path, towns_file):
    import_boundaries(county, towns_file, level="township")
    path = _geojson(tmp_path / "com.geojson", {"社区名称": ["城东社区", "城西社区"], "所属镇街": ["金乡街道", None]},
                    [shapely.box(116.25, 35.00, 116.30, 35.10), shapely.box(116.20, 35.00, 116.25, 35.10)])
    report = import_boundaries(county, path, level="community")
    assert report.ok and report.created == 2, report.error_lines()
    assert "第 3 行 所属镇街：按位置确定为“金乡街道”" in report.note_lines()
    stored = _all(county, Community)
    towns = _all(county, Township)
    assert {c.township_id for c in stored.values()} == {towns["金乡街道"].id}
    assert import_boundaries(county, path, level="community").unchanged == 2
    assert _count(county, Community) == 2


def test_community_errors_list_every_row(county, tmp_path, towns_file):
    import_boundaries(county, towns_file, level="township")
    path = _geojson(tmp_path / "com.geojson",
                    {"社区名称": ["城东社区", "城东社区", "北社区", None], "所属镇街": ["金乡镇", "金乡街道", None, "金乡街道"]},
                    [shapely.box(116.25, 35.00, 116.30, 35.10), shapely.box(116.25, 35.0, 116.3, 35.1),
                     shapely.box(116.20, 35.20, 116.25, 35.24), shapely.box(116.20, 35.0, 116.25, 35.1)])
    report = import_boundaries(county, path, level="community")
    assert report.error_lines() == [
        "第 2 行 所属镇街：'金乡镇' 不存在（现有：金乡街道、鱼山街道）",
        "第 4 行 所属镇街：为空，且边界不在任何已有镇街范围内",
        "第 5 行 社区名称：为空",
    ]
    assert _count(county, Community) == 0


def test_grids_with_worker_phone_as_text(county, tmp_path, towns_file):
    import_boundaries(county, towns_file, level="township")
    com = _geojson(tmp_path / "com.geojson", {"社区名称": ["城东社区"], "所属镇街": ["金乡街道"]},
                   [shapely.box(116.25, 35.00, 116.30, 35.10)])
    assert import_boundaries(county, com, level="community").ok
    path = tmp_path / "网格.xlsx"
    pd.DataFrame({
        "网格名称": ["城东一网格", "城东二网格"], "网格编码": ["W001", "W002"], "所属社区": ["城东社区", None],
        "网格员": ["李四", "王五"], "联系电话": [13800001234, "0537-1234567"],
        "WKT": [shapely.box(116.25, 35.00, 116.30, 35.05).wkt, shapely.box(116.25, 35.05, 116.30, 35.10).wkt],
    }).to_excel(path, index=False)
    report = import_boundaries(county, path, level="grid")
    assert report.ok and report.created == 2, report.error_lines()
    grids = _all(county, Grid)
    community = _all(county, Community)["城东社区"]
    assert grids["城东一网格"].worker_phone == "13800001234"
    assert grids["城东二网格"].worker_phone == "0537-1234567"
    assert {g.community_id for g in grids.values()} == {community.id}
    assert "第 3 行 所属社区：按位置确定为“城东社区”" in report.note_lines()
    assert import_boundaries(county, path, level="grid").unchanged == 2


# --------------------------------------------------------------------------- command line
def test_cli_import_and_error_report(tmp_path, towns_file, capsys):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    assert cli(["--db", url, "import", "boundaries", str(towns_file), "--level", "township"]) == 0
    assert "新建 2" in capsys.readouterr().out
    bad = _geojson(tmp_path / "bad.geojson", {"名称": ["点镇"]}, [shapely.Point(116.3, 35.0)])
    out = tmp_path / "错误.xlsx"
    assert cli(["--db", url, "import", "boundaries", str(bad), "--level", "township", "--report", str(out)]) == 1
    assert "第 2 行" in capsys.readouterr().err
    ws = openpyxl.load_workbook(out)["错误"]
    assert [c.value for c in ws[1]] == ["行号", "列", "值", "原因"]
    assert ws["A2"].value == 2 and "实际为点" in ws["D2"].value


def test_county_keyword_must_match_the_file(engine, tmp_path):
    path = _geojson(tmp_path / "c.geojson", {"name": ["金乡县"], "adcode": ["370828"]}, [COUNTY])
    report = import_boundaries(engine, path, level="county", adcode="370826")
    assert report.error_lines() == ["'370826' 文件中没有这个县（文件中有：金乡县 370828）"]
    assert import_boundaries(engine, path, level="county", name="金乡县").ok


def test_without_county_outline_coordinates_must_be_in_china(engine, tmp_path):
    path = _geojson(tmp_path / "t.geojson", {"名称": ["中国镇", "海外镇"]},
                    [TOWNSHIPS["金乡街道"], shapely.box(10.0, 50.0, 10.1, 50.1)])
    report = import_boundaries(engine, path, level="township")
    assert report.error_lines() == ["第 3 行 几何图形：坐标不在中国境内：请检查坐标系，或经纬度是否颠倒"]
    assert "数据库中没有县域边界，只检查坐标是否在中国境内" in report.note_lines()
    assert _count(engine, Township) == 0
