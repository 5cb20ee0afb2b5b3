"""Coordinate conversions between WGS-84, GCJ-02 and BD-09, and reprojection to WGS-84.

All functions take and return ``(lon, lat)`` in that order, in degrees.

* **WGS-84** (EPSG:4326) is what we store. CGCS2000 (EPSG:4490) and 天地图 are
  within centimetres of it and are treated as equal.
* **GCJ-02** ("Mars coordinates") is the obfuscated datum required for maps
  published in China: AMap/Gaode, Tencent. It is WGS-84 plus a smooth offset of
  a few hundred metres (417–550 m across Shandong), defined only inside China.
* **BD-09** is Baidu's further offset of GCJ-02 (~0.0065°, 0.006°).

The scalar/array convention: Python or numpy scalars in → Python floats out;
anything array-like in → ``numpy.ndarray`` (float64) out. Points outside the
usual rough bounding box of China (:data:`CHINA_BBOX`, tested per point) are
returned unchanged, as AMap and Baidu do.
"""

from __future__ import annotations

from typing import Callable, Union

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CHINA_BBOX",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "gcj02_to_wgs84_one_step",
    "transform_geometry",
    "to_wgs84",
]

Coord = Union[float, npt.ArrayLike]
PointFunc = Callable[[Coord, Coord], tuple]

#: (min_lon, min_lat, max_lon, max_lat): the rough box AMap/Baidu SDKs use to
#: decide "outside China" (open interval; points on or beyond it are unchanged).
CHINA_BBOX: tuple[float, float, float, float] = (73.66, 3.86, 135.05, 53.55)

# Krasovsky 1940 ellipsoid, as hard-coded in the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

# Stopping rule of the exact inverse: 1e-10° is ~1 cm / 100; convergence is
# geometric (the offset's Jacobian is tiny), so ~3–5 steps suffice in practice.
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30


