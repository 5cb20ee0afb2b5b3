"""Issue 13 §3 and §5: no traceback or server path reaches a user; every upload has limits.

The attack: a 378-byte zip holding a CSV with one 200,000-character field made
``_csv.Error: field larger than field limit`` show a full traceback with server
paths on 错时停车 (road network), 数据管理 and the CLI. A road network of long
crossing lines made the graph quadratic (7.5 s, 500 MB), any parking-page user
could upload one, and a network at 0°, 0° was accepted.
"""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from data import auth, db, settings
from data.errors import scrub_paths, user_message
from data.importers.parking import read_road_network
from data.importers.readers import SourceError, UploadLimits, read_source, upload_limits
from tests import apptest

ROOT = Path(__file__).resolve().parents[1]
TRACE_WORDS = ("Traceback", "File \"", "_csv.Error", "field larger", "/tmp/", "import_", ".py\"", "line ")


def _big_field_zip(name: str = "roads.csv") -> bytes:
    """A small zip holding a CSV with one 200,000-character field (compresses to a few hundred bytes)."""
    text = "名称,经度,纬度\n" + "路" + "x" * 200_000 + ",116.3,35.07\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, text)
    return buf.getvalue()


def _no_trace(text: str) -> None:
    for word in TRACE_WORDS:
        assert word not in text, (word, text[:500])


# --------------------------------------------------------------------------- the shared reader
def test_the_big_field_zip_is_small():
    assert len(_big_field_zip()) < 1000


def test_reader_refuses_a_huge_field_in_chinese_without_paths():
    with pytest.raises(SourceError) as caught:
        read_source(_big_field_zip(), level="parking", filename="roads.zip")
    message = str(caught.value)
    assert "字段过长" in message
    _no_trace(message)


def test_reader_refuses_a_long_field_below_the_csv_module_limit():
    data = ("名称,经度,纬度\n" + "路" * 40_000 + ",116.3,35.07\n").encode()
    with pytest.raises(SourceError, match="字段过长"):
        read_source(data, level="parking", filename="a.csv")


@pytest.mark.parametrize("limits, data, name, words", [
    (UploadLimits(max_bytes=100), b"a,b\n" + b"1,2\n" * 100, "a.csv", "文件过大"),
    (UploadLimits(max_rows=3), b"name,x\n" + b"a,1\n" * 4, "a.csv", "行数过多"),
    (UploadLimits(max_rows=4), b"name,x\n" + b"a,1\n" * 4, "a.csv", None),
    (UploadLimits(max_field_chars=5), b"name,x\nabcdef,1\n", "a.csv", "字段过长"),
    (UploadLimits(max_field_chars=6), b"name,x\nabcdef,1\n", "a.csv", None),
])
def test_each_limit_is_a_refusal_at_its_threshold(limits, data, name, words):
    with upload_limits(limits):
        if words is None:
            read_source(data, level="parking", filename=name)
        else:
            with pytest.raises(SourceError, match=words):
                read_source(data, level="parking", filename=name)


def _geojson(lines) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": f"路{i}"}, "geometry": {"type": "LineString", "coordinates": c}}
        for i, c in enumerate(lines)]}).encode()


@pytest.mark.parametrize("limits, words", [
    (UploadLimits(max_features=2), "要素过多"),
    (UploadLimits(max_features=3, max_vertices=5), "顶点过多"),
    (UploadLimits(max_features=3, max_vertices=6), None),
])
def test_feature_and_vertex_limits(limits, words):
    data = _geojson([[[116.3, 35.07], [116.31, 35.07]]] * 3)
    with upload_limits(limits):
        if words is None:
            assert len(read_source(data, level="parking", filename="r.geojson").records) == 3
        else:
            with pytest.raises(SourceError, match=words):
                read_source(data, level="parking", filename="r.geojson")


def test_limits_are_settings_with_chinese_labels():
    for key in ("upload_max_mb", "upload_max_rows", "upload_max_features", "upload_max_vertices",
                "upload_max_field_chars", "road_max_segments", "road_county_margin_km"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in settings.BY_KEY[key].label), key


def test_unexpected_errors_get_an_id_that_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="wyjg"):
        message = user_message(KeyError("/tmp/import_x1y2/upload.geojson"), action="导入")
    eid = message.split("错误编号 ")[1].split("）")[0]
    assert eid.startswith("E") and eid in caplog.text and "Traceback" not in message
    _no_trace(message)


@pytest.mark.parametrize("text, shown", [
    ("无法读取文件：/tmp/import_ab12cd/upload.geojson: Failed to read", "无法读取文件：上传的文件: Failed to read"),
    ("C:\\Users\\x\\AppData\\Local\\Temp\\import_1\\inner.csv 无效", "上传的文件 无效"),
    ("文件不存在：/home/user/数据/小区名册.xlsx", "文件不存在：小区名册.xlsx"),
    ("第 3 行：名称不能为空", "第 3 行：名称不能为空"),
    ("时段 18:00-07:30 或 1/3", "时段 18:00-07:30 或 1/3"),
])
def test_paths_are_scrubbed(text, shown):
    assert scrub_paths(text) == shown


# --------------------------------------------------------------------------- the road network
@pytest.fixture(scope="module")
def demo(page_demo):
    url = page_demo("uploads")
    engine = db.make_engine(url)
    yield url, engine
    engine.dispose()


