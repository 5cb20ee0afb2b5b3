"""Benchmark: the city and province demos (issue 17) and what a city or province deployment reads.

Builds ``python -m data demo --scale city|province`` into a fresh database (SQLite by default,
``--db URL`` for PostgreSQL) and prints the build time and row counts, then times the city top
list (``complaint_stats.city_ladder`` of the last month) and the compounds read of a city user
and of a county user. On PostgreSQL it also prints:

- bytes: ``pg_total_relation_size`` of complaint (summed over its monthly partitions), compound,
  complaint_month and the whole database;
- the overview's figures (``data.queries.overview``) for the whole deployment, a city and a
  county, cold (first call, fresh engine) and warm (the median of the next two); then, in the
  same process, the ladders as before against now: one township ladder per county against one
  pass, one 全市 list per city against one pass, and a city's 36 months of compound counts from
  ``complaint_month`` (per category) against ``complaint_month_place``, each checked equal;
- a one-month complaint query (counts by category of one city's month, and one compound's month)
  on the partitioned table and on an unpartitioned copy of it with the same indexes;
- ``--ratio-per-county N`` (default 2,000): in the same process, a city of N complaints per county
  built twice into fresh databases on the same server, complaints by COPY and by executemany, and
  the ratio;
- ``--import N`` (default 0): ``import_complaints`` of N work orders with matching (PostGIS SQL),
  the time, and the linear projection to 1,000,000.

Default sizes are the scale's (province ≈ 50,000 compounds / 5,000,000 complaints);
``--compounds-per-county`` and ``--complaints-per-county`` make it smaller. Not a test: nothing
asserted.

    python tests/bench/bench_places.py --scale city
    python tests/bench/bench_places.py --scale province --db postgresql+psycopg://…/bench --import 100000
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data import db, queries  # noqa: E402
from data.demo import DEFAULT_END_MONTH, build_demo  # noqa: E402
from data.queries import complaint_stats as cs  # noqa: E402
from data.queries.overview import overview  # noqa: E402
from data.scope import Period, Scope  # noqa: E402


def progress(done, total, message):
    print(f"\r[{100 * done / total:5.1f}%] {message:<40}", end="", file=sys.stderr, flush=True)


def _fresh_database(url: str, name: str) -> str:
    """A new PostGIS database ``name`` on the server of ``url``; its URL."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    out = make_url(url).set(database=name).render_as_string(hide_password=False)
    e = create_engine(out)
    with e.begin() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    e.dispose()
    return out


def copy_ratio(url: str, per_county: int) -> None:
    """The city with ``per_county`` complaints per county, COPY and executemany, in this process."""
    from data import bulk
    from data.demo import scale

    times, loading = {}, {}
    real = scale.load_rows

    def executemany(conn, model, columns, rows, chunk=20_000):
        return bulk.insert_bulk(conn, model, [dict(zip(columns, r)) for r in rows], chunk)

    for how, loader in (("COPY", real), ("executemany", executemany)):
        target = _fresh_database(url, f"bench_ratio_{how.lower()}")
        engine = db.make_engine(target)
        db.migrate(engine)
        loading[how] = 0.0

        def timed_loader(*a, _loader=loader, _how=how, **kw):
            t0 = time.perf_counter()
            try:
                return _loader(*a, **kw)
            finally:
                loading[_how] += time.perf_counter() - t0

        scale.load_rows = timed_loader
        try:
            t0 = time.perf_counter()
            build_demo(engine, scale="city", compounds_per_county=30, complaints_per_county=per_county)
            times[how] = time.perf_counter() - t0
        finally:
            scale.load_rows = real
            engine.dispose()
    n = 11 * per_county
    print(f"city build, {n:,} complaints: COPY {times['COPY']:.1f} s, executemany {times['executemany']:.1f} s, "
          f"ratio {times['executemany'] / times['COPY']:.2f}×; writing the complaints alone: "
          f"COPY {loading['COPY']:.1f} s, executemany {loading['executemany']:.1f} s, "
          f"ratio {loading['executemany'] / loading['COPY']:.2f}×")


