"""geo.crs: WGS-84 / GCJ-02 / BD-09 conversions and reprojection to WGS-84."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo import crs
from geo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gcj02_to_wgs84_one_step,
    to_wgs84,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published reference values (coordTransform and its many ports).
PUBLISHED = [
    (wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    (bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631)),
]

ALL_FUNCS = [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84]


def _china_points(n: int, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray]:
    """Random points well inside China's box (away from its edges, where a shifted
    point can cross the box and round trips legitimately stop being identities)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(74.0, 134.5, n), rng.uniform(4.5, 53.0, n)


def _geod_m(x1, y1, x2, y2) -> np.ndarray:
    return np.asarray(pyproj.Geod(ellps="WGS84").inv(x1, y1, x2, y2)[2])


@pytest.mark.parametrize(("func", "point", "expected"), PUBLISHED, ids=lambda v: getattr(v, "__name__", None))
def test_published_values(func, point, expected):
    got = func(*point)
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("func", "point", "expected"), PUBLISHED, ids=lambda v: getattr(v, "__name__", None))
def test_published_values_as_arrays(func, point, expected):
    lon, lat = func(np.array([point[0]] * 3), np.array([point[1]] * 3))
    np.testing.assert_allclose(lon, expected[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, expected[1], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("forward", "inverse", "tol_deg"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84, 1e-7),
        (gcj02_to_wgs84, wgs84_to_gcj02, 1e-7),
        (wgs84_to_bd09, bd09_to_wgs84, 5e-6),  # Baidu's published inverse is approximate (~2e-6°)
        (gcj02_to_bd09, bd09_to_gcj02, 5e-6),
    ],
    ids=["wgs-gcj-wgs", "gcj-wgs-gcj", "wgs-bd-wgs", "gcj-bd-gcj"],
)
def test_round_trips_across_china(forward, inverse, tol_deg):
    x, y = _china_points(50_000)
    bx, by = inverse(*forward(x, y))
    assert np.abs(bx - x).max() < tol_deg
    assert np.abs(by - y).max() < tol_deg


def test_exact_inverse_is_far_tighter_than_requested():
    x, y = _china_points(20_000, seed=7)
    wx, wy = gcj02_to_wgs84(*wgs84_to_gcj02(x, y))
    assert max(np.abs(wx - x).max(), np.abs(wy - y).max()) < 1e-10


def test_one_step_inverse_is_metres_off_which_is_why_we_iterate():
    # Shandong province box.
    rng = np.random.default_rng(3)
    x, y = rng.uniform(114.8, 122.7, 20_000), rng.uniform(34.4, 38.4, 20_000)
    g = wgs84_to_gcj02(x, y)
    one_err = _geod_m(x, y, *gcj02_to_wgs84_one_step(*g))
    exact_err = _geod_m(x, y, *gcj02_to_wgs84(*g))
    assert one_err.max() > 1.0  # metres: visible on a compound map
    assert exact_err.max() < 1e-3
    assert one_err.max() > 1000 * exact_err.max()


