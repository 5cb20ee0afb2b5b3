"""Benchmark: the overview read from the monthly aggregates (``complaint_month``) against raw complaints, in one process.

Prints, for the demo county and for 5,000 compounds / 500,000 complaints (the demo
generator, imported from ``bench_overview.py``; ``--large`` changes the sizes), each figure
twice: read from the aggregates (this build) and counted from the raw complaint rows (the
build before, the same code under ``data.aggregates.set_raw_everywhere(True)``), with the
ratio raw/aggregates:

figures cold   ``data.queries.overview.overview`` (tiles, top list, ladders, lists) plus the
               compound counts and the period total the page reads: no cache, fresh engine;
page cold      ``pages/home.py`` under AppTest signed in as the county leader, every
               Streamlit cache cleared (figures, layers, ladders);
mode change    the colour mode changed on a warm page: first to a mode not seen yet in this
               session (its layer is computed), then back to one already drawn (cached);
period change  a session opening the page with another 统计期 (本年累计) while the process's caches
               are warm: first when no session has seen it (its figures are computed), then again
               (cached); "new session, same period" is the cost of a session without the change.

Also the refresh: recounting one month (what an import or a manual match adds to its
transaction) and the whole table (``python -m data refresh-aggregates``).

Not a test: no thresholds asserted (shared, noisy machines). Targets of issue 15 are
marked ok/MISSED: cold overview ≤ 2 s at 5,000 compounds, a mode or period change ≤ 0.5 s.

    .venv/bin/python tests/bench/bench_aggregates.py [--demo-only] [--keep DIR] [--db URL] [--postgres]
        [--large COMPOUNDS,COMPLAINTS]

``--postgres`` also runs the demo county on a throwaway PostgreSQL+PostGIS server
(``scripts/pg_test_server.py``); with ``--postgres-large`` the 500,000 too (builds take minutes).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_overview import LARGE, _demo_db, _mark, _period, demo_database, large_label, large_sizes  # noqa: E402

from data import aggregates, db, queries  # noqa: E402
from data.queries.overview import overview  # noqa: E402
from data.scope import Scope  # noqa: E402

TARGET_COLD_S, TARGET_CHANGE_S = 2.0, 0.5
OTHER_MODE = "evaluation"   # a mode that also reads the evaluations (the slowest of the modes)
OTHER_PRESET = "year_to_date"


class Clock:
    """Wall seconds and this process's CPU seconds (all threads: the AppTest script thread and
    SQLite run in it). On a loaded, shared machine CPU is the steadier figure; with PostgreSQL
    the database's own work is not in it."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def figures_cold(url: str) -> tuple[float, float]:
    """What a cold overview computes besides the map: overview(), compound counts, period total."""
    engine = db.make_engine(url)
    try:
        with Clock() as c:
            period = _period(engine)
            overview(engine, Scope(), period)
            queries.complaint_counts(engine, Scope(), period, by="compound")
            queries.complaint_counts(engine, Scope(), period, by="month")
        return c.wall, c.cpu
    finally:
        engine.dispose()


def page_runs(url: str) -> dict:
    """Cold page, then mode and period changes on the warm page, under AppTest (seconds)."""
    import streamlit as st
    import streamlit.testing.v1.local_script_runner as runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    shared = ScriptCache()
    runner.ScriptCache = lambda: shared  # the server keeps compiled pages; AppTest would not

    def run(at, change=None) -> tuple[float, float]:
        with Clock() as c:
            (change(at) if change else at).run()
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        return c.wall, c.cpu

    def fresh() -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        at.session_state["user"] = "leader"
        return at

    def fresh_with(preset: str) -> AppTest:
        at = fresh()
        at.session_state["period_preset"] = preset
        return at

    run(fresh())  # imports, migration check, static assets: once per process, not measured
    st.cache_data.clear()
    at = fresh()
    out = {"page cold": run(at)}
    out["mode change, new mode"] = run(at, lambda a: a.selectbox(key="home_mode").set_value(OTHER_MODE))
    out["mode change, seen mode"] = run(at, lambda a: a.selectbox(key="home_mode").set_value("complaints"))
    # AppTest keeps the sidebar out of its tree after the first run (and a preset then has no
    # effect), so a period change is a new session opened with the other 统计期 while the
    # process's caches are warm; "new session, same period" is the same without the change
    out["new session, same period"] = run(fresh())
    out["period change, new period"] = run(fresh_with(OTHER_PRESET))
    out["period change, seen period"] = run(fresh_with(OTHER_PRESET))
    out["warm rerun"] = min(run(at) for _ in range(3))
    return out