def pg_figures(engine, city: str, county: str, *, with_overview: bool = True) -> None:
    with engine.connect() as c:
        sizes = c.execute(text("""
            SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), pg_total_relation_size('complaint'))
                      FROM pg_inherits WHERE inhparent = 'complaint'::regclass),
                   pg_total_relation_size('complaint_order_no'), pg_total_relation_size('compound'),
                   pg_total_relation_size('complaint_month'), pg_database_size(current_database()),
                   (SELECT count(*) FROM pg_inherits WHERE inhparent = 'complaint'::regclass),
                   pg_total_relation_size('complaint_month_place')""")).one()
        rows = c.execute(text("SELECT (SELECT count(*) FROM complaint), (SELECT count(*) FROM compound), "
                              "(SELECT count(*) FROM complaint_month), "
                              "(SELECT count(*) FROM complaint_month_place)")).one()
    mb = [s / 2**20 for s in sizes[:5]]
    print(f"rows: complaint {rows[0]:,}, compound {rows[1]:,}, complaint_month {rows[2]:,}, "
          f"complaint_month_place {rows[3]:,}")
    print(f"bytes: complaint {mb[0]:.0f} MB in {sizes[5]} partitions (+ order_no keys {mb[1]:.0f} MB), "
          f"compound {mb[2]:.0f} MB, complaint_month {mb[3]:.0f} MB, complaint_month_place "
          f"{sizes[6] / 2**20:.0f} MB, database {mb[4]:.0f} MB")

    months = queries.complaint_months(engine)
    if with_overview:
        overview_times(engine, city, months, county)
    month_queries(engine, city, months)


def overview_times(engine, city: str, months: list[str], county: str | None = None) -> None:
    period = Period.months(months[max(0, len(months) - 12)], months[-1])
    url = engine.url.render_as_string(hide_password=False)
    scopes = [("province (an administrator)", Scope()), (f"city {city}", Scope(city=city))]
    if county is not None:
        scopes.append((f"county {county}", Scope(county=county)))
    for label, scope in scopes:
        fresh = db.make_engine(url)
        t0 = time.perf_counter()
        overview(fresh, scope, period)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(2):
            t0 = time.perf_counter()
            overview(fresh, scope, period)
            warm.append(time.perf_counter() - t0)
        fresh.dispose()
        print(f"overview figures, {label}, {period.start}..{period.end}: cold {cold:.2f} s, "
              f"warm {statistics.median(warm):.2f} s")
    ladder_ratios(engine, city, months[-1])


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def ladder_ratios(engine, city: str, month: str) -> None:
    """The ladders of the whole deployment as before (one call per county, one per city, counts summed
    per category) against now (one pass with each place's area, counts without the category), same
    process, same data; the results are checked equal."""
    import pandas as pd
    from sqlalchemy import func, select

    from data.schema import ComplaintMonth
    from policy import ladders

    counts, areas = cs.township_counts(engine, Scope(), month)
    since = cs.data_from(engine)
    if areas:
        def per_county():
            return pd.concat([ladders.township_ladder(counts[counts["township_id"].map(areas) == a], month,
                                                      data_from=since) for a in sorted(set(areas.values()))])
        each, naive = _timed(per_county)
        one, fast = _timed(lambda: ladders.township_ladder(counts, month, data_from=since, areas=areas))
        same = one.sort_values("township_id").reset_index(drop=True).equals(
            each.sort_values("township_id").reset_index(drop=True))
        print(f"township ladders of {len(set(areas.values()))} counties: one call per county {naive:.2f} s, "
              f"one pass {fast:.3f} s ({naive / fast:.0f}x, same rows: {same})")
    cities = cs._deployment_cities(engine)
    if len(cities) > 1:
        top_n = 50
        lists = pd.concat([cs.ranking_counts(engine, Scope(city=c), month, top_n=top_n).assign(city=c)
                           for c in cities], ignore_index=True)
        city_of = dict(zip(lists["project_id"], lists["city"]))
        each, naive = _timed(lambda: pd.concat([ladders.complaint_ladder(lists[lists["city"] == c], month, top_n)
                                                for c in cities], ignore_index=True))
        one, fast = _timed(lambda: ladders.complaint_ladder(lists, month, top_n, areas=city_of))
        print(f"全市 lists of {len(cities)} cities: one ladder per city {naive:.2f} s, one pass {fast:.3f} s "
              f"({naive / fast:.0f}x, same rows: {one.equals(each)})")
    a = ComplaintMonth  # a city's 36 months of compound counts, summed per category as before
    window = (ladders.shift_month(month, -36), month)
    by_category = (select(a.compound_id, a.month, func.sum(a.n)).where(a.month >= window[0], a.month <= window[1])
                   .where(a.compound_id.is_not(None)).where(queries.in_scope(a.township_id, Scope(city=city)))
                   .group_by(a.compound_id, a.month))
    with engine.connect() as c:
        old, naive = _timed(lambda: sorted(tuple(r) for r in c.execute(by_category)))
    new, fast = _timed(lambda: cs.ranking_counts(engine, Scope(city=city), month))
    same = old == sorted(zip(new["project_id"], new["month"], new["complaints"]))
    print(f"a city's 36 months of compound counts: from complaint_month {naive:.2f} s, "
          f"from complaint_month_place {fast:.2f} s ({naive / fast:.1f}x, same counts: {same})")