def test_gcj_offset_near_jinxiang_is_about_half_a_kilometre():
    offset = _geod_m(116.31, 35.07, *wgs84_to_gcj02(116.31, 35.07))
    assert 450 < float(offset) < 560


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "point",
    [(2.35, 48.85), (-74.0, 40.7), (139.69, 35.69), (100.5, 2.0), (73.66, 30.0), (135.05, 40.0),
     (110.0, 3.86), (110.0, 53.55), (0.0, 0.0)],
    ids=["paris", "new-york", "tokyo", "south-of-box", "west-edge", "east-edge", "south-edge", "north-edge",
         "null-island"],
)
def test_outside_china_unchanged(func, point):
    assert func(*point) == point


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
def test_mixed_inside_outside_array_masks_per_point(func):
    lon = np.array([116.404, 2.35, 117.0, -74.0])
    lat = np.array([39.915, 48.85, 35.0, 40.7])
    out_lon, out_lat = func(lon, lat)
    assert out_lon[1] == 2.35 and out_lat[1] == 48.85
    assert out_lon[3] == -74.0 and out_lat[3] == 40.7
    assert out_lon[0] != 116.404 and out_lon[2] != 117.0


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
def test_scalars_and_arrays_agree_and_keep_their_kind(func):
    x, y = _china_points(200, seed=11)
    ax, ay = func(x, y)
    assert isinstance(ax, np.ndarray) and ax.shape == x.shape and ax.dtype == np.float64
    for i in range(0, 200, 17):
        sx, sy = func(float(x[i]), float(y[i]))
        assert type(sx) is float and type(sy) is float
        assert sx == pytest.approx(ax[i], abs=1e-12)
        assert sy == pytest.approx(ay[i], abs=1e-12)


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
def test_ints_numpy_scalars_and_lists(func):
    assert all(type(v) is float for v in func(117, 35))
    assert all(type(v) is float for v in func(np.float64(117.0), np.float32(35.0)))
    lx, ly = func([117.0, 118.0], [35.0, 36.0])
    assert isinstance(lx, np.ndarray) and lx.shape == (2,)


def test_nan_passes_through_and_does_not_stall_iteration():
    lon, lat = gcj02_to_wgs84(np.array([np.nan, 116.4, 117.0]), np.array([35.0, np.nan, 35.0]))
    assert np.isnan(lon[0]) and np.isnan(lat[1])
    assert wgs84_to_gcj02(*(lon[2], lat[2])) == pytest.approx((117.0, 35.0), abs=1e-10)