def refresh_figures(url: str) -> dict:
    engine = db.make_engine(url)
    try:
        month = queries.complaint_months(engine)[-1]
        t0 = time.perf_counter()
        with engine.begin() as conn:
            aggregates.refresh_months(conn, [month])
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = aggregates.refresh_all(engine)
        return {"one month": one, "all": time.perf_counter() - t0, "rows": rows}
    finally:
        engine.dispose()


def run(url: str, label: str, *, page: bool = True) -> None:
    engine = db.make_engine(url)
    from sqlalchemy import func, select

    from data.schema import Complaint, Compound
    with engine.connect() as c:
        n_compounds = c.execute(select(func.count()).select_from(Compound)).scalar()
        n_complaints = c.execute(select(func.count()).select_from(Complaint)).scalar()
    engine.dispose()
    print(f"\n## {label}: {n_compounds:,} compounds, {n_complaints:,} complaints", flush=True)
    rows = {}
    for source in ("aggregates", "raw"):
        aggregates.set_raw_everywhere(source == "raw")
        try:
            got = {"figures cold": min(figures_cold(url) for _ in range(3))}
            if page:
                got |= page_runs(url)
        finally:
            aggregates.set_raw_everywhere(False)
        rows[source] = got
    print(f"{'(seconds: wall / CPU)':32}{'aggregates':>16}{'raw rows':>16}{'raw/agg':>12}")
    for key in rows["aggregates"]:
        (aw, ac), (rw, rc) = rows["aggregates"][key], rows["raw"][key]
        print(f"{key:32}{aw:8.3f}{ac:8.3f}{rw:8.3f}{rc:8.3f}{rw / aw:6.1f}{rc / max(ac, 1e-3):6.1f}")
    ref = refresh_figures(url)
    print(f"refresh: one month {ref['one month']:.3f} s, whole table {ref['all']:.2f} s ({ref['rows']:,} rows)")
    agg = {k: v[0] for k, v in rows["aggregates"].items()}  # the targets are wall seconds
    marks = [f"figures cold ≤ {TARGET_COLD_S} s [{_mark(agg['figures cold'] <= TARGET_COLD_S)}]"]
    if page:
        marks.append(f"page cold ≤ {TARGET_COLD_S} s [{_mark(agg['page cold'] <= TARGET_COLD_S)}]")
        for key in ("mode change, seen mode", "mode change, new mode", "period change, seen period",
                    "period change, new period"):
            marks.append(f"{key} ≤ {TARGET_CHANGE_S} s [{_mark(agg[key] <= TARGET_CHANGE_S)}]")
    print("targets (wall): " + "; ".join(marks), flush=True)
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)


def _postgres_db(databases, **sizes) -> str:
    return demo_database(databases.create(), "the PostgreSQL demo", **sizes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="benchmark this database only")
    ap.add_argument("--demo-only", action="store_true", help="skip 5,000 compounds / 500,000 complaints")
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the SQLite demo databases in DIR")
    ap.add_argument("--postgres", action="store_true", help="also the demo county on PostgreSQL+PostGIS")
    ap.add_argument("--postgres-large", action="store_true", help="and 5,000 / 500,000 on PostgreSQL")
    ap.add_argument("--no-page", action="store_true", help="figures only (no AppTest runs)")
    ap.add_argument("--large", type=large_sizes, default=LARGE, metavar="C,N",
                    help="compounds and complaints of the large run (default 5000,500000)")
    args = ap.parse_args()
    page = not args.no_page
    if args.db:
        run(args.db, args.db, page=page)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.keep) if args.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        run(_demo_db(where / "demo.sqlite"), "SQLite, demo county", page=page)
        if not args.demo_only:
            run(_demo_db(where / f"large_{args.large['compounds']}_{args.large['complaints']}.sqlite",
                         **args.large), f"SQLite, {large_label(args.large)}", page=page)
    if args.postgres or args.postgres_large:
        import pg_test_server

        server = pg_test_server.PgTestServer()
        try:
            databases = pg_test_server.PostgisDatabases(server.start())
            databases.ensure_template()
            run(_postgres_db(databases), "PostGIS, demo county", page=page)
            if args.postgres_large:
                run(_postgres_db(databases, **args.large), f"PostGIS, {large_label(args.large)}", page=page)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
