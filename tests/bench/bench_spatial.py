"""Benchmark: spatial work in PostGIS SQL against the Python path, in one process, on one database.

On a PostGIS database holding the demo generator's county with ``--compounds`` compounds
(default 5,000; every fifth stored as its centroid point, so the nearest-point stage has work),
``--orders`` work orders (default 200,000) are made — half inside a compound, a fifth within
150 m of a point compound, the rest anywhere in the county — and timed through:

match      stages 坐标 and 邻近 plus the covering community and township for every order:
           ``data.spatial.match_points`` (one statement) against ``CompoundMatcher.by_points`` +
           ``geo.assign`` (loading the geometries included, as an import does); the answers are
           compared and the differences counted (should be 0);
import     ``import_complaints`` of the same CSV file, end to end, ``spatial_sql`` True / False
           (Python, SQL, Python again, the mean of the two Python runs shown; the rows are
           deleted and the table vacuumed between the runs);
heat       ``data.spatial.heat_hexes`` of the whole period at 250 m (what the heat loader calls),
           PostGIS ``ST_HexagonGrid`` against ``geo.binning.hex_bins``; cells and counts compared.

Not a test: no thresholds (shared, noisy 2-core machine). Run
``python tests/bench/bench_spatial.py [--compounds N] [--orders N] [--pg ADMIN_URL]``; without
``--pg`` a throwaway PostgreSQL is started as the tests do (``scripts/pg_test_server.py``).
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from data import db, queries, spatial  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.importers.complaints import _Places, import_complaints  # noqa: E402
from data.schema import Complaint, Compound, County  # noqa: E402
from data.scope import COUNTY, Period  # noqa: E402


def _pg_helpers():
    spec = importlib.util.spec_from_file_location("_pg_test_server", ROOT / "scripts" / "pg_test_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed(fn, *args, repeat: int = 1, **kw):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def make_orders(engine, n: int, seed: int = 1) -> list[tuple[str, float, float]]:
    """(order no, lon, lat): half inside compounds, a fifth near point compounds, the rest anywhere."""
    rng = random.Random(seed)
    with Session(engine) as s:
        rows = s.execute(select(Compound.id, Compound.geometry).where(Compound.geometry.is_not(None))).all()
        outline = s.scalars(select(County.geometry)).first()
    polys = [g for _, g in rows if g.geom_type in ("Polygon", "MultiPolygon")]
    points = [g for _, g in rows if g.geom_type == "Point"]
    shapely.prepare(outline)
    box = outline.bounds
    out = []
    for i in range(n):
        u = rng.random()
        if u < 0.5 and polys:
            p = rng.choice(polys).representative_point()
            lon, lat = p.x + rng.uniform(-1e-5, 1e-5), p.y + rng.uniform(-1e-5, 1e-5)
        elif u < 0.7 and points:
            p = rng.choice(points)
            lon, lat = p.x + rng.uniform(-0.0015, 0.0015), p.y + rng.uniform(-0.0012, 0.0012)
        else:  # anywhere in the county (a point outside it would be refused)
            while True:
                lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
                if shapely.contains_xy(outline, lon, lat):
                    break
        out.append((f"B{i:07d}", round(lon, 7), round(lat, 7)))
    return out


def write_csv(path: Path, orders) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["工单编号", "受理时间", "诉求类型", "经度", "纬度"])
        for k, (no, lon, lat) in enumerate(orders):
            w.writerow([no, f"2026-{1 + k % 10:02d}-{1 + k % 28:02d} 09:30", "物业管理", lon, lat])


def match_both(engine, orders):
    lon = [o[1] for o in orders]
    lat = [o[2] for o in orders]

    def run(sql: bool):
        nonlocal lon, lat
        with Session(engine) as s:
            places = _Places(s, spatial_sql=sql)
            matches, communities, townships = places.by_point(lon, lat)
        return [(m.compound_id, m.method, c, t) for m, c, t in zip(matches, communities, townships)]

    # warm both paths (PROJ's set-up in the server, pyproj's in Python), as a running app would be
    lon_all, lat_all = lon, lat
    lon, lat = lon_all[:100], lat_all[:100]
    run(True), run(False)
    lon, lat = lon_all, lat_all
    t_sql, a = timed(run, True)
    t_py, b = timed(run, False)
    differ = sum(x != y for x, y in zip(a, b))
    methods = {}
    for cid, method, _, _ in a:
        methods[method] = methods.get(method, 0) + 1
    return t_sql, t_py, differ, methods


def import_both(engine, path: Path):
    def run(sql: bool):
        report = import_complaints(engine, path, crs="wgs84", spatial_sql=sql)
        assert report.ok, report.error_lines()[:5]
        with Session(engine) as s:
            return dict(s.execute(select(Complaint.order_no, Complaint.compound_id)
                                  .where(Complaint.order_no.like("B%"))).all())

    def clear():
        with Session(engine) as s, s.begin():
            s.execute(delete(Complaint).where(Complaint.order_no.like("B%")))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE complaint"))  # no dead rows left for the next run

    # Python, SQL, Python again: the machine's load drifts during minutes-long imports
    t_py1, b = timed(run, False)
    clear()
    t_sql, a = timed(run, True)
    clear()
    t_py2, b = timed(run, False)  # these rows stay: the heat map's complaints
    t_py = (t_py1 + t_py2) / 2
    return t_sql, t_py, sum(a[k] != b.get(k) for k in a)


def heat_both(engine, repeat: int = 3):
    months = queries.complaint_months(engine)
    period = Period.months(months[0], months[-1])
    t_sql, a = timed(spatial.heat_hexes, engine, COUNTY, period, radius_m=250, repeat=repeat)
    t_py, b = timed(spatial.heat_hexes, engine, COUNTY, period, radius_m=250, sql=False, repeat=repeat)

    def cells(f):
        return {(round(g.centroid.x, 6), round(g.centroid.y, 6)): int(n) for g, n in zip(f.geometry, f["count"])}

    same = cells(a) == cells(b)
    return t_sql, t_py, len(a), int(a["count"].sum()), same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compounds", type=int, default=5000)
    ap.add_argument("--orders", type=int, default=200_000)
    ap.add_argument("--import-orders", type=int, default=None,
                    help="orders in the end-to-end import (default: --orders)")
    ap.add_argument("--pg", help="admin URL of a PostgreSQL server with PostGIS (default: start one)")
    args = ap.parse_args()
    helpers = _pg_helpers()
    server = None
    if args.pg:
        admin = helpers.to_sqlalchemy_url(args.pg)
    else:
        server = helpers.PgTestServer()
        admin = server.start()
    dbs = helpers.PostgisDatabases(admin)
    url = dbs.create()
    try:
        engine = db.make_engine(url)
        db.migrate(engine)
        t0 = time.perf_counter()
        build_demo(engine, compounds=args.compounds, complaints=1000)
        with engine.begin() as c:  # every fifth compound known only as a point
            c.execute(text("UPDATE compound SET geometry = ST_Centroid(geometry) WHERE id % 5 = 0"))
            c.execute(text("ANALYZE"))
        print(f"PostGIS: {args.compounds:,} compounds built in {time.perf_counter() - t0:.1f} s", flush=True)
        orders = make_orders(engine, args.orders)

        t_sql, t_py, differ, methods = match_both(engine, orders)
        print(f"match {len(orders):,} orders (坐标/邻近, community, township):", flush=True)
        print(f"  SQL {t_sql:6.2f} s   Python {t_py:6.2f} s   Python/SQL {t_py / t_sql:4.2f}×   "
              f"differing answers {differ}   {methods}", flush=True)

        n_import = args.import_orders or args.orders
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "工单.csv"
            write_csv(path, orders[:n_import])
            t_sql, t_py, differ = import_both(engine, path)
            print(f"import {n_import:,} orders from CSV, end to end:", flush=True)
            print(f"  SQL {t_sql:6.2f} s   Python {t_py:6.2f} s   Python/SQL {t_py / t_sql:4.2f}×   "
                  f"differing compounds {differ}", flush=True)
        t_sql, t_py, cells, total, same = heat_both(engine)
        print(f"heat, 250 m hexagons, whole period ({total:,} complaints in {cells:,} cells):", flush=True)
        print(f"  SQL {t_sql:6.3f} s   Python {t_py:6.3f} s   Python/SQL {t_py / t_sql:4.2f}×   "
              f"same cells and counts: {same}", flush=True)
        engine.dispose()
    finally:
        dbs.drop(url)
        dbs.close()
        if server:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