def test_inputs_are_not_modified():
    x, y = _china_points(100)
    x0, y0 = x.copy(), y.copy()
    gcj02_to_wgs84(x, y)
    bd09_to_wgs84(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_2d_arrays_keep_shape():
    x, y = _china_points(12)
    lx, ly = gcj02_to_wgs84(x.reshape(3, 4), y.reshape(3, 4))
    assert lx.shape == (3, 4)
    np.testing.assert_allclose(lx.ravel(), gcj02_to_wgs84(x, y)[0], atol=0)


# --------------------------------------------------------------------------- geometries
@pytest.mark.parametrize(
    "geom",
    [
        shapely.Point(116.3, 35.1),
        shapely.LineString([(116.2, 35.0), (116.4, 35.2)]),
        shapely.box(116.2, 35.0, 116.3, 35.1),
        shapely.MultiPolygon([shapely.box(116.2, 35.0, 116.25, 35.05), shapely.box(116.3, 35.1, 116.35, 35.15)]),
        shapely.Polygon(shapely.box(116.0, 35.0, 116.2, 35.2).exterior, [shapely.box(116.05, 35.05, 116.1, 35.1).exterior]),
    ],
    ids=["point", "line", "polygon", "multipolygon", "with-hole"],
)
def test_transform_geometry_moves_every_vertex_like_the_point_function(geom):
    out = transform_geometry(geom, gcj02_to_wgs84)
    assert out.geom_type == geom.geom_type
    src = shapely.get_coordinates(geom)
    got = shapely.get_coordinates(out)
    ex, ey = gcj02_to_wgs84(src[:, 0], src[:, 1])
    np.testing.assert_allclose(got, np.column_stack([ex, ey]), atol=0)
    assert not np.allclose(got, src)


def test_transform_geometry_keeps_z_and_handles_arrays():
    p3 = shapely.Point(116.3, 35.1, 42.0)
    out = transform_geometry(p3, wgs84_to_gcj02)
    assert out.has_z and out.z == 42.0
    arr = np.array([shapely.Point(116.3, 35.1), None, shapely.Point(2.0, 48.0)], dtype=object)
    res = transform_geometry(arr, wgs84_to_gcj02)
    assert res[1] is None and res[2].equals(shapely.Point(2.0, 48.0))


@pytest.mark.parametrize(
    ("source", "expected_func"),
    [("wgs84", None), ("WGS-84", None), ("cgcs2000", None), ("EPSG:4326", None), (4326, None),
     ("gcj02", gcj02_to_wgs84), ("GCJ-02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)],
)
def test_to_wgs84_named_sources_on_geometry(source, expected_func):
    g = shapely.Point(116.3, 35.1)
    out = to_wgs84(g, source)
    expected = (116.3, 35.1) if expected_func is None else expected_func(116.3, 35.1)
    assert (out.x, out.y) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("epsg", "cm"), [(4548, 117), (4527, 117), (4547, 114)])
def test_to_wgs84_from_gauss_kruger(epsg, cm):
    easting = 39_500_000 if epsg == 4527 else 500_000
    out = to_wgs84(shapely.Point(easting, 3_880_000), f"EPSG:{epsg}")
    assert out.x == pytest.approx(cm, abs=1e-9)  # false easting lies on the central meridian
    assert 35.0 < out.y < 35.1
    out2 = to_wgs84(shapely.Point(easting, 3_880_000), pyproj.CRS.from_epsg(epsg))
    assert out2.equals_exact(out, 1e-12)


def _gdf(crs_=4326, geom_col="geometry"):
    g = gpd.GeoDataFrame(
        {"name": ["甲", "乙"], geom_col: [shapely.Point(116.3, 35.1), shapely.box(116.2, 35.0, 116.3, 35.1)]},
        geometry=geom_col, crs=crs_,
    )
    return g


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_to_wgs84_geodataframe_returns_shifted_copy_in_4326(source):
    gdf = _gdf(crs_=None, geom_col="geom")
    before = gdf.copy()
    out = to_wgs84(gdf, source)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.name == "geom" and list(out.columns) == ["name", "geom"]
    assert list(out["name"]) == ["甲", "乙"]
    func = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}[source]
    assert (out.geometry.iloc[0].x, out.geometry.iloc[0].y) == pytest.approx(func(116.3, 35.1), abs=1e-12)
    assert gdf.geometry.iloc[0].equals(before.geometry.iloc[0])  # input untouched
    assert gdf.crs is None


def test_to_wgs84_geodataframe_tagged_4326_but_declared_gcj():
    out = to_wgs84(_gdf(), "gcj02")
    assert not out.geometry.iloc[0].equals(shapely.Point(116.3, 35.1))


def test_to_wgs84_geodataframe_uses_own_crs_when_no_source():
    gdf = _gdf().to_crs(4548)
    out = to_wgs84(gdf)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].distance(shapely.Point(116.3, 35.1)) < 1e-9


def test_to_wgs84_geoseries():
    s = _gdf().geometry.to_crs(4527)
    out = to_wgs84(s, 4527)
    assert isinstance(out, gpd.GeoSeries) and out.crs.to_epsg() == 4326
    assert out.iloc[0].distance(shapely.Point(116.3, 35.1)) < 1e-9


@pytest.mark.parametrize(
    ("make", "source", "match"),
    [
        (lambda: _gdf().to_crs(4548), "gcj02", "projected"),
        (lambda: _gdf().to_crs(4548), "EPSG:4527", "does not match"),
        (lambda: _gdf(crs_=None), None, "no CRS"),
        (lambda: shapely.Point(116.3, 35.1), None, "declare"),
        (lambda: shapely.Point(116.3, 35.1), "mars", "Unknown source"),
    ],
    ids=["gcj-on-projected", "mismatched-epsg", "no-crs", "bare-geom-no-source", "unknown-source"],
)
def test_to_wgs84_errors(make, source, match):
    with pytest.raises(ValueError, match=match):
        to_wgs84(make(), source)


def test_to_wgs84_rejects_non_geometry():
    with pytest.raises(TypeError):
        to_wgs84([116.3, 35.1], "gcj02")


def test_china_bbox_constant_is_the_usual_one():
    assert crs.CHINA_BBOX == (73.66, 3.86, 135.05, 53.55)