def test_road_network_upload_needs_the_right_to_draft_proposals(demo):
    _, engine = demo
    data = _geojson([[[116.30, 35.07], [116.31, 35.07]]])
    for user in ("jinxiang_sq1", "leader", "inspector1", "admin"):
        with pytest.raises(PermissionError):
            read_road_network(data, filename="r.geojson", engine=engine, actor=auth.get_account(engine, user))
    assert len(read_road_network(data, filename="r.geojson", engine=engine,
                                 actor=auth.get_account(engine, "jinxiang_jd"))) == 1


@pytest.mark.parametrize("where", [[[0.0, 0.0], [0.001, 0.0]], [[117.5, 35.07], [117.51, 35.07]]])
def test_road_network_outside_the_county_is_refused(demo, where):
    _, engine = demo
    with pytest.raises(ValueError, match="超出县界|不在中国境内"):
        read_road_network(_geojson([where]), filename="r.geojson", engine=engine)


def test_road_network_just_inside_the_margin_is_accepted(demo):
    """The county outline grown by road_county_margin_km: a line 1 km outside passes at 5 km, not at 0."""
    import geopandas as gpd

    from data import queries
    from geo.projection import metric_crs

    import shapely

    _, engine = demo
    outline = queries.county(engine).geometry.iloc[0]
    crs = metric_crs(outline.centroid.x)
    shape = gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(crs).iloc[0]
    xy = shapely.get_coordinates(shape)
    x, y = xy[xy[:, 0].argmax()]  # the easternmost vertex: 1 km east of it is 1 km outside
    line = gpd.GeoSeries.from_wkt([f"LINESTRING({x + 1000} {y}, {x + 1100} {y})"], crs=crs)
    assert 999 < line.distance(shape).iloc[0] < 1001
    coords = [list(c) for c in line.to_crs(4326).iloc[0].coords]
    assert len(read_road_network(_geojson([coords]), filename="r.geojson", engine=engine)) == 1
    settings.set_value(engine, "road_county_margin_km", 0)
    try:
        with pytest.raises(ValueError, match="超出县界"):
            read_road_network(_geojson([coords]), filename="r.geojson", engine=engine)
    finally:
        settings.set_value(engine, "road_county_margin_km", 5)


def test_a_quadratic_road_network_is_refused_before_the_work(demo):
    """800 long lines, each crossing half the others (~160,000 crossings): refused by road_max_segments."""
    import time

    sys.path.insert(0, str(ROOT))
    from tests.bench.bench_road_network import long_streets

    _, engine = demo
    lines = [[list(c) for c in g.coords] for g in long_streets(800)]
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="线段过多"):
        read_road_network(_geojson(lines), filename="r.geojson", engine=engine)
    assert time.perf_counter() - t0 < 60  # not a timing test: the old path took minutes on a busy machine


def test_split_at_crossings_cuts_where_lines_cross():
    from shapely.geometry import LineString

    from geo.lines import split_at_crossings

    pieces = split_at_crossings([LineString([(0, 1), (2, 1)]), LineString([(1, 0), (1, 2)]),
                                 LineString([(5, 5), (6, 6)])])
    assert sorted(round(p.length, 9) for p in pieces) == [1, 1, 1, 1, round(2 ** 0.5, 9)]
    ends = {tuple(p.coords[-1]) for p in pieces} | {tuple(p.coords[0]) for p in pieces}
    assert (1.0, 1.0) in ends


# --------------------------------------------------------------------------- pages and the CLI
def _page_messages(at) -> str:
    """Every text a person sees: messages, markdown, captions, table cells, exceptions."""
    parts = [str(e.value) for kind in ("markdown", "caption", "error", "warning", "info", "success", "exception")
             for e in at.get(kind)]
    parts += [f.value.to_csv() for f in at.dataframe]
    return "\n".join(parts)


def test_parking_page_shows_a_chinese_message_with_an_error_id(demo, monkeypatch):
    url, _ = demo
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page("pages/parking.py", user="jinxiang_jd", timeout=180)
    at.file_uploader(key="pk_network").set_value(("roads.zip", _big_field_zip(), "application/zip")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("错误编号" in e and "字段过长" in e for e in errors), errors
    _no_trace(_page_messages(at))


def test_community_user_gets_no_road_network_upload(demo, monkeypatch):
    url, _ = demo
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page("pages/parking.py", user="jinxiang_sq1", timeout=180)
    assert not [u for u in at.file_uploader if u.key == "pk_network"]


def test_data_page_shows_no_traceback(demo, monkeypatch):
    url, _ = demo
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page("pages/data.py", user="housing", timeout=180)
    for kind in ("compounds", "parking"):
        at.radio(key="import_kind").set_value(kind).run()
        at.file_uploader(key="import_file").set_value(("roads.zip", _big_field_zip(), "application/zip")).run()
        at.button(key="import_go").click().run()
        assert not at.exception, [e.value for e in at.exception]
        text = _page_messages(at)
        assert "字段过长" in text, kind
        _no_trace(text)


def test_cli_shows_no_traceback(tmp_path, demo):
    path = tmp_path / "roads.zip"
    path.write_bytes(_big_field_zip())
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url}
    for kind in ("parking", "compounds"):
        run = subprocess.run([sys.executable, "-m", "data", "import", kind, str(path), "--db", url],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        out = run.stdout + run.stderr
        assert run.returncode != 0
        assert "字段过长" in out, out
        for word in ("Traceback", "_csv.Error", "import_"):
            assert word not in out, out
