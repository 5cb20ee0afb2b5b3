"""Hostile and broken input: a corpus of bad files generated here, each with the Chinese message expected.

Every bad file must fail with a clear message and write nothing; files that are
merely imperfect (self-intersecting polygons, GBK without .cpg, blank
coordinates) import with a note. Real files in tmp_path, real SQLite.
"""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import make_engine, migrate
from data.exporters import to_xlsx_bytes
from data.importers import import_boundaries, import_compounds, read_source, readers
from data.importers.readers import SourceError
from data.schema import Compound, Township
from geo.crs import wgs84_to_gcj02

TOWNS = {"金乡街道": shapely.box(116.20, 35.00, 116.30, 35.10), "鱼山街道": shapely.box(116.30, 35.00, 116.40, 35.10)}


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite")
    migrate(engine)
    county = gpd.GeoDataFrame({"名称": ["金乡县"], "行政区划代码": ["370828"]},
                              geometry=[shapely.box(116.10, 34.85, 116.50, 35.25)], crs="EPSG:4326")
    county.to_file(tmp_path / "county.geojson")
    assert import_boundaries(engine, tmp_path / "county.geojson", level="county").ok
    towns = gpd.GeoDataFrame({"镇街名称": list(TOWNS)}, geometry=list(TOWNS.values()), crs="EPSG:4326")
    towns.to_file(tmp_path / "towns.geojson")
    assert import_boundaries(engine, tmp_path / "towns.geojson", level="township").ok
    com = gpd.GeoDataFrame({"社区名称": ["城东社区", "鱼山社区"], "所属镇街": list(TOWNS)},
                           geometry=list(TOWNS.values()), crs="EPSG:4326")
    com.to_file(tmp_path / "com.geojson")
    assert import_boundaries(engine, tmp_path / "com.geojson", level="community").ok
    yield engine
    engine.dispose()


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _register(**overrides) -> pd.DataFrame:
    base = {"小区名称": ["金城花园", "鱼山小区"], "所属社区": ["城东社区", "鱼山社区"],
            "小区类型": ["商品房", "老旧小区"], "管理模式": ["专业化物业", "无物业"],
            "经度": [116.2712, 116.3587], "纬度": [35.0512, 35.0287]}
    base.update(overrides)
    return pd.DataFrame(base)


def _shapefile_zip(tmp: Path, frame: gpd.GeoDataFrame, **kwargs) -> bytes:
    folder = tmp / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / "layer.shp", **kwargs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    return buf.getvalue()