def month_queries(engine, city: str, months: list[str]) -> None:
    """One month of complaints: the partitioned table against an unpartitioned copy, same indexes."""
    month = months[-2]
    lo, hi = f"{month}-01", Period.months(month).end.isoformat()
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS bench_complaint_flat"))
        t0 = time.perf_counter()
        c.execute(text("CREATE TABLE bench_complaint_flat AS SELECT * FROM complaint"))
        c.execute(text("CREATE INDEX ON bench_complaint_flat (received_at)"))
        c.execute(text("CREATE INDEX ON bench_complaint_flat (township_id, received_at)"))
        c.execute(text("CREATE INDEX ON bench_complaint_flat (compound_id, received_at)"))
        c.execute(text("ANALYZE bench_complaint_flat"))
        print(f"(unpartitioned copy made in {time.perf_counter() - t0:.0f} s)")
        compound = c.execute(text("SELECT compound_id FROM complaint WHERE compound_id IS NOT NULL "
                                  "AND received_at >= :lo AND received_at < :hi LIMIT 1"), {"lo": lo, "hi": hi}).scalar()
    queries_ = {
        "a city's month by category": (
            "SELECT k.category, count(*) FROM {t} k JOIN township t ON t.id = k.township_id "
            "JOIN county c ON c.adcode = t.county_adcode WHERE c.city_adcode = :city "
            "AND k.received_at >= :lo AND k.received_at < :hi GROUP BY k.category"),
        "the province's month by category": (
            "SELECT category, count(*) FROM {t} WHERE received_at >= :lo AND received_at < :hi GROUP BY category"),
        "one compound's month": (
            "SELECT count(*) FROM {t} WHERE compound_id = :compound AND received_at >= :lo AND received_at < :hi"),
    }
    params = {"city": city, "lo": lo, "hi": hi, "compound": compound}
    for label, sql in queries_.items():
        out = {}
        for table in ("complaint", "bench_complaint_flat"):
            with engine.connect() as c:
                runs = []
                for _ in range(4):
                    t0 = time.perf_counter()
                    c.execute(text(sql.format(t=table)), params).all()
                    runs.append(time.perf_counter() - t0)
            out[table] = (runs[0], statistics.median(runs[1:]))
        p, f = out["complaint"], out["bench_complaint_flat"]
        print(f"{label} ({month}): partitioned first {p[0] * 1000:.0f} ms / warm {p[1] * 1000:.0f} ms; "
              f"unpartitioned first {f[0] * 1000:.0f} ms / warm {f[1] * 1000:.0f} ms")
    with engine.begin() as c:
        c.execute(text("DROP TABLE bench_complaint_flat"))


def county_orders(engine, n: int, seed: int = 1) -> list[tuple[str, float, float]]:
    """(order no, lon, lat) in the county an import checks coordinates against (the importer takes the
    first county outline: one county's 12345 file), half inside its compounds, the rest anywhere in it."""
    import random

    import shapely
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data.schema import Compound, County, Township

    rng = random.Random(seed)
    with Session(engine) as s:
        county = s.scalars(select(County).where(County.geometry.is_not(None))).first()
        polys = list(s.scalars(select(Compound.geometry).join(Township, Township.id == Compound.township_id)
                               .where(Township.county_adcode == county.adcode)))
    outline = county.geometry
    shapely.prepare(outline)
    box = outline.bounds
    inside = [p.representative_point() for p in polys]
    out = []
    for i in range(n):
        if rng.random() < 0.5 and inside:
            p = rng.choice(inside)
            lon, lat = p.x + rng.uniform(-1e-5, 1e-5), p.y + rng.uniform(-1e-5, 1e-5)
        else:
            while True:
                lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
                if shapely.contains_xy(outline, lon, lat):
                    break
        out.append((f"B{i:07d}", round(lon, 7), round(lat, 7)))
    return out


