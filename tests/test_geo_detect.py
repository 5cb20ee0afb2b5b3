"""geo.detect.guess_crs: CRS from coordinate ranges of imported data."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from geo.detect import guess_crs

NO_ZONE_MSG = "无法判断坐标系：投影坐标缺少带号，请指定中央经线或 EPSG 代码"


def _gk(epsg: int, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Real projected coordinates for WGS-84 points (pyproj, always_xy)."""
    t = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


JINXIANG_LON = [116.11, 116.30, 116.50]
JINXIANG_LAT = [34.86, 35.05, 35.24]


@pytest.mark.parametrize(
    ("xs", "ys"),
    [
        (JINXIANG_LON, JINXIANG_LAT),                   # Jinxiang
        ([116.404], [39.915]),                          # a single point in Beijing
        ([73.5, 135.1], [3.9, 53.5]),                   # the corners of China
        ([87.6, np.nan, 126.6], [43.8, 40.0, np.nan]),  # NaNs ignored
    ],
    ids=["jinxiang", "single", "corners", "with-nan"],
)
def test_degrees_in_china_are_wgs84(xs, ys):
    assert guess_crs(xs, ys) == "wgs84"


def test_gcj02_degrees_cannot_be_told_apart_and_also_say_wgs84():
    from geo.crs import wgs84_to_gcj02

    gx, gy = wgs84_to_gcj02(np.array(JINXIANG_LON), np.array(JINXIANG_LAT))
    assert guess_crs(gx, gy) == "wgs84"


@pytest.mark.parametrize(
    ("lon", "zone", "epsg"),
    [
        (116.3, 39, 4527),   # Jinxiang, Shandong
        (114.2, 38, 4526),   # western Shandong
        (120.4, 40, 4528),   # Qingdao
        (122.4, 41, 4529),   # Weihai
        (75.5, 25, 4513),    # Kashgar: the first 3° zone
        (134.5, 45, 4533),   # the last 3° zone
    ],
)
def test_zone_prefixed_eastings(lon, zone, epsg):
    lat = [34.9, 35.3] if lon < 130 else [47.0, 47.5]
    x, y = _gk(epsg, [lon - 0.2, lon + 0.2], lat)
    assert int(x.min() // 1_000_000) == zone
    assert guess_crs(x, y) == f"EPSG:{epsg}"
    # The pyproj definition agrees: the returned code converts back to the input area.
    back_lon, _ = pyproj.Transformer.from_crs(guess_crs(x, y), 4326, always_xy=True).transform(x, y)
    np.testing.assert_allclose(back_lon, [lon - 0.2, lon + 0.2], atol=1e-8)


def test_zone_prefixed_easting_literal_example():
    assert guess_crs([39_500_000, 39_520_000], [3_880_000, 3_900_000]) == "EPSG:4527"


@pytest.mark.parametrize(("zone", "epsg"), [(20, 4498), (13, 4491), (23, 4501)])
def test_six_degree_zone_prefix(zone, epsg):
    assert guess_crs([zone * 1e6 + 480_000, zone * 1e6 + 520_000], [3.8e6, 3.9e6]) == f"EPSG:{epsg}"
    assert f"zone {zone}" in pyproj.CRS.from_epsg(epsg).name


@pytest.mark.parametrize(("cm", "epsg"), [(117, 4548), (114, 4547), (120.0, 4549), (75, 4534), (135, 4554)])
def test_six_digit_eastings_with_central_meridian(cm, epsg):
    x, y = [420_000, 480_000, 530_000], [3_860_000, 3_880_000, 3_910_000]
    assert guess_crs(x, y, central_meridian=cm) == f"EPSG:{epsg}"


def test_six_digit_eastings_without_hint_raise_chinese_message():
    x, y = _gk(4548, JINXIANG_LON, JINXIANG_LAT)
    with pytest.raises(ValueError) as err:
        guess_crs(x, y)
    assert str(err.value) == NO_ZONE_MSG


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([100_000, 900_000], [2_000_000, 6_000_000]),  # the documented range's edges, inclusive
        ([99_999, 500_000], [3_000_000, 3_100_000]),   # just below the easting range: not GK
    ],
    ids=["edges-inclusive", "below-range"],
)
def test_six_digit_boundaries(x, y):
    if x[0] >= 100_000:
        with pytest.raises(ValueError, match="缺少带号"):
            guess_crs(x, y)
        assert guess_crs(x, y, central_meridian=117) == "EPSG:4548"
    else:
        with pytest.raises(ValueError, match="坐标范围不符合"):
            guess_crs(x, y, central_meridian=117)


@pytest.mark.parametrize("cm", [116, 70, 138, 117.5])
def test_bad_central_meridian(cm):
    with pytest.raises(ValueError, match="中央经线"):
        guess_crs([420_000, 530_000], [3.86e6, 3.91e6], central_meridian=cm)


def test_prefix_and_contradicting_central_meridian():
    with pytest.raises(ValueError, match="不符"):
        guess_crs([39_500_000], [3_880_000], central_meridian=120)
    assert guess_crs([39_500_000], [3_880_000], central_meridian=117) == "EPSG:4527"


@pytest.mark.parametrize(
    ("xs", "ys", "match"),
    [
        (JINXIANG_LAT, JINXIANG_LON, "颠倒"),                         # lat/lon columns swapped
        ([3_880_000, 3_900_000], [39_500_000, 39_520_000], "颠倒"),   # surveyor's X = northing
        ([3_880_000, 3_900_000], [480_000, 520_000], "颠倒"),
        ([2.35, -74.0], [48.85, 40.7], "不在中国"),                   # degrees elsewhere
        ([39_500_000, 40_500_000], [3.8e6, 3.9e6], "多个带号"),       # two zones mixed
        ([1_000, 2_000], [3_000, 4_000], "坐标范围不符合"),           # local grid
        ([np.nan], [np.nan], "没有有效数值"),
        ([], [], "没有有效数值"),
        ([500_000], [1_000_000], "坐标范围不符合"),                   # northing below 2e6
        ([500_000], [6_500_000], "坐标范围不符合"),                   # northing above 6e6
    ],
    ids=["lonlat-swapped", "xy-swapped-prefixed", "xy-swapped", "outside-china", "mixed-zones", "local",
         "all-nan", "empty", "northing-low", "northing-high"],
)
def test_errors_say_why_in_chinese(xs, ys, match):
    with pytest.raises(ValueError, match=match) as err:
        guess_crs(xs, ys)
    assert str(err.value).startswith("无法判断坐标系")
