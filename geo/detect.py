"""Guess the CRS of imported coordinates from their numeric ranges.

Survey shapefiles and spreadsheets in China arrive as longitude/latitude
degrees or as CGCS2000 Gauss–Krüger metres, with or without the zone number
prefixed to the easting. The ranges tell these apart; they cannot tell
WGS-84/CGCS2000 from GCJ-02 or BD-09 degrees (the offsets are a few hundred
metres): :func:`score_datums` tells them apart by which one puts the most
points inside the places they name (their community, township or compound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import numpy.typing as npt
import shapely

from geo.crs import bd09_to_wgs84, gcj02_to_wgs84
from geo.projection import gk_epsg

__all__ = ["guess_crs", "DatumTest", "score_datums", "DATUMS"]

#: Geographic datums whose degrees look alike: WGS-84 (= CGCS2000), GCJ-02 (AMap/Tencent), BD-09 (Baidu).
DATUMS = ("wgs84", "gcj02", "bd09")

# Longitude/latitude box of China, generous by a degree so border counties fit.
_LON_RANGE = (72.0, 136.5)
_LAT_RANGE = (3.0, 54.0)

# Gauss–Krüger: the easting minus the false easting stays within ±~170 km of
# 500 000 m for a 3° zone in China (±~340 km for 6°); accept 100 000–900 000 m.
_EASTING_RANGE = (100_000.0, 900_000.0)
# Northings of mainland China and Hainan (~18°N → 2.0e6 m; ~53.6°N → 5.95e6 m).
_NORTHING_RANGE = (2_000_000.0, 6_000_000.0)

# Zone numbers prefixed to eastings: 3° zones 25..45 and 6° zones 13..23 do not overlap.
_ZONES_3DEG = range(25, 46)
_ZONES_6DEG = range(13, 24)
_EPSG_6DEG_ZONE_BASE = 4491  # CGCS2000 / Gauss-Kruger zone 13 (EPSG:4491) .. zone 23 (EPSG:4501)

_MSG_NO_ZONE = "无法判断坐标系：投影坐标缺少带号，请指定中央经线或 EPSG 代码"
_MSG_UNKNOWN = "无法判断坐标系：坐标范围不符合经纬度或高斯-克吕格投影，请指定 EPSG 代码"


def _finite_range(values: npt.ArrayLike, name: str) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise ValueError(f"无法判断坐标系：{name} 没有有效数值")
    return float(arr.min()), float(arr.max())


def _within(lo: float, hi: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= lo and hi <= bounds[1]


def _prefixed_zone(xmin: float, xmax: float) -> Optional[int]:
    """Zone number if every easting is ``zone * 1e6 + plausible easting``, else None."""
    zone_lo, zone_hi = math.floor(xmin / 1e6), math.floor(xmax / 1e6)
    if zone_lo != zone_hi:
        if zone_lo in _ZONES_3DEG or zone_lo in _ZONES_6DEG:
            raise ValueError(f"无法判断坐标系：东坐标跨越多个带号（{zone_lo}–{zone_hi}），请分带导入或指定 EPSG 代码")
        return None
    rest = (xmin - zone_lo * 1e6, xmax - zone_lo * 1e6)
    if not _within(rest[0], rest[1], _EASTING_RANGE):
        return None
    return zone_lo


def guess_crs(xs: npt.ArrayLike, ys: npt.ArrayLike, *, central_meridian: Optional[float] = None) -> str:
    """Guess the CRS of coordinates from their ranges.

    Parameters
    ----------
    xs, ys : array_like
        X (longitude or easting) and Y (latitude or northing) values as they
        appear in the file. NaNs are ignored.
    central_meridian : float, keyword-only, optional
        Central meridian in °E (multiple of 3, e.g. 117) for Gauss–Krüger
        eastings without a zone prefix, which the numbers alone cannot place.

    Returns
    -------
    str
        * ``"wgs84"`` for longitude/latitude degrees inside China. GCJ-02
          (AMap/Tencent) and BD-09 (Baidu) degrees look the same and also give
          ``"wgs84"``: the importer must take a declared CRS for those.
        * ``"EPSG:4513"``..``"EPSG:4533"`` for CGCS2000 3° Gauss–Krüger
          eastings with zone prefix 25..45 (e.g. 39 500 000 m → zone 39 →
          EPSG:4527), ``"EPSG:4491"``..``"EPSG:4501"`` for 6° zones 13..23.
        * ``"EPSG:4534"``..``"EPSG:4554"`` (3° GK without prefix) for 6-digit
          eastings when ``central_meridian`` is given. A 6° zone without prefix
          has a central meridian that is also a multiple of 3 and the very same
          projection, so the 3° code is right for it too.

    Raises
    ------
    ValueError
        With a Chinese message for the user: no valid numbers, eastings without
        zone and no ``central_meridian``, X/Y apparently swapped, eastings
        spanning zones, or ranges that fit nothing known.
    """
    xmin, xmax = _finite_range(xs, "X")
    ymin, ymax = _finite_range(ys, "Y")

    if _within(xmin, xmax, _LON_RANGE) and _within(ymin, ymax, _LAT_RANGE):
        return "wgs84"
    if _within(ymin, ymax, _LON_RANGE) and _within(xmin, xmax, _LAT_RANGE):
        raise ValueError("无法判断坐标系：经度和纬度似乎颠倒，请检查列的顺序")
    if _within(xmin, xmax, (-180.0, 180.0)) and _within(ymin, ymax, (-90.0, 90.0)):
        # Projected metres in China are never this small, so these are degrees elsewhere.
        raise ValueError("无法判断坐标系：经纬度不在中国范围内，请检查数据或指定 EPSG 代码")

    if _within(ymin, ymax, _NORTHING_RANGE):
        zone = _prefixed_zone(xmin, xmax)
        if zone is not None and zone in _ZONES_3DEG:
            cm = 75 + 3 * (zone - 25)
            if central_meridian is not None and float(central_meridian) != cm:
                raise ValueError(f"无法判断坐标系：带号 {zone}（中央经线 {cm}°）与指定的中央经线 {central_meridian}° 不符")
            return gk_epsg(cm, zone_prefix=True)
        if zone is not None and zone in _ZONES_6DEG:
            return f"EPSG:{_EPSG_6DEG_ZONE_BASE + zone - 13}"
        if _within(xmin, xmax, _EASTING_RANGE):
            if central_meridian is None:
                raise ValueError(_MSG_NO_ZONE)
            try:
                return gk_epsg(central_meridian)
            except ValueError as exc:
                raise ValueError(f"无法判断坐标系：中央经线 {central_meridian} 无效，应为 75–135 之间 3 的倍数") from exc

    # Chinese survey convention writes X = northing, Y = easting.
    if _within(xmin, xmax, _NORTHING_RANGE) and (
        _within(ymin, ymax, _EASTING_RANGE) or _prefixed_zone(ymin, ymax) is not None
    ):
        raise ValueError("无法判断坐标系：X/Y 似乎颠倒（测量坐标中 X 为北坐标），请交换两列")
    raise ValueError(_MSG_UNKNOWN)


@dataclass(frozen=True)
class DatumTest:
    """Result of :func:`score_datums`.

    ``hits[d]``: how many of the ``tested`` points, read as datum ``d`` and converted to
    WGS-84, fall inside the area they name. ``chosen`` is the datum that clearly wins (or
    the hinted one where it ties for first), None when no choice clearly wins.
    """

    hits: dict
    tested: int
    chosen: Optional[str]
    by_hint: bool
    order: tuple
    #: (almost) every point lies inside its area under WGS-84 and as many under another datum:
    #: the areas are too large for the test to tell the datums apart (nothing contradicts WGS-84)
    undecided_all_inside: bool = False

    @property
    def margin(self) -> int:
        return self.hits[self.order[0]] - self.hits[self.order[1]]


def score_datums(lon: npt.ArrayLike, lat: npt.ArrayLike, areas, *, hint: Optional[str] = None,
                min_share: float = 0.5, min_margin_share: float = 0.1) -> DatumTest:
    """Which datum puts the most points inside the polygon each names.

    Parameters
    ----------
    lon, lat : array_like
        Degrees as in the file (datum unknown).
    areas : sequence of shapely geometries (WGS-84)
        Per point the polygon it should lie in (its named community or township, or the
        county); same length as ``lon``.
    hint : {"wgs84", "gcj02", "bd09"}, optional
        What the column headers say (高德 → gcj02, 百度 → bd09); it wins ties for first place.
    min_share, min_margin_share : float
        A datum wins clearly when it hits at least ``min_share`` of the points and beats the
        runner-up by at least ``max(1, ceil(min_margin_share × n))`` points.
    """
    x = np.asarray(lon, dtype=np.float64).ravel()
    y = np.asarray(lat, dtype=np.float64).ravel()
    polys = np.asarray(list(areas), dtype=object)
    n = int(x.size)
    conv = {"wgs84": (x, y), "gcj02": gcj02_to_wgs84(x, y), "bd09": bd09_to_wgs84(x, y)}
    hits = {}
    for d in DATUMS:
        cx, cy = conv[d]
        hits[d] = int(np.count_nonzero(shapely.covers(polys, shapely.points(cx, cy)))) if n else 0
    order = tuple(sorted(DATUMS, key=lambda d: (-hits[d], d != (hint or "wgs84"), DATUMS.index(d))))
    best, second = order[0], order[1]
    if hint in hits and hits[hint] == hits[best] and n:
        return DatumTest(hits, n, hint, True, order)
    clear = n > 0 and hits[best] - hits[second] >= max(1, math.ceil(min_margin_share * n)) \
        and hits[best] >= min_share * n
    slack = max(1, math.ceil(min_margin_share * n))
    uninformative = (not clear and n > 0 and hits["wgs84"] == hits[best] and hits[best] >= n - slack)
    return DatumTest(hits, n, best if clear else None, False, order, uninformative)
