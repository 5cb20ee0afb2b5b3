"""Packed features (layers/packed.py): same shapes and properties as GeoJSON, fewer bytes, escaped text."""
from __future__ import annotations

import json
import subprocess

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box

from layers.compounds import build_compound_layer
from layers.geojson import to_geojson
from layers.maps import make_map
from layers.packed import DECODER_JS, is_packed, pack_features, unpack

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`;alert(1);`", "</script><script>alert(1)</script>",
           "a\\b"]


def _frame(geoms, names=None):
    names = names or [f"小区{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"id": range(1, len(geoms) + 1), "name": names,
                             "_fill": ["#ff0000", "#00ff00"] * (len(geoms) // 2) + ["#ff0000"] * (len(geoms) % 2)},
                            geometry=geoms, crs="EPSG:4326")


SHAPES = [
    box(116.20001, 35.10001, 116.20312, 35.10277),
    Polygon([(116.3, 35.0), (116.31, 35.0), (116.31, 35.01), (116.3, 35.01)],
            [[(116.302, 35.002), (116.304, 35.002), (116.304, 35.004)]]),
    MultiPolygon([box(116.4, 35.2, 116.401, 35.201), box(116.41, 35.2, 116.411, 35.201)]),
    LineString([(116.1, 35.1), (116.2, 35.15), (116.25, 35.2)]),
    MultiLineString([[(116.1, 35.1), (116.2, 35.1)], [(116.3, 35.3), (116.35, 35.31)]]),
    Point(116.123456, 35.654321),
]


def test_round_trip_keeps_shapes_to_the_precision_and_every_property():
    frame = _frame(SHAPES)
    text = pack_features(frame, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",))
    assert is_packed(text)
    back = unpack(text)["features"]
    assert [f["properties"] for f in back] == [
        {"id": i, "name": n, "_fill": c} for i, n, c in zip(frame["id"], frame["name"], frame["_fill"])]
    for original, feature in zip(frame.geometry, back):
        again = shapely.geometry.shape(feature["geometry"])
        assert again.geom_type == original.geom_type
        assert shapely.hausdorff_distance(original, again) < 1e-5  # 5 decimals of a degree
        if original.geom_type.endswith("Polygon"):
            assert again.is_valid and abs(again.area - original.area) / original.area < 1e-3


def test_packed_is_much_smaller_than_geojson():
    geoms = [box(116.2 + i * 0.003, 35.1 + (i % 40) * 0.002, 116.2012 + i * 0.003, 35.1011 + (i % 40) * 0.002)
             for i in range(500)]
    frame = _frame(geoms)
    packed = pack_features(frame, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",))
    plain = to_geojson(frame, properties=["id", "name", "_fill"], text=("name",))
    assert len(packed.encode()) * 2.5 < len(plain.encode())


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_names_are_escaped_and_cannot_close_the_script(raw):
    frame = _frame([box(116.2, 35.1, 116.201, 35.101)], names=[raw])
    text = pack_features(frame, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",))
    assert raw not in text
    m = make_map((116.1, 35.0, 116.3, 35.2))
    build_compound_layer(text).add_to(m)
    html = m.get_root().render()
    assert raw not in html
    for live in ("<img", "${alert", "`;alert", "<script>alert", "</script><script>"):
        assert live not in html
    assert unpack(text)["features"][0]["properties"]["name"] != raw  # escaped, e.g. &lt;img …


def test_empty_frame_and_missing_values():
    empty = _frame([]).iloc[0:0]
    assert unpack(pack_features(empty, properties=["id", "name"]))["features"] == []
    frame = _frame([box(116.2, 35.1, 116.201, 35.101)]).assign(_fill=[None])
    back = unpack(pack_features(frame, properties=["id", "_fill"], lookup=("_fill",)))["features"][0]
    assert back["properties"] == {"id": 1, "_fill": None}


def test_refuses_data_in_another_crs_and_unknown_columns():
    with pytest.raises(ValueError):
        pack_features(_frame(SHAPES[:1]).to_crs(3857), properties=["id"])
    with pytest.raises(ValueError):
        pack_features(_frame(SHAPES[:1]), properties=["id"], text=("name",))


@pytest.mark.allow_skip
def test_the_browser_decoder_gives_the_same_features_as_python():
    node = subprocess.run(["which", "node"], capture_output=True, text=True).stdout.strip()
    if not node:
        pytest.skip("node is not installed: the decoder is checked in Chromium by the browser tests")
    frame = _frame(SHAPES)
    text = pack_features(frame, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",))
    out = subprocess.run([node, "-e", f"console.log(JSON.stringify(({DECODER_JS})({text})))"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == json.loads(json.dumps(unpack(text)))
