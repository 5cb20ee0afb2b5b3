"""geo.projection: Gauss–Krüger zone choice, distances and areas in metres."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo.projection import (
    area_m2,
    distance_m,
    gk_central_meridian,
    gk_epsg,
    metric_crs,
    require_geographic,
    simplify_m,
    to_metric,
)


def _params(crs: pyproj.CRS) -> dict[str, float]:
    """Central meridian and false easting, read from the EPSG definition itself."""
    values = {p.name: p.value for p in crs.coordinate_operation.params}
    return {"lon_0": values["Longitude of natural origin"], "x_0": values["False easting"]}


@pytest.mark.parametrize(
    ("lon", "cm", "epsg"),
    [
        (116.3, 117, 4548),   # Jinxiang
        (117.0, 117, 4548),
        (115.5, 117, 4548),   # western zone edge belongs to this zone
        (118.4999, 117, 4548),
        (118.5, 120, 4549),   # eastern edge belongs to the next zone
        (113.9, 114, 4547),
        (122.5, 123, 4550),
        (73.5, 75, 4534),
        (75.0, 75, 4534),
        (135.0, 135, 4554),
        (136.4999, 135, 4554),
    ],
)
def test_metric_crs_zone_table(lon, cm, epsg):
    assert gk_central_meridian(lon) == cm
    crs = metric_crs(lon)
    assert crs.to_epsg() == epsg
    assert crs.is_projected
    assert crs.axis_info[0].unit_name == "metre"
    params = _params(crs)
    assert params["lon_0"] == cm and params["x_0"] == 500000
    assert f"CM {cm}E" in crs.name


def test_all_epsg_codes_verified_against_pyproj():
    for i, cm in enumerate(range(75, 136, 3)):
        plain = pyproj.CRS.from_user_input(gk_epsg(cm))
        prefixed = pyproj.CRS.from_user_input(gk_epsg(cm, zone_prefix=True))
        zone = 25 + i
        assert plain.to_epsg() == 4534 + i and _params(plain)["lon_0"] == cm
        assert prefixed.to_epsg() == 4513 + i and _params(prefixed)["lon_0"] == cm
        assert _params(prefixed)["x_0"] == zone * 1_000_000 + 500_000
        assert f"zone {zone}" in prefixed.name


@pytest.mark.parametrize("lon", [73.4, 136.5, 10.0, -116.3, float("nan"), float("inf")])
def test_metric_crs_outside_china_raises(lon):
    with pytest.raises(ValueError):
        metric_crs(lon)


@pytest.mark.parametrize("cm", [116, 72, 138, 117.5])
def test_gk_epsg_rejects_bad_central_meridian(cm):
    with pytest.raises(ValueError, match="multiple of 3"):
        gk_epsg(cm)


# --------------------------------------------------------------------------- distances
@pytest.mark.parametrize(
    ("p1", "p2", "metres", "tol"),
    [
        ((116.3, 35.0), (116.3, 35.0), 0.0, 1e-9),
        ((116.3, 35.0), (116.3, 36.0), 110_949.0, 5.0),        # 1° of latitude at 35.5°N (meridian radius)
        ((0.0, 0.0), (1.0, 0.0), 111_319.49, 0.01),            # 1° of equator, WGS-84
        ((116.3, 35.0), (116.3 + 1e-5, 35.0), 0.91288, 0.0001),  # N·cos(35°)·1e-5 rad-deg
    ],
)
def test_distance_m_known_values(p1, p2, metres, tol):
    assert distance_m(*p1, *p2) == pytest.approx(metres, abs=tol)


def test_distance_m_vectorised_and_kind():
    rng = np.random.default_rng(5)
    lon1, lat1 = rng.uniform(116.1, 116.5, 1000), rng.uniform(34.9, 35.3, 1000)
    lon2, lat2 = rng.uniform(116.1, 116.5, 1000), rng.uniform(34.9, 35.3, 1000)
    d = distance_m(lon1, lat1, lon2, lat2)
    assert isinstance(d, np.ndarray) and d.shape == (1000,)
    assert isinstance(distance_m(116.3, 35.0, 116.4, 35.1), float)
    assert d[3] == pytest.approx(distance_m(lon1[3], lat1[3], lon2[3], lat2[3]), abs=1e-9)
    # Agrees with planar distance in the Gauss–Krüger zone to < 0.05 % at county scale.
    t = pyproj.Transformer.from_crs(4326, metric_crs(116.3), always_xy=True)
    x1, y1 = t.transform(lon1, lat1)
    x2, y2 = t.transform(lon2, lat2)
    planar = np.hypot(x2 - x1, y2 - y1)
    np.testing.assert_allclose(d, planar, rtol=5e-4)


def test_distance_m_broadcasts_one_to_many():
    d = distance_m(116.3, 35.0, np.array([116.3, 116.31, 116.32]), 35.0)
    assert d.shape == (3,) and d[0] == 0.0 and d[2] == pytest.approx(2 * d[1], rel=1e-6)


# --------------------------------------------------------------------------- areas
def _square_km(lon: float, lat: float, side_m: float = 1000.0) -> shapely.Polygon:
    """A side_m square built in the local GK zone, returned in WGS-84."""
    crs = metric_crs(lon)
    t = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = t.transform(lon, lat)
    sq = shapely.box(x, y, x + side_m, y + side_m)
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    return shapely.transform(sq, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))


@pytest.mark.parametrize(("lon", "lat"), [(116.3, 35.1), (120.4, 36.1), (87.6, 43.8), (126.6, 45.8)])
def test_area_m2_of_a_known_square(lon, lat):
    assert area_m2(_square_km(lon, lat)) == pytest.approx(1e6, rel=1e-6)


def test_area_m2_matches_geodesic_area():
    poly = shapely.box(116.2, 35.0, 116.4, 35.2)
    geodesic, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(poly)
    assert area_m2(poly) == pytest.approx(abs(geodesic), rel=5e-4)


def test_area_m2_geodataframe_returns_series_with_index():
    gdf = gpd.GeoDataFrame(
        {"id": [7, 9]}, geometry=[_square_km(116.3, 35.1), _square_km(116.3, 35.1, 500)], crs=4326, index=[10, 20]
    )
    areas = area_m2(gdf)
    assert isinstance(areas, pd.Series) and list(areas.index) == [10, 20]
    np.testing.assert_allclose(areas.to_numpy(), [1e6, 2.5e5], rtol=1e-6)
    np.testing.assert_allclose(area_m2(gdf.geometry).to_numpy(), areas.to_numpy())


def test_area_m2_degenerate():
    assert area_m2(shapely.Polygon()) == 0.0
    assert area_m2(shapely.Point(116.3, 35.1)) == 0.0


# --------------------------------------------------------------------------- CRS checks
@pytest.mark.parametrize("func", [to_metric, area_m2, lambda g: simplify_m(g, 10), require_geographic])
@pytest.mark.parametrize(
    ("crs", "match"),
    [(None, "no CRS"), (4548, "projected"), (3857, "projected")],
)
def test_missing_or_projected_crs_raises(func, crs, match):
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(116.3, 35.1)], crs=crs)
    with pytest.raises(ValueError, match=match):
        func(gdf)


def test_to_metric_picks_zone_of_centre_and_keeps_values():
    gdf = gpd.GeoDataFrame({"v": [1, 2]}, geometry=[shapely.Point(116.1, 35.0), shapely.Point(116.5, 35.3)], crs=4326)
    out = to_metric(gdf)
    assert out.crs.to_epsg() == 4548
    assert list(out["v"]) == [1, 2]
    assert gdf.crs.to_epsg() == 4326  # copy, not in place
    assert 400_000 < out.geometry.iloc[0].x < 500_000


def test_to_metric_accepts_cgcs2000_geographic():
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(120.4, 36.1)], crs=4490)
    assert to_metric(gdf).crs.to_epsg() == 4549


def test_to_metric_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        to_metric(gpd.GeoDataFrame(geometry=[shapely.Polygon()], crs=4326))


# --------------------------------------------------------------------------- simplify
def test_simplify_m_tolerance_is_in_metres():
    circle_m = shapely.Point(0, 0).buffer(1000, quad_segs=64)
    back = pyproj.Transformer.from_crs(4548, 4326, always_xy=True)
    t = pyproj.Transformer.from_crs(4326, 4548, always_xy=True)
    x0, y0 = t.transform(116.3, 35.1)
    circle = shapely.transform(
        shapely.affinity.translate(circle_m, x0, y0), lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1]))
    )
    fine = simplify_m(circle, 1.0)
    coarse = simplify_m(circle, 50.0)
    assert shapely.get_num_coordinates(coarse) < shapely.get_num_coordinates(fine) <= shapely.get_num_coordinates(circle)
    assert fine.is_valid and coarse.is_valid
    # Hausdorff distance in metres stays within the tolerance.
    gs = gpd.GeoSeries([circle, coarse], crs=4326).to_crs(4548)
    assert gs.iloc[0].hausdorff_distance(gs.iloc[1]) <= 50.0 + 1e-6


def test_simplify_m_geodataframe_keeps_columns_and_crs():
    gdf = gpd.GeoDataFrame({"n": ["a"]}, geometry=[shapely.Point(116.3, 35.1).buffer(0.01)], crs=4326)
    out = simplify_m(gdf, 20.0)
    assert list(out.columns) == ["n", "geometry"] and out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].is_valid
    assert math.isclose(area_m2(out).iloc[0], area_m2(gdf).iloc[0], rel_tol=0.05)
