"""Shared plumbing for the demo generator: seeded generators, metric CRS, inserts.

Every phase draws from its own generators derived from ``(seed, phase)`` so a
change in one phase does not shift the random stream of the others. Nothing
here reads the clock, hashes strings with ``hash()`` or iterates a set.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pyproj
import shapely
from sqlalchemy import insert

#: CGCS2000 3-degree Gauss–Krüger zone, central meridian 117°E: metric work for Jinxiang.
METRIC_EPSG = 4548

_TO_METRIC = pyproj.Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
_TO_WGS = pyproj.Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def rngs(seed: int, phase: int) -> tuple[random.Random, np.random.Generator]:
    """A ``random.Random`` and a numpy ``Generator`` for one phase of one seed."""
    return random.Random(seed * 1009 + phase), np.random.default_rng([seed, phase])


# --- coordinates --------------------------------------------------------------

def xy_to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Metric (EPSG:4548, m) → WGS-84 (degrees), vectorised."""
    lon, lat = _TO_WGS.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def lonlat_to_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 (degrees) → metric (EPSG:4548, m), vectorised."""
    x, y = _TO_METRIC.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def _apply(transformer: pyproj.Transformer):
    def fn(coords: np.ndarray) -> np.ndarray:
        a, b = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([a, b])
    return fn


def to_metric(geom):
    """A WGS-84 shapely geometry (or array of them) in EPSG:4548 metres."""
    return shapely.transform(geom, _apply(_TO_METRIC))


def to_wgs(geom):
    """An EPSG:4548 shapely geometry (or array of them) in WGS-84 degrees.

    Coordinates are rounded to 1e-7° (~1 cm); GEOS validity is re-checked and
    repaired if rounding ever folds a sliver.
    """
    out = shapely.transform(geom, _apply(_TO_WGS))
    out = shapely.set_precision(out, 1e-7, mode="valid_output")
    return out


def cross2(u: np.ndarray, v: np.ndarray):
    """z component of the cross product of 2-D vectors (last axis of length 2)."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


# --- values -------------------------------------------------------------------

def money(value: float) -> Decimal:
    """A float as a Decimal with two places (half up)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def month_start(month: str, offset: int = 0) -> date:
    """First day of ``month`` (``YYYY-MM``) shifted by ``offset`` months."""
    y, m = (int(p) for p in month.split("-"))
    k = y * 12 + (m - 1) + offset
    return date(k // 12, k % 12 + 1, 1)


def quarter_of(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def at_time(d: date, minutes: int) -> datetime:
    """``d`` at ``minutes`` after midnight."""
    return datetime(d.year, d.month, d.day) + timedelta(minutes=int(minutes))


# --- inserts --------------------------------------------------------------------

def insert_ids(conn, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` and return their new primary keys in the same order.

    Uses RETURNING with ``sort_by_parameter_order`` (SQLite ≥ 3.35 and
    PostgreSQL both support it), so ids come from the database's own sequence
    and later inserts by the application never collide with them.
    """
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return [int(i) for i in conn.execute(stmt, rows).scalars()]