# --------------------------------------------------------------------------- the corpus
def zip_bomb(tmp: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layer.shp", b"\0" * (60 * 2**20))  # 60 MB of zeros → ~60 KB
        zf.writestr("layer.dbf", b"\0" * 10)
    return buf.getvalue(), "town.zip"


def zip_traversal(tmp: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/cron.d/layer.shp", b"x")
        zf.writestr("layer.dbf", b"x")
    return buf.getvalue(), "town.zip"


def zip_symlink(tmp: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("layer.dbf")
        info.external_attr = (0o120777 << 16)  # a symlink entry pointing at /etc/passwd
        zf.writestr(info, "/etc/passwd")
        zf.writestr("layer.shp", b"x")
    return buf.getvalue(), "town.zip"


def vrt_as_geojson(tmp: Path) -> tuple[bytes, str]:
    secret = tmp / "secret.csv"
    secret.write_text("名称,WKT\n机密,POINT(116.25 35.05)\n", encoding="utf-8")
    vrt = (f'<OGRVRTDataSource><OGRVRTLayer name="secret"><SrcDataSource>{secret}</SrcDataSource>'
           '<GeometryType>wkbPoint</GeometryType></OGRVRTLayer></OGRVRTDataSource>')
    return vrt.encode(), "小区.geojson"


def vrt_as_shp(tmp: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("layer.shp", b"<OGRVRTDataSource></OGRVRTDataSource>")
        zf.writestr("layer.dbf", b"x")
    return buf.getvalue(), "town.zip"


def exe_as_xlsx(tmp: Path) -> tuple[bytes, str]:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 500 + b"This program cannot be run in DOS mode", "小区.xlsx"


def text_as_xlsx(tmp: Path) -> tuple[bytes, str]:
    return "小区名称,经度\n金城花园,116.27\n".encode("gbk"), "小区.xlsx"


def binary_as_csv(tmp: Path) -> tuple[bytes, str]:
    return b"\x00\x01\x02\x03" * 100, "小区.csv"


def xlsx_bomb(tmp: Path) -> tuple[bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b" " * (60 * 2**20))
    return buf.getvalue(), "小区.xlsx"


CORPUS = {  # name → (builder, expected words in the message)
    "zip_bomb": (zip_bomb, "疑似压缩炸弹"),
    "zip_traversal": (zip_traversal, "不安全的路径"),
    "zip_symlink": (zip_symlink, "符号链接"),
    "vrt_as_geojson": (vrt_as_geojson, "GDAL 虚拟数据源（VRT）"),
    "vrt_as_shp": (vrt_as_shp, "内容却不是 shapefile"),
    "exe_as_xlsx": (exe_as_xlsx, "Windows 可执行程序"),
    "text_as_xlsx": (text_as_xlsx, "内容却不是 Excel 工作簿"),
    "binary_as_csv": (binary_as_csv, "二进制数据"),
    "xlsx_bomb": (xlsx_bomb, "Excel 文件压缩比异常"),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_bad_file_is_refused_with_a_chinese_message_and_nothing_written(engine, tmp_path, name):
    build, expected = CORPUS[name]
    data, filename = build(tmp_path)
    (tmp_path / "corpus").mkdir(exist_ok=True)
    (tmp_path / "corpus" / f"{name}_{filename}").write_bytes(data)  # kept with the test's files
    before = _count(engine, Compound), _count(engine, Township)
    for report in (import_compounds(engine, data, filename=filename),
                   import_boundaries(engine, data, filename=filename, level="township")):
        assert not report.ok
        messages = " ".join(e.message for e in report.errors)
        assert expected in messages, messages
    assert (_count(engine, Compound), _count(engine, Township)) == before


def test_vrt_never_reads_the_file_it_points_at(tmp_path):
    data, filename = vrt_as_geojson(tmp_path)
    with pytest.raises(SourceError, match="VRT"):
        read_source(data, level="compounds", filename=filename)


@pytest.mark.parametrize("path", ["/vsicurl/http://example.com/a.geojson", "http://example.com/a.xlsx",
                                  "/vsizip//tmp/a.zip/a.shp", "https://内网/小区.csv"])
def test_urls_and_gdal_virtual_paths_are_never_opened(path):
    with pytest.raises(SourceError, match="只能导入本机文件"):
        read_source(path, level="compounds")


def test_oversized_upload_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "MAX_BYTES", 1000)
    with pytest.raises(SourceError, match="文件过大"):
        read_source(b"a,b\n" + b"1,2\n" * 500, level="compounds", filename="x.csv")


# --------------------------------------------------------------------------- imperfect but importable
def test_self_intersecting_polygon_is_repaired_to_a_polygon_and_reported(engine, tmp_path):
    bowtie = shapely.Polygon([(116.21, 35.01), (116.23, 35.03), (116.23, 35.01), (116.21, 35.03)])
    frame = gpd.GeoDataFrame({"小区名称": ["蝴蝶小区"], "所属社区": ["城东社区"], "小区类型": ["商品房"],
                              "管理模式": ["专业化物业"]}, geometry=[bowtie], crs="EPSG:4326")
    frame.to_file(tmp_path / "bowtie.geojson")
    report = import_compounds(engine, tmp_path / "bowtie.geojson")
    assert report.ok, report.error_lines()
    assert any("自相交" in n and "已自动修复" in n for n in report.note_lines())
    with Session(engine) as s:
        geom = s.scalar(select(Compound.geometry))
    assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid and geom.area > 0


def test_swapped_latitude_and_longitude_are_named(engine, tmp_path):
    _register(经度=[35.0512, 35.0287], 纬度=[116.2712, 116.3587]).to_excel(tmp_path / "swap.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "swap.xlsx")
    assert not report.ok
    assert "颠倒" in " ".join(e.message for e in report.errors)
    assert _count(engine, Compound) == 0


def test_gbk_shapefile_without_cpg_reads_chinese(engine, tmp_path):
    frame = gpd.GeoDataFrame({"名称": list(TOWNS)}, geometry=list(TOWNS.values()), crs="EPSG:4326")
    data = _shapefile_zip(tmp_path, frame, encoding="gbk")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            if not n.endswith(".cpg"):
                raw = src.read(n)
                if n.endswith(".dbf"):
                    raw = raw[:29] + b"\x00" + raw[30:]  # no LDID code page either
                dst.writestr(n, raw)
    table = read_source(buf.getvalue(), level="township", filename="镇街.zip")
    assert sorted(r["名称"] for r in table.records) == sorted(TOWNS)


def test_duplicate_keys_within_a_file_are_listed(engine, tmp_path):
    _register(小区名称=["金城花园", "金城花园"], 所属社区=["城东社区", "城东社区"]).to_excel(
        tmp_path / "dup.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "dup.xlsx")
    assert not report.ok and "重复" in " ".join(e.message for e in report.errors)
    assert _count(engine, Compound) == 0


def test_blank_coordinates_are_kept_without_a_location(engine, tmp_path):
    _register(经度=[116.2712, None], 纬度=[35.0512, None]).to_excel(tmp_path / "blank.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "blank.xlsx")
    assert report.ok, report.error_lines()
    with Session(engine) as s:
        geoms = dict(s.execute(select(Compound.name, Compound.geometry)).all())
    assert geoms["鱼山小区"] is None and geoms["金城花园"] is not None


def test_gcj02_points_declared_as_wgs84_outside_the_county_are_refused(engine, tmp_path):
    # a compound near the county edge: its GCJ-02 position is ~500 m off, outside county + 0 m tolerance
    lon, lat = 116.4985, 35.0512
    glon, glat = wgs84_to_gcj02(lon, lat)
    _register(经度=[116.2712, float(glon)], 纬度=[35.0512, float(glat)]).to_excel(tmp_path / "g.xlsx", index=False)
    report = import_compounds(engine, tmp_path / "g.xlsx", crs="wgs84", tolerance_m=0)
    assert not report.ok
    assert "范围外" in " ".join(e.message for e in report.errors) or "超出" in " ".join(
        e.message for e in report.errors)


# --------------------------------------------------------------------------- formulas and script
def test_excel_formulas_are_not_run_on_import_and_neutralised_on_export(engine, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["小区名称", "所属社区", "小区类型", "管理模式", "地址"])
    ws.append(["金城花园", "城东社区", "商品房", "专业化物业", '=HYPERLINK("http://evil.example/x","点我")'])
    wb.save(tmp_path / "f.xlsx")
    report = import_compounds(engine, tmp_path / "f.xlsx")
    assert report.ok, report.error_lines()
    with Session(engine) as s:
        address = s.scalar(select(Compound.address))
    assert address is None or not str(address).startswith("http")  # never evaluated or fetched
    out = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"地址": [
        '=HYPERLINK("http://evil.example/x","点我")', "+1+1", "-2", "@SUM(A1)", "普通"]}))))
    cells = [c for c in out.active["A"][1:]]
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]


def test_script_in_text_fields_is_stored_as_text_and_exported_as_text(engine, tmp_path):
    hostile = '<img src=x onerror=alert(1)>`${alert(2)}`'
    _register(小区名称=[hostile, "鱼山小区"]).to_csv(tmp_path / "x.csv", index=False, encoding="utf-8")
    report = import_compounds(engine, tmp_path / "x.csv")
    assert report.ok, report.error_lines()
    with Session(engine) as s:
        assert hostile in s.scalars(select(Compound.name)).all()
    from layers.escape import escape_text

    escaped = escape_text(hostile)
    assert "<img" not in escaped and "${" not in escaped and "`" not in escaped
