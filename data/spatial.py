"""Spatial work in PostGIS: import matching and heat binning as set-based SQL on PostgreSQL.

SQLite (the embedded default for one county) has no spatial functions here (no SpatiaLite, see
``data.types``), so there the same work is done in Python (``data.importers.matching``,
``geo.assign``, ``geo.binning``). Both paths give the same answers; tests compare them on the same
data (``tests/test_spatial_sql.py``) and ``tests/bench/bench_spatial.py`` times them.

* :func:`match_points` — for a batch of work-order points (WGS-84), COPYed into a temporary
  table with its own GiST index, **one statement** answers for every point: the
  compound polygon covering it (``ST_Intersects``: an edge counts as inside, on a shared
  edge the smaller id wins), else the nearest compound stored as a point (a non-polygon
  geometry's centroid) within ``nearest_m`` metres, measured in the CGCS2000 3° Gauss–Krüger zone
  of the compounds' median longitude (the zone ``geo.projection.metric_crs`` picks in Python);
  and the community and township polygons covering it. Every join finds its candidates through a
  GiST index (``&&``: the polygons' ``geometry`` index or the points' own, whichever side the
  planner puts inside; a box a little over ``nearest_m`` wide for the nearest point).
* :func:`heat_hexes` — the heat map's hexagons: the same points the Python path bins
  (``data.queries.heat_counts``: ~50 m lattice cells and compound centroids) put into
  ``ST_HexagonGrid`` cells of the given circumradius in the Gauss–Krüger zone of their median
  longitude. PostGIS's grid and ``geo.binning.hex_bins`` are the same lattice (flat-topped
  hexagons, origin at the zone's 0/0), so the cells and counts are the same.
"""
from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, Integer, LargeBinary, cast, column, func, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from data.schema import Complaint, Compound
from data.scope import Period, Scope
from geo.projection import WGS84

__all__ = ["in_database", "match_points", "PointMatch", "heat_hexes"]


def in_database(bind, wanted: bool | None = None) -> bool:
    """Whether spatial work runs as SQL on this connection or engine: PostgreSQL yes, SQLite no.

    ``wanted=False`` forces the Python path on PostgreSQL too (benchmarks, comparison tests)."""
    pg = bind.dialect.name == "postgresql"
    if wanted and not pg:
        raise ValueError("spatial SQL needs PostgreSQL/PostGIS")
    return pg if wanted is None else bool(wanted)


# The SRID of the CGCS2000 3-degree Gauss–Krüger zone (no zone prefix, EPSG:4534..4554) of a
# longitude, as geo.projection.gk_epsg(gk_central_meridian(lon)) computes it in Python.
_GK_SRID = "(4534 + (3 * floor({lon} / 3.0 + 0.5) - 75) / 3)::int"

_POLYGONAL = "GeometryType({g}) IN ('POLYGON', 'MULTIPOLYGON')"

# The file's points go into a temporary table with its own GiST index, so every polygon looks up
# the points in its box (polygons outer): 5,000 compound lookups instead of 200,000 point lookups,
# and each township or community polygon meets its points one after another, which lets PostGIS
# reuse its prepared (indexed) form of that polygon for every point-in-polygon test.
_POINTS_SQL = (
    "DROP TABLE IF EXISTS pg_temp.match_point",
    "CREATE TEMPORARY TABLE match_point (i int PRIMARY KEY, x float8 NOT NULL, y float8 NOT NULL, "
    "g geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x, y), 4326)) STORED) "
    "ON COMMIT DROP",
)
_POINTS_INDEX_SQL = ("CREATE INDEX ON match_point USING gist (g)", "ANALYZE match_point")

_MATCH_SQL = f"""
WITH zone AS MATERIALIZED (
    SELECT {_GK_SRID.format(lon="percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_X(ST_Centroid(geometry)))")}
           AS srid
    FROM compound WHERE geometry IS NOT NULL AND NOT ST_IsEmpty(geometry)
),
poly AS (
    SELECT DISTINCT ON (p.i) p.i, c.id
    FROM compound c JOIN match_point p ON p.g && c.geometry AND ST_Intersects(c.geometry, p.g)
    WHERE {_POLYGONAL.format(g="c.geometry")}
    ORDER BY p.i, c.id
),
centre AS MATERIALIZED (  -- compounds stored as points (or lines …: their centroid), in metres too
    SELECT c.id, x.g, ST_Transform(x.g, zone.srid) AS m
    FROM compound c CROSS JOIN zone
    CROSS JOIN LATERAL (SELECT CASE WHEN GeometryType(c.geometry) = 'POINT' THEN c.geometry
                                    ELSE ST_Centroid(c.geometry) END AS g) x
    WHERE c.geometry IS NOT NULL AND NOT ST_IsEmpty(c.geometry) AND NOT {_POLYGONAL.format(g="c.geometry")}
),
near AS (
    SELECT DISTINCT ON (i) i, id, d FROM (
        SELECT p.i, n.id, ST_Distance(n.m, ST_Transform(p.g, zone.srid)) AS d
        FROM centre n CROSS JOIN zone
        JOIN match_point p
          ON p.g && ST_Expand(n.g, :reach_m / (110000.0 * cos(radians(ST_Y(n.g)))), :reach_m / 110000.0)
    ) pairs
    WHERE d <= :nearest_m
    ORDER BY i, d, id
),
comm AS (
    SELECT DISTINCT ON (p.i) p.i, m.id
    FROM community m JOIN match_point p ON p.g && m.geometry AND ST_Intersects(m.geometry, p.g)
    ORDER BY p.i, m.id
),
town AS (
    SELECT DISTINCT ON (p.i) p.i, w.id
    FROM township w JOIN match_point p ON p.g && w.geometry AND ST_Intersects(w.geometry, p.g)
    ORDER BY p.i, w.id
)
SELECT p.i, poly.id AS polygon_id, near.id AS near_id, near.d AS near_m,
       comm.id AS community_id, town.id AS township_id
FROM match_point p
LEFT JOIN poly ON poly.i = p.i
LEFT JOIN near ON near.i = p.i
LEFT JOIN comm ON comm.i = p.i
LEFT JOIN town ON town.i = p.i
"""