def import_orders(engine, n: int) -> None:
    """``import_complaints`` of ``n`` work orders matched in PostGIS; projected to 1,000,000."""
    import bench_spatial

    from data.importers.complaints import import_complaints

    with engine.begin() as c:  # orders of an earlier run go first: these are all new work orders
        c.execute(text("DELETE FROM complaint WHERE order_no LIKE 'B%'"))
    t0 = time.perf_counter()
    orders = county_orders(engine, n)
    folder = Path(tempfile.mkdtemp(prefix="bench_places_"))
    paths = []  # files of at most 500,000 orders: one file may not exceed the upload cap (50 MB)
    for i in range(0, n, ORDERS_PER_FILE):
        paths.append(folder / f"orders_{i // ORDERS_PER_FILE + 1}.csv")
        bench_spatial.write_csv(paths[-1], orders[i:i + ORDERS_PER_FILE])
    print(f"({n:,} orders written to {len(paths)} file(s) in {time.perf_counter() - t0:.0f} s)")
    took, created, related = 0.0, 0, {}
    for path in paths:
        t0 = time.perf_counter()
        report = import_complaints(engine, path, crs="wgs84", spatial_sql=True)
        took += time.perf_counter() - t0
        assert report.ok, report.error_lines()[:5]
        created += report.created
        related = {k: related.get(k, 0) + v for k, v in report.related.items()}
    print(f"import of {n:,} work orders with matching (PostGIS), {len(paths)} file(s): {took:.1f} s "
          f"({n / took:,.0f}/s; 1,000,000 projected: {took * 1_000_000 / n / 60:.1f} min); "
          f"created {created:,}, " + ", ".join(f"{k} {v}" for k, v in related.items()))


ORDERS_PER_FILE = 500_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("city", "province"), default="city")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--compounds-per-county", type=int, default=None)
    parser.add_argument("--complaints-per-county", type=int, default=None)
    parser.add_argument("--ratio-per-county", type=int, default=2000,
                        help="PostgreSQL: complaints per county of the COPY/executemany comparison (0: skip)")
    parser.add_argument("--import", dest="import_n", type=int, default=0,
                        help="PostgreSQL: time an import of this many work orders with matching")
    parser.add_argument("--existing", action="store_true",
                        help="measure the database --db as it is (built by an earlier run): no ratio, no build")
    parser.add_argument("--no-overview", action="store_true", help="PostgreSQL: skip the overview figures")
    args = parser.parse_args(argv)
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench_places_')}/places.sqlite"
    postgres = url.startswith("postgresql")
    if postgres and args.ratio_per_county and not args.existing:
        copy_ratio(url, args.ratio_per_county)
    engine = db.make_engine(url)
    db.migrate(engine)

    if not args.existing:
        t0 = time.perf_counter()
        summary = build_demo(engine, scale=args.scale, compounds_per_county=args.compounds_per_county,
                             complaints_per_county=args.complaints_per_county, progress=progress)
        print(file=sys.stderr)
        took = time.perf_counter() - t0
        print(f"build {args.scale}: {took:.1f} s ({summary['诉求'] / took:,.0f} complaints/s)  "
              + "  ".join(f"{k} {v}" for k, v in summary.items()))
    counties = queries.counties(engine, Scope())
    for city in sorted(set(counties["city_adcode"]))[:3]:
        t0 = time.perf_counter()
        ladder = cs.city_ladder(engine, DEFAULT_END_MONTH, city)
        print(f"city top list {city}: {time.perf_counter() - t0:.2f} s ({len(ladder)} rows)")
    city, county = counties["city_adcode"].iloc[0], counties["adcode"].iloc[0]
    for scope in (Scope(city=city), Scope(county=county)):
        t0 = time.perf_counter()
        n = len(queries.compounds(engine, scope))
        print(f"compounds of {scope.key()}: {time.perf_counter() - t0:.2f} s ({n} rows)")
    if postgres:
        pg_figures(engine, city, county, with_overview=not args.no_overview)
        if args.import_n:
            import_orders(engine, args.import_n)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_spatial's order maker
    raise SystemExit(main())
