"""geo.assign.assign_points: point → containing polygon id, smallest id wins ties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.assign import assign_points

# Two unit squares (0.01°) sharing the edge lon = 116.31, and a third overlapping
# the right one. Ids deliberately out of row order.
LEFT = shapely.box(116.30, 35.00, 116.31, 35.01)
RIGHT = shapely.box(116.31, 35.00, 116.32, 35.01)
OVERLAP = shapely.box(116.315, 35.005, 116.33, 35.02)


def _polys(ids, crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"cid": ids}, geometry=[RIGHT, LEFT, OVERLAP], crs=crs)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((116.305, 35.005), 20),    # inside LEFT only
        ((116.312, 35.002), 10),    # inside RIGHT only
        ((116.325, 35.015), 30),    # inside OVERLAP only
        ((116.31, 35.005), 10),     # on the shared edge of RIGHT(10) and LEFT(20): smallest id
        ((116.31, 35.00), 10),      # shared corner
        ((116.318, 35.008), 10),    # in the overlap of RIGHT(10) and OVERLAP(30)
        ((116.30, 35.005), 20),     # on LEFT's outer edge: edges count as inside
        ((116.30, 35.00), 20),      # on LEFT's outer corner
        ((116.299999, 35.005), None),  # just outside
        ((116.40, 35.40), None),    # far away
        ((np.nan, 35.005), None),   # missing coordinate
    ],
    ids=["left", "right", "overlap-only", "shared-edge", "shared-corner", "overlap", "outer-edge",
         "outer-corner", "just-outside", "far", "nan"],
)
def test_assignment_table(point, expected):
    got = assign_points([point[0]], [point[1]], _polys([10, 20, 30]), "cid")
    if expected is None:
        assert pd.isna(got[0])
    else:
        assert got[0] == expected


def test_smallest_id_wins_whatever_the_row_order():
    pts = ([116.31, 116.318], [35.005, 35.008])
    a = assign_points(*pts, _polys([10, 20, 30]), "cid")
    shuffled = _polys([10, 20, 30]).iloc[[2, 0, 1]]
    b = assign_points(*pts, shuffled, "cid")
    assert list(a) == list(b) == [10, 10]
    # Renumber so the other polygon is smaller: the winner follows the ids.
    c = assign_points(*pts, _polys([25, 20, 5]), "cid")
    assert list(c) == [20, 5]


def test_string_ids_use_code_point_order_and_string_dtype():
    got = assign_points([116.31, 116.305, 117.0], [35.005, 35.005, 35.0], _polys(["XQ-B", "XQ-A", "XQ-C"]), "cid")
    assert isinstance(got.dtype, pd.StringDtype)
    assert got[0] == "XQ-A" and got[1] == "XQ-A" and pd.isna(got[2])


def test_integer_ids_give_nullable_int():
    got = assign_points([116.305, 0.0], [35.005, 0.0], _polys(np.array([10, 20, 30], dtype=np.int64)), "cid")
    assert got.dtype == pd.Int64Dtype()
    assert got[0] == 20 and got[1] is pd.NA


def test_matches_geopandas_sjoin_on_random_data():
    rng = np.random.default_rng(42)
    n_poly, n_pt = 400, 50_000
    centres = shapely.points(rng.uniform(116.1, 116.5, n_poly), rng.uniform(34.9, 35.3, n_poly))
    polys = gpd.GeoDataFrame(
        {"cid": rng.permutation(n_poly) + 1000},
        geometry=shapely.buffer(centres, rng.uniform(0.002, 0.02, n_poly), quad_segs=3),  # many overlaps
        crs=4326,
    )
    lon, lat = rng.uniform(116.05, 116.55, n_pt), rng.uniform(34.85, 35.35, n_pt)
    got = assign_points(lon, lat, polys, "cid")

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(pts, polys, predicate="intersects", how="left")
    expected = joined.groupby(level=0)["cid"].min().reindex(range(n_pt))
    assert len(got) == n_pt
    assert got.isna().sum() == expected.isna().sum() > 0
    np.testing.assert_array_equal(
        got.to_numpy(dtype="float64", na_value=np.nan), expected.to_numpy(dtype="float64", na_value=np.nan)
    )
    # The overlaps really were exercised.
    assert joined.index.duplicated().sum() > 1000


def test_multipolygons_holes_and_missing_geometries():
    donut = shapely.box(116.0, 35.0, 116.1, 35.1).difference(shapely.box(116.04, 35.04, 116.06, 35.06))
    multi = shapely.MultiPolygon([shapely.box(116.2, 35.0, 116.21, 35.01), shapely.box(116.3, 35.0, 116.31, 35.01)])
    gdf = gpd.GeoDataFrame({"cid": [1, 2, 3, 4]}, geometry=[donut, multi, None, shapely.Polygon()], crs=4326)
    got = assign_points([116.05, 116.02, 116.305, 116.205, 116.25], [35.05, 35.02, 35.005, 35.005, 35.005], gdf, "cid")
    assert pd.isna(got[0])  # in the hole
    assert list(got[1:4]) == [1, 2, 2]
    assert pd.isna(got[4])  # between the parts


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"crs": None}, "no CRS"),
        ({"crs": 4548}, "projected"),
        ({"id_column": "missing"}, "not a column"),
        ({"lat": [35.0, 35.1]}, "differ in length"),
        ({"ids": [1, None, 3]}, "missing values"),
    ],
)
def test_errors(kwargs, match):
    gdf = _polys(kwargs.get("ids", [10, 20, 30]), crs=kwargs.get("crs", 4326))
    with pytest.raises(ValueError, match=match):
        assign_points([116.305], kwargs.get("lat", [35.005]), gdf, kwargs.get("id_column", "cid"))


def test_empty_inputs():
    assert len(assign_points([], [], _polys([10, 20, 30]), "cid")) == 0
    empty = gpd.GeoDataFrame({"cid": pd.Series([], dtype="int64")}, geometry=[], crs=4326)
    got = assign_points([116.305], [35.005], empty, "cid")
    assert len(got) == 1 and pd.isna(got[0])


def test_a_million_points_vectorised():
    # Not a timing assertion (benchmarks print figures): this just runs the 1M
    # path end to end and checks it against the rule on a known layout.
    rng = np.random.default_rng(0)
    n = 1_000_000
    lon = rng.uniform(116.29, 116.34, n)
    lat = rng.uniform(34.99, 35.03, n)
    got = assign_points(lon, lat, _polys([10, 20, 30]), "cid")
    in_left = (lon >= 116.30) & (lon <= 116.31) & (lat >= 35.00) & (lat <= 35.01)
    in_right = (lon >= 116.31) & (lon <= 116.32) & (lat >= 35.00) & (lat <= 35.01)
    in_over = (lon >= 116.315) & (lon <= 116.33) & (lat >= 35.005) & (lat <= 35.02)
    expected = np.where(in_right, 10, np.where(in_left, 20, np.where(in_over, 30, -1)))
    np.testing.assert_array_equal(got.to_numpy(dtype="int64", na_value=-1), expected)