def load_points(connection, lon: Sequence[float], lat: Sequence[float]) -> None:
    """The points, numbered from 1, into this transaction's indexed table ``match_point``.

    COPY, not an array parameter: 50,000 points as arrays cost ~1 s of Python-side conversion."""
    for sql in _POINTS_SQL:
        connection.execute(text(sql))
    conn = connection.connection() if isinstance(connection, Session) else connection
    # repr() writes the shortest text that reads back as the same double: an order lying exactly
    # on a compound's edge stays on it
    data = "".join(f"{i}\t{x!r}\t{y!r}\n" for i, (x, y) in enumerate(zip(map(float, lon), map(float, lat)), 1))
    with conn.connection.driver_connection.cursor() as cur, cur.copy("COPY match_point (i, x, y) FROM STDIN") as copy:
        copy.write(data)
    for sql in _POINTS_INDEX_SQL:
        connection.execute(text(sql))


def _no_jit(connection) -> None:
    """No JIT compilation for the rest of this transaction.

    The planner cannot estimate how many polygons a batch of points meets, prices the joins high
    and JIT-compiles them: measured, ~2 s of compiling for ~0.3 s of work on 5,000 points."""
    connection.execute(text("SET LOCAL jit = off"))


class PointMatch(tuple):
    """(compound id, method, confidence, note, community id, township id) for one point."""

    __slots__ = ()

    def __new__(cls, compound_id=None, method=None, confidence=None, note=None, community_id=None,
                township_id=None):
        return super().__new__(cls, (compound_id, method, confidence, note, community_id, township_id))

    compound_id = property(lambda self: self[0])
    method = property(lambda self: self[1])
    confidence = property(lambda self: self[2])
    note = property(lambda self: self[3])
    community_id = property(lambda self: self[4])
    township_id = property(lambda self: self[5])


def match_points(connection, lon: Sequence[float], lat: Sequence[float], *,
                 nearest_m: float) -> list[PointMatch]:
    """Matching stages 1 (坐标) and 2 (邻近), and the covering community and township, in PostGIS.

    Parameters
    ----------
    connection : sqlalchemy Connection or Session on PostgreSQL
    lon, lat : WGS-84 degrees, one pair per work order (NaN: no point)
    nearest_m : the setting ``match_nearest_m``

    Returns one :class:`PointMatch` per point, in order; method and confidence are those
    ``CompoundMatcher.by_points`` gives (坐标 1.0; 邻近 from 1 at 0 m to 0.5 at the limit, with
    the distance as the note), None where neither stage applies.
    """
    from data.importers.matching import NEAREST, POLYGON

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = [PointMatch() for _ in range(lon.size)]
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if not ok.size:
        return out
    _no_jit(connection)
    load_points(connection, lon[ok], lat[ok])
    # the box that finds the candidates is a little wider than the limit: degrees are not metres,
    # and Gauss–Krüger distances grow by up to ~0.1 % towards a zone's edge
    rows = connection.execute(text(_MATCH_SQL), {"nearest_m": float(nearest_m),
                                                 "reach_m": float(nearest_m) * 1.1 + 1.0}).all()
    for i, polygon_id, near_id, near_m, community_id, township_id in rows:
        k = int(ok[i - 1])
        if polygon_id is not None:
            out[k] = PointMatch(int(polygon_id), POLYGON, 1.0, None, community_id, township_id)
        elif near_id is not None:
            conf = round(1.0 - 0.5 * near_m / nearest_m, 3) if nearest_m > 0 else 1.0
            out[k] = PointMatch(int(near_id), NEAREST, conf, f"距最近小区 {near_m:.0f} 米", community_id,
                                township_id)
        else:
            out[k] = PointMatch(None, None, None, None, community_id, township_id)
    return out


