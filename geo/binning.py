"""Hexagonal binning of points on the server, so a heat layer's size does not grow with the data.

Points come in WGS-84 degrees, are projected to the local CGCS2000 3-degree
Gauss–Krüger zone (metres), binned into flat-topped hexagons of a given
circumradius with cube rounding, and counted with ``numpy`` (no Python loop
over points). The hexagons go back out as WGS-84 polygons.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from geo.projection import metric_crs

_SQRT3 = np.sqrt(3.0)


def _axial(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the flat-topped hexagon containing each point (cube rounding)."""
    qf = (2.0 / 3.0) * x / size
    rf = (-x / 3.0 + _SQRT3 / 3.0 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _centre(q: np.ndarray, r: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    return size * 1.5 * q, size * _SQRT3 * (r + q / 2.0)


def hex_bins(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    radius_m: float,
    weights: npt.ArrayLike | None = None,
    central_lon: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Count (weighted) points per hexagon.

    Parameters
    ----------
    lon, lat : array-like
        WGS-84 degrees. Non-finite points are ignored.
    radius_m : float, keyword-only
        Hexagon circumradius in metres (centre to corner).
    weights : array-like, optional
        Weight of each point (default 1), e.g. counts of pre-aggregated points.
    central_lon : float, optional
        Longitude that picks the Gauss–Krüger zone (default: median of ``lon``).

    Returns
    -------
    polygons : ndarray of shapely Polygons, WGS-84
    counts : ndarray of float, the summed weights, same order
    """
    if radius_m <= 0:
        raise ValueError("radius_m must be positive")
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w = np.ones_like(lon) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(w)
    lon, lat, w = lon[ok], lat[ok], w[ok]
    if lon.size == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    crs = metric_crs(float(np.median(lon)) if central_lon is None else central_lon)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_m.transform(lon, lat)
    q, r = _axial(np.asarray(x), np.asarray(y), radius_m)
    keys = np.stack([q, r], axis=1)
    cells, inverse = np.unique(keys, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=w, minlength=len(cells))
    cx, cy = _centre(cells[:, 0].astype(float), cells[:, 1].astype(float), radius_m)
    angles = np.deg2rad(np.arange(0, 360, 60))
    ring_x = cx[:, None] + radius_m * np.cos(angles)[None, :]
    ring_y = cy[:, None] + radius_m * np.sin(angles)[None, :]
    to_deg = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    rx, ry = to_deg.transform(ring_x.ravel(), ring_y.ravel())
    coords = np.stack([np.asarray(rx), np.asarray(ry)], axis=1).reshape(len(cells), 6, 2)
    polygons = shapely.polygons(coords)
    return polygons, counts