# --------------------------------------------------------------------------- helpers
def _as_arrays(lon: Coord, lat: Coord) -> tuple[np.ndarray, np.ndarray, bool]:
    """Broadcast to float64 arrays and remember whether the input was scalar."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x.astype(np.float64, copy=True), y.astype(np.float64, copy=True), scalar


def _out(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple:
    if scalar:
        return float(x), float(y)
    return x, y


def _in_china(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    min_lon, min_lat, max_lon, max_lat = CHINA_BBOX
    return (x > min_lon) & (x < max_lon) & (y > min_lat) & (y < max_lat)


def _gcj_delta(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 point (x, y), no China test."""
    u = x - 105.0
    v = y - 35.0
    common = (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * np.sqrt(np.abs(u))
    dlat += common
    dlat += (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * np.sqrt(np.abs(u))
    dlon += common
    dlon += (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


# --------------------------------------------------------------------------- point conversions
def wgs84_to_gcj02(lon: Coord, lat: Coord) -> tuple:
    """Convert WGS-84 to GCJ-02 (AMap/Tencent).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or of ndarray
        GCJ-02 degrees; points outside :data:`CHINA_BBOX` unchanged.
    """
    x, y, scalar = _as_arrays(lon, lat)
    dx, dy = _gcj_delta(x, y)
    inside = _in_china(x, y)
    return _out(np.where(inside, x + dx, x), np.where(inside, y + dy, y), scalar)


def gcj02_to_wgs84(lon: Coord, lat: Coord) -> tuple:
    """Convert GCJ-02 to WGS-84 by exact fixed-point inversion.

    Iterates ``w ← w − (f(w) − g)`` (``f`` = :func:`wgs84_to_gcj02`, ``g`` the
    input) until every step is below 1e-10° (at most 30 iterations). The usual
    one-step inverse ``w = g − (f(g) − g)`` (:func:`gcj02_to_wgs84_one_step`)
    is off by up to a few metres; this is exact to floating-point noise.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or of ndarray
        WGS-84 degrees; points outside :data:`CHINA_BBOX` unchanged.
    """
    gx, gy, scalar = _as_arrays(lon, lat)
    inside = _in_china(gx, gy)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_ITER):
        dlon, dlat = _gcj_delta(wx, wy)
        rx = wx + dlon - gx
        ry = wy + dlat - gy
        wx -= rx
        wy -= ry
        step = np.maximum(np.abs(rx), np.abs(ry))
        # NaN inputs and outside points must not keep the loop going.
        if np.max(step, initial=0.0, where=inside & np.isfinite(step)) < _INVERSE_TOL_DEG:
            break
    return _out(np.where(inside, wx, gx), np.where(inside, wy, gy), scalar)


def gcj02_to_wgs84_one_step(lon: Coord, lat: Coord) -> tuple:
    """Common approximate GCJ-02 → WGS-84 inverse (one step), kept for comparison.

    Error up to ~3 m in Shandong; use :func:`gcj02_to_wgs84` for real data.
    """
    gx, gy, scalar = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(gx, gy)
    inside = _in_china(gx, gy)
    return _out(np.where(inside, gx - dlon, gx), np.where(inside, gy - dlat, gy), scalar)


def gcj02_to_bd09(lon: Coord, lat: Coord) -> tuple:
    """Convert GCJ-02 to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees.

    Returns
    -------
    (lon, lat) : tuple of float or of ndarray
        BD-09 degrees; points outside :data:`CHINA_BBOX` unchanged.
    """
    x, y, scalar = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    inside = _in_china(x, y)
    return _out(
        np.where(inside, z * np.cos(theta) + 0.0065, x),
        np.where(inside, z * np.sin(theta) + 0.006, y),
        scalar,
    )


def bd09_to_gcj02(lon: Coord, lat: Coord) -> tuple:
    """Convert BD-09 (Baidu) to GCJ-02 with Baidu's published inverse formula.

    The published formula is not an exact inverse of :func:`gcj02_to_bd09`;
    round trips differ by ~1e-6° (~0.1 m), which is below Baidu's own precision.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    (lon, lat) : tuple of float or of ndarray
        GCJ-02 degrees; points outside :data:`CHINA_BBOX` unchanged.
    """
    bx, by, scalar = _as_arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    inside = _in_china(bx, by)
    return _out(np.where(inside, z * np.cos(theta), bx), np.where(inside, z * np.sin(theta), by), scalar)


def wgs84_to_bd09(lon: Coord, lat: Coord) -> tuple:
    """Convert WGS-84 to BD-09 (via GCJ-02). Degrees in, degrees out."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Coord, lat: Coord) -> tuple:
    """Convert BD-09 to WGS-84: BD-09 → GCJ-02, then the exact GCJ-02 inverse."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --------------------------------------------------------------------------- geometries
def transform_geometry(geom, func: PointFunc):
    """Apply a ``(lon, lat) -> (lon, lat)`` function to every vertex of a geometry.

    Parameters
    ----------
    geom : shapely geometry or array_like of geometries
        Any geometry type; Z values, if present, are kept unchanged.
    func : callable
        Vectorised point conversion such as :func:`gcj02_to_wgs84`.

    Returns
    -------
    shapely geometry or ndarray of geometries
        Same shape and types as ``geom``.
    """

    def _apply(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out

    # include_z=None keeps each geometry's dimensionality (2D stays 2D).
    return shapely.transform(geom, _apply, include_z=None)


_NAMED_SOURCES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs 84": "wgs84", "epsg:4326": "wgs84",
    "cgcs2000": "cgcs2000", "epsg:4490": "cgcs2000",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "amap": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "baidu": "bd09",
}
_NAMED_FUNCS: dict[str, PointFunc | None] = {
    "wgs84": None,
    "cgcs2000": None,  # CGCS2000 ≈ WGS-84 to a few cm: no shift needed for this product.
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}

Source = Union[str, int, pyproj.CRS]


def _parse_source(source: Source) -> str | pyproj.CRS:
    """Return a named geographic datum ('wgs84', 'cgcs2000', 'gcj02', 'bd09') or a pyproj CRS."""
    if isinstance(source, str) and source.strip().lower() in _NAMED_SOURCES:
        return _NAMED_SOURCES[source.strip().lower()]
    try:
        crs = pyproj.CRS.from_user_input(source)
    except (pyproj.exceptions.CRSError, TypeError) as exc:
        raise ValueError(
            f"Unknown source CRS {source!r}: use 'wgs84', 'cgcs2000', 'gcj02', 'bd09', "
            "an EPSG code or a pyproj CRS."
        ) from exc
    if crs.equals(pyproj.CRS.from_epsg(4326)):
        return "wgs84"
    return crs


def _geoms_to_wgs84(geoms, source: str | pyproj.CRS):
    if isinstance(source, str):
        func = _NAMED_FUNCS[source]
        return geoms if func is None else transform_geometry(geoms, func)
    transformer = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    return transform_geometry(geoms, transformer.transform)


def to_wgs84(gdf_or_geom, source: Source | None = None):
    """Convert a geometry or a GeoDataFrame/GeoSeries to WGS-84 (EPSG:4326).

    Parameters
    ----------
    gdf_or_geom : shapely geometry, GeoSeries or GeoDataFrame
        Data to convert.
    source : str, int or pyproj.CRS, optional
        Declared source CRS: ``"wgs84"``, ``"cgcs2000"`` (EPSG:4490, taken as
        WGS-84), ``"gcj02"`` (AMap/Tencent), ``"bd09"`` (Baidu), or anything
        pyproj accepts (``4527``, ``"EPSG:4548"``, a ``pyproj.CRS``). GCJ-02 and
        BD-09 have no EPSG code, so such data usually arrives tagged EPSG:4326
        or untagged: the declaration is what counts. Optional for a
        GeoSeries/GeoDataFrame that has a CRS (then that CRS is used).

    Returns
    -------
    Same kind as the input
        A new geometry, or a copy with ``crs == EPSG:4326``.

    Raises
    ------
    ValueError
        Unknown source; no source and no CRS on the data; or a declared source
        that contradicts the data's own CRS (e.g. ``"gcj02"`` on projected data).
    """
    if isinstance(gdf_or_geom, (gpd.GeoDataFrame, gpd.GeoSeries)):
        data_crs = gdf_or_geom.crs
        if source is None:
            if data_crs is None:
                raise ValueError("Data has no CRS: declare the source CRS (e.g. 'gcj02', 'EPSG:4527').")
            src: str | pyproj.CRS = _parse_source(data_crs)
        else:
            src = _parse_source(source)
        if data_crs is not None:
            if isinstance(src, str) and not data_crs.is_geographic:
                raise ValueError(
                    f"Declared source {source!r} is geographic (degrees) but the data has "
                    f"projected CRS {data_crs.to_string()}."
                )
            if isinstance(src, pyproj.CRS) and not data_crs.equals(src):
                raise ValueError(
                    f"Declared source {src.to_string()} does not match the data's CRS "
                    f"{data_crs.to_string()}."
                )
        geoms = _geoms_to_wgs84(np.asarray(gdf_or_geom.geometry.values), src)
        new_geom = gpd.GeoSeries(geoms, index=gdf_or_geom.index, crs="EPSG:4326")
        if isinstance(gdf_or_geom, gpd.GeoSeries):
            return new_geom.rename(gdf_or_geom.name)
        out = gdf_or_geom.copy()
        geom_col = gdf_or_geom.geometry.name
        out = out.set_geometry(new_geom.rename(geom_col), crs="EPSG:4326")
        return out
    if isinstance(gdf_or_geom, BaseGeometry):
        if source is None:
            raise ValueError("A bare geometry carries no CRS: declare the source CRS.")
        return _geoms_to_wgs84(gdf_or_geom, _parse_source(source))
    raise TypeError(f"Expected a shapely geometry, GeoSeries or GeoDataFrame, got {type(gdf_or_geom).__name__}.")
