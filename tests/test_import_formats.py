"""Importers: file formats, text encodings and coordinate systems, on real files in tmp_path."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import make_engine, migrate
from data.importers import import_boundaries, import_compounds, read_source
from data.importers.encoding import detect_text_encoding, find_mojibake, shapefile_encoding
from data.schema import Compound, Township
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02

TOWNSHIPS = {"金乡街道": shapely.box(116.20, 35.00, 116.30, 35.10), "鱼山街道": shapely.box(116.30, 35.00, 116.40, 35.10)}
COMMUNITIES = [("城东社区", "金乡街道", shapely.box(116.25, 35.00, 116.30, 35.10)),
               ("城西社区", "金乡街道", shapely.box(116.20, 35.00, 116.25, 35.10)),
               ("鱼山社区", "鱼山街道", shapely.box(116.30, 35.00, 116.40, 35.10))]
POINTS = {"金城花园": (116.2712345, 35.0512345), "鱼山小区": (116.3587654, 35.0287654)}


def _engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite")
    migrate(engine)
    return engine


def _townships_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"镇街名称": list(TOWNSHIPS), "代码": ["370828001", "370828002"]},
                            geometry=list(TOWNSHIPS.values()), crs="EPSG:4326")


def _zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"镇街/{f.name}")
    return out


def _stored_townships(engine) -> dict:
    with Session(engine) as s:
        return {t.name: t for t in s.scalars(select(Township))}


@pytest.fixture
def engine(tmp_path):
    return _engine(tmp_path)


@pytest.fixture
def seeded(tmp_path):
    """A database with county, townships and communities, imported from GeoJSON."""
    engine = _engine(tmp_path)
    county = gpd.GeoDataFrame({"名称": ["金乡县"], "行政区划代码": ["370828"]},
                              geometry=[shapely.box(116.10, 34.85, 116.50, 35.25)], crs="EPSG:4326")
    county.to_file(tmp_path / "county.geojson")
    assert import_boundaries(engine, tmp_path / "county.geojson", level="county").ok
    _townships_frame().to_file(tmp_path / "towns.geojson")
    assert import_boundaries(engine, tmp_path / "towns.geojson", level="township").ok
    com = gpd.GeoDataFrame({"社区名称": [c[0] for c in COMMUNITIES], "所属镇街": [c[1] for c in COMMUNITIES]},
                           geometry=[c[2] for c in COMMUNITIES], crs="EPSG:4326")
    com.to_file(tmp_path / "com.geojson")
    assert import_boundaries(engine, tmp_path / "com.geojson", level="community").ok
    return engine


def _compound_rows(coords: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    coords = coords or POINTS
    return pd.DataFrame({
        "小区名称": list(coords), "所属社区": ["城东社区", "鱼山社区"], "小区类型": ["商品房", "老旧小区"],
        "管理模式": ["专业化物业", "无物业"], "经度": [c[0] for c in coords.values()],
        "纬度": [c[1] for c in coords.values()],
    })


def _stored_points(engine) -> dict[str, tuple[float, float]]:
    with Session(engine) as s:
        return {c.name: (c.geometry.x, c.geometry.y) for c in s.scalars(select(Compound))}


# --------------------------------------------------------------------------- vector formats
def test_geojson_and_geopackage(engine, tmp_path):
    _townships_frame().to_file(tmp_path / "t.gpkg", layer="镇街", driver="GPKG")
    report = import_boundaries(engine, tmp_path / "t.gpkg", level="township")
    assert report.ok, report.error_lines()
    assert report.created == 2 and "GeoPackage" in report.crs
    stored = _stored_townships(engine)
    assert stored["鱼山街道"].code == "370828002" and stored["鱼山街道"].kind == "街道"
    assert shapely.equals_exact(stored["金乡街道"].geometry, TOWNSHIPS["金乡街道"], tolerance=1e-12)


@pytest.mark.parametrize(("keep_cpg", "ldid"), [(True, 0), (False, 0), (False, 0x57), (False, 0x4D)],
                         ids=["cpg", "no-cpg", "no-cpg-ansi-ldid", "no-cpg-gbk-ldid"])
def test_zipped_gbk_shapefile(engine, tmp_path, keep_cpg, ldid):
    folder = tmp_path / "shp"
    folder.mkdir()
    _townships_frame().to_file(folder / "镇街.shp", encoding="gbk")
    assert (folder / "镇街.cpg").read_text().strip().upper() == "GBK"
    if not keep_cpg:
        (folder / "镇街.cpg").unlink()
    dbf = folder / "镇街.dbf"
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))
    assert "名称".encode("gbk") in data  # really GBK bytes on disk
    report = import_boundaries(engine, _zip(folder, tmp_path / "镇街.shp.zip"), level="township")
    assert report.ok, report.error_lines()
    assert set(_stored_townships(engine)) == {"金乡街道", "鱼山街道"}
    assert "GB18030" in report.encoding


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_utf8_shapefile_without_cpg_is_read_as_utf8(tmp_path):
    _townships_frame().to_file(tmp_path / "u.shp", encoding="utf-8")
    (tmp_path / "u.cpg").unlink()
    codec, how = shapefile_encoding(tmp_path / "u.shp")
    assert codec == "utf-8" and "UTF-8" in how
    table = read_source(tmp_path / "u.shp", level="township")
    assert [r["代码"] for r in table.records] == ["370828001", "370828002"]
    assert any("金乡街道" == v for r in table.records for v in r.values())


def test_lying_cpg_is_refused_not_read_as_mojibake(engine, tmp_path):
    _townships_frame().to_file(tmp_path / "t.shp", encoding="gbk")
    (tmp_path / "t.cpg").write_text("1252")
    report = import_boundaries(engine, tmp_path / "t.shp", level="township")
    assert not report.ok and "乱码" in report.error_lines()[0]
    assert _stored_townships(engine) == {}
    fixed = import_boundaries(engine, tmp_path / "t.shp", level="township", encoding="gbk")
    assert fixed.ok and set(_stored_townships(engine)) == {"金乡街道", "鱼山街道"}


def test_cgcs2000_gauss_kruger_shapefile_with_prj(engine, tmp_path):
    _townships_frame().to_crs("EPSG:4548").to_file(tmp_path / "gk.shp", encoding="gbk")
    assert "CGCS2000_3_Degree_GK_CM_117E" in (tmp_path / "gk.prj").read_text()
    report = import_boundaries(engine, tmp_path / "gk.shp", level="township")
    assert report.ok, report.error_lines()
    assert "EPSG:4548" in report.crs
    for name, geom in _stored_townships(engine).items():
        assert geom.geometry.equals_exact(TOWNSHIPS[name].normalize(), 1e-6) or \
            shapely.hausdorff_distance(geom.geometry, TOWNSHIPS[name]) < 1e-6


def test_zone_prefixed_gauss_kruger_without_prj_is_recognised(engine, tmp_path):
    _townships_frame().to_crs("EPSG:4527").to_file(tmp_path / "z.shp", encoding="gbk")
    (tmp_path / "z.prj").unlink()
    report = import_boundaries(engine, tmp_path / "z.shp", level="township")
    assert report.ok, report.error_lines()
    assert "EPSG:4527" in report.crs and any("按坐标范围识别" in n for n in report.note_lines())
    stored = _stored_townships(engine)
    assert shapely.hausdorff_distance(stored["金乡街道"].geometry, TOWNSHIPS["金乡街道"]) < 1e-6


def test_gauss_kruger_without_zone_uses_the_county_meridian(seeded, tmp_path):
    frame = _townships_frame().to_crs("EPSG:4548")
    frame["geometry"] = frame.geometry.translate(0, 0)
    frame.to_file(tmp_path / "nz.shp", encoding="gbk")
    (tmp_path / "nz.prj").unlink()
    report = import_boundaries(seeded, tmp_path / "nz.shp", level="township", crs="cgcs2000")
    assert report.ok, report.error_lines()
    assert "EPSG:4548" in report.crs and report.unchanged == 2


def test_projected_numbers_with_a_degree_declaration_are_an_error(engine, tmp_path):
    _townships_frame().to_crs("EPSG:4548").to_file(tmp_path / "gk.shp", encoding="gbk")
    report = import_boundaries(engine, tmp_path / "gk.shp", level="township", crs="gcj02")
    assert not report.ok and "不是经纬度" in report.error_lines()[0]
    assert _stored_townships(engine) == {}


# --------------------------------------------------------------------------- CSV / Excel
@pytest.mark.parametrize(("codec", "label"), [("utf-8", "UTF-8"), ("utf-8-sig", "BOM"), ("gbk", "GB18030")])
def test_csv_encodings(seeded, tmp_path, codec, label):
    path = tmp_path / "小区.csv"
    path.write_bytes(_compound_rows().to_csv(index=False).encode(codec))
    report = import_compounds(seeded, path)
    assert report.ok, report.error_lines()
    assert label in report.encoding
    assert set(_stored_points(seeded)) == {"金城花园", "鱼山小区"}


def test_short_gbk_text_is_not_mistaken_for_korean():
    raw = "名称,户数\n金乡,1\n".encode("gbk")
    assert detect_text_encoding(raw) == "gb18030"
    assert detect_text_encoding("名称".encode("utf-8")) == "utf-8"
    assert detect_text_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"


def test_find_mojibake():
    assert find_mojibake(["金乡街道", "abc", "Ãû³Æ"]) == "Ãû³Æ"
    assert find_mojibake(["é‡‘ä¹¡"]) == "é‡‘ä¹¡"
    assert find_mojibake(["金乡街道", "社区“惠民”物业兜底", "No. 5"]) is None


def test_excel_with_title_row_keeps_excel_row_numbers(seeded, tmp_path):
    path = tmp_path / "小区.xlsx"
    df = _compound_rows()
    df.loc[1, "小区类型"] = "别墅"
    with pd.ExcelWriter(path) as xw:
        df.to_excel(xw, index=False, startrow=1, sheet_name="小区档案")
        xw.sheets["小区档案"]["A1"] = "金乡县住宅小区档案（2024年）"
    report = import_compounds(seeded, path)
    assert report.error_lines() == [
        "第 4 行 小区类型：'别墅' 不是允许的小区类型（可选：商品房、老旧小区、回迁安置小区、三无小区）"
    ]
    assert any("表头在第 2 行" in n for n in report.note_lines())


@pytest.mark.parametrize(("crs", "label", "convert", "tol"),
                         [("gcj02", "GCJ-02（指定）", wgs84_to_gcj02, 1e-6), ("bd09", "BD-09（指定）", wgs84_to_bd09, 2e-6)])
def test_declared_gcj02_and_bd09_are_converted_back(seeded, tmp_path, crs, label, convert, tol):
    shifted = {name: convert(*p) for name, p in POINTS.items()}
    assert all(np.hypot(shifted[n][0] - POINTS[n][0], shifted[n][1] - POINTS[n][1]) > 3e-3 for n in POINTS)
    path = tmp_path / "c.xlsx"
    _compound_rows(shifted).to_excel(path, index=False)
    report = import_compounds(seeded, path, crs=crs)
    assert report.ok, report.error_lines()
    assert report.crs == f"{label}→ WGS-84"
    for name, (x, y) in _stored_points(seeded).items():
        assert abs(x - POINTS[name][0]) < tol and abs(y - POINTS[name][1]) < tol


def test_undeclared_degrees_are_taken_as_wgs84_with_a_note(seeded, tmp_path):
    path = tmp_path / "c.csv"
    _compound_rows().to_csv(path, index=False)
    report = import_compounds(seeded, path)
    assert report.ok and report.crs.startswith("WGS-84")
    assert any("按 WGS-84（CGCS2000）处理" in n for n in report.note_lines())
    assert _stored_points(seeded)["金城花园"] == POINTS["金城花园"]


def test_survey_xy_columns_are_swapped_with_a_note(seeded, tmp_path):
    pts = gpd.GeoSeries([shapely.Point(p) for p in POINTS.values()], crs="EPSG:4326").to_crs("EPSG:4527")
    df = _compound_rows().drop(columns=["经度", "纬度"])
    df["X坐标"], df["Y坐标"] = pts.y.values, pts.x.values  # surveyors' X is the northing
    df.to_excel(tmp_path / "xy.xlsx", index=False)
    report = import_compounds(seeded, tmp_path / "xy.xlsx")
    assert report.ok, report.error_lines()
    assert any("对调" in n for n in report.note_lines()) and "EPSG:4527" in report.crs
    for name, (x, y) in _stored_points(seeded).items():
        assert abs(x - POINTS[name][0]) < 1e-7 and abs(y - POINTS[name][1]) < 1e-7


def test_upload_bytes_and_unsupported_files(seeded, tmp_path):
    data = _compound_rows().to_csv(index=False).encode("gbk")
    assert import_compounds(seeded, data, filename="小区.csv").ok
    old = import_compounds(seeded, b"\xd0\xcf\x11\xe0", filename="小区.xls")
    assert not old.ok and "另存为 .xlsx" in old.error_lines()[0]
    missing = import_compounds(seeded, tmp_path / "nope.csv")
    assert not missing.ok and "不存在" in missing.error_lines()[0]
    with Session(seeded) as s:
        assert s.scalar(select(func.count()).select_from(Compound)) == 2


def test_zip_without_dbf_is_reported(engine, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    _townships_frame().to_file(folder / "t.shp", encoding="gbk")
    (folder / "t.dbf").unlink()
    report = import_boundaries(engine, _zip(folder, tmp_path / "t.zip"), level="township")
    assert not report.ok and ".dbf" in report.error_lines()[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # GDAL's own warning about laundering the name
def test_dbf_truncated_utf8_field_name_still_counts_as_utf8(tmp_path):
    # GDAL cuts UTF-8 field names at 10 bytes, possibly mid-character: not a sign of GBK.
    gpd.GeoDataFrame({"维修资金余额": ["一二三"]}, geometry=[shapely.Point(116.3, 35.0)], crs=4326) \
        .to_file(tmp_path / "u.shp", encoding="utf-8")
    (tmp_path / "u.cpg").unlink()
    raw = (tmp_path / "u.dbf").read_bytes()
    assert struct.unpack("<H", raw[8:10])[0] > 32
    assert shapefile_encoding(tmp_path / "u.shp")[0] == "utf-8"
    table = read_source(tmp_path / "u.shp", level="compounds")
    assert table.headers == ["维修资"] and table.records[0]["维修资"] == "一二三"
    assert any("截断" in n for n in table.notes)
    assert (tmp_path / "u.dbf").read_bytes() == raw  # the user's file is left alone


def test_geojson_crs_member_and_geojson_without_one(engine, tmp_path):
    _townships_frame().to_crs("EPSG:4548").to_file(tmp_path / "gk.geojson")
    assert "4548" in (tmp_path / "gk.geojson").read_text()  # GDAL wrote a "crs" member
    report = import_boundaries(engine, tmp_path / "gk.geojson", level="township")
    assert report.ok and report.crs.startswith("EPSG:4548") and "GeoJSON" in report.crs
    # Same numbers with the "crs" member removed: GDAL calls it EPSG:4326, the ranges say otherwise.
    zoned = _townships_frame().to_crs("EPSG:4527")
    (tmp_path / "bare.geojson").write_text(zoned.set_crs(None, allow_override=True).to_json())
    again = import_boundaries(engine, tmp_path / "bare.geojson", level="township")
    assert again.ok and again.crs.startswith("EPSG:4527") and again.unchanged == 2, again.error_lines()
    assert any("不是经纬度" in n for n in again.note_lines())


def test_cpg_saying_utf8_over_gbk_bytes_falls_back_with_a_reason(tmp_path):
    _townships_frame().to_file(tmp_path / "t.shp", encoding="gbk")
    (tmp_path / "t.cpg").write_text("UTF-8")
    codec, how = shapefile_encoding(tmp_path / "t.shp")
    assert codec == "gb18030" and "内容不符" in how
    table = read_source(tmp_path / "t.shp", level="township")
    assert [r["镇街名称"] for r in table.records] == list(TOWNSHIPS)


def test_same_geometry_in_another_vertex_order_is_unchanged():
    from data.importers.places import same

    box = shapely.box(116.2, 35.0, 116.3, 35.1)
    assert same(box, box.reverse()) and same(box, shapely.Polygon(box.exterior.coords[2:] + box.exterior.coords[1:3]))
    assert not same(box, shapely.box(116.2, 35.0, 116.3, 35.1000001))
    assert same(shapely.Point(1, 2), shapely.Point(1, 2 + 1e-10)) and not same(shapely.Point(1, 2), None)
    assert same(1, 1.0) and same(None, None) and not same(True, 2)


def test_declared_encoding_is_strict(seeded, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(_compound_rows().to_csv(index=False).encode("gbk"))
    wrong = import_compounds(seeded, path, encoding="utf-8")
    assert not wrong.ok and "不是 utf-8 编码" in wrong.error_lines()[0]
    right = import_compounds(seeded, path, encoding="gbk")
    assert right.ok and right.encoding == "GB18030（GBK）（指定）"