# --------------------------------------------------------------------------- heat

def heat_hexes(engine: Engine, scope: Scope, period: Period, *, radius_m: float = 250,
               categories: tuple[str, ...] | None = None, cell_deg: float = 0.0005,
               sql: bool | None = None) -> gpd.GeoDataFrame:
    """The heat map's hexagons (WGS-84 polygons) with ``count``, for the scope and period.

    The points are those of ``data.queries.complaint_point_counts`` (matched complaints at their
    ~50 m lattice cell, the others at their compound's centroid). On PostgreSQL the binning is one
    statement (``ST_HexagonGrid``); on SQLite (or ``sql=False``) ``geo.binning.hex_bins`` bins
    the same points in Python. Same cells, same counts.
    """
    from data import queries

    if not in_database(engine, sql):
        from geo.binning import hex_bins

        points = queries.complaint_point_counts(engine, scope, period, categories=categories,
                                                cell_deg=cell_deg)
        if points.empty:
            return _empty_hexes()
        polygons, counts = hex_bins(points["lon"].to_numpy(), points["lat"].to_numpy(), radius_m=radius_m,
                                    weights=points["count"].to_numpy())
        return gpd.GeoDataFrame({"count": counts.astype(int)}, geometry=list(polygons), crs=WGS84)
    if radius_m <= 0:
        raise ValueError("radius_m must be positive")
    where = (lambda stmt: stmt.where(Complaint.category.in_(categories))) if categories else None
    at_point, at_compound = queries.heat_statements(scope, period, where=where, cell_deg=cell_deg)
    stmt = _heat_statement(at_point, at_compound, cell_deg=cell_deg, radius_m=float(radius_m))
    with engine.connect() as c, c.begin():
        _no_jit(c)
        rows = c.execute(stmt).all()
    if not rows:
        return _empty_hexes()
    counts = np.array([int(r.n) for r in rows], dtype=np.int64)
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
    return gpd.GeoDataFrame({"count": counts}, geometry=list(geoms), crs=WGS84)


def _gk_srid(lon):
    """SQL: the SRID of the Gauss–Krüger zone of ``lon`` (as ``geo.projection.metric_crs``)."""
    return cast(4534 + (3 * func.floor(lon / 3.0 + 0.5) - 75) / 3, Integer)


def _heat_statement(at_point, at_compound, *, cell_deg: float, radius_m: float):
    """One statement: the points of ``heat_counts`` → ``ST_HexagonGrid`` cells with summed counts."""
    located = at_point.subquery("located")
    by_compound = at_compound.subquery("by_compound")
    centre = func.ST_Centroid(Compound.geometry)  # a point's centroid is the point
    compound_cells = (
        select(func.round(func.ST_X(centre) / cell_deg).label("gx"),
               func.round(func.ST_Y(centre) / cell_deg).label("gy"), by_compound.c.n)
        .join_from(by_compound, Compound, Compound.id == by_compound.c.compound_id)
        .where(Compound.geometry.is_not(None), func.ST_IsEmpty(Compound.geometry).is_(False)))
    both = select(located.c.gx, located.c.gy, located.c.n).union_all(compound_cells).subquery("both_points")
    cells = (select(both.c.gx, both.c.gy, func.sum(both.c.n).label("n"))
             .group_by(both.c.gx, both.c.gy).cte("cells"))
    # the zone of the points' median longitude, as hex_bins picks it (np.median = percentile_cont)
    zone = select(_gk_srid(func.percentile_cont(0.5).within_group(cells.c.gx * cell_deg)).label("srid")
                  ).cte("zone")
    point = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(cells.c.gx * cell_deg, cells.c.gy * cell_deg),
                                              4326), zone.c.srid, type_=NullType)
    pts = select(point.label("g"), cells.c.n, zone.c.srid).select_from(cells).join(zone, true()).cte("pts")
    # the grid cells whose boxes hold the point (one or two); the one that holds the point itself
    grid = func.ST_HexagonGrid(radius_m, pts.c.g).table_valued(
        column("geom", NullType), column("i", Integer), column("j", Integer)).alias("h")
    cell = (select(grid.c.i, grid.c.j).where(func.ST_Intersects(grid.c.geom, pts.c.g))
            .order_by(grid.c.i, grid.c.j).limit(1).lateral("cell"))
    hexagon = func.ST_Transform(func.ST_SetSRID(func.ST_Hexagon(radius_m, cell.c.i, cell.c.j), pts.c.srid),
                                4326, type_=NullType)
    return (select(cell.c.i, cell.c.j, func.sum(pts.c.n).label("n"),
                   func.ST_AsBinary(hexagon, type_=LargeBinary).label("wkb"))
            .select_from(pts).join(cell, true())
            .group_by(cell.c.i, cell.c.j, pts.c.srid).order_by(cell.c.i, cell.c.j))


def _empty_hexes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"count": pd.Series([], dtype=np.int64)}, geometry=[], crs=WGS84)
