"""Benchmark: the city and province demos (issue 17) and the 全市 top list.

Builds ``python -m data demo --scale city|province`` into a fresh database (SQLite by default,
``--db URL`` for PostgreSQL) and prints the build time and row counts, then times the city top
list (``complaint_stats.city_ladder`` of the last month) and the compounds read of a city user
and of a county user.

Default sizes are the scale's (province ≈ 50,000 compounds / 5,000,000 complaints: long, and the
complaints go in with batched executemany, not COPY yet); ``--compounds-per-county`` and
``--complaints-per-county`` make it smaller. Not a test: nothing asserted.

    python tests/bench/bench_places.py --scale city
    python tests/bench/bench_places.py --scale province --complaints-per-county 5000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from data import db, queries  # noqa: E402
from data.demo import DEFAULT_END_MONTH, build_demo  # noqa: E402
from data.queries import complaint_stats as cs  # noqa: E402
from data.scope import Scope  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("city", "province"), default="city")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--compounds-per-county", type=int, default=None)
    parser.add_argument("--complaints-per-county", type=int, default=None)
    args = parser.parse_args(argv)
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench_places_')}/places.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)

    def progress(done, total, message):
        print(f"\r[{100 * done / total:5.1f}%] {message:<40}", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    summary = build_demo(engine, scale=args.scale, compounds_per_county=args.compounds_per_county,
                         complaints_per_county=args.complaints_per_county, progress=progress)
    print(file=sys.stderr)
    print(f"build {args.scale}: {time.perf_counter() - t0:.1f} s  " + "  ".join(f"{k} {v}" for k, v in summary.items()))
    counties = queries.counties(engine, Scope())
    for city in sorted(set(counties["city_adcode"]))[:3]:
        t0 = time.perf_counter()
        ladder = cs.city_ladder(engine, DEFAULT_END_MONTH, city)
        print(f"city top list {city}: {time.perf_counter() - t0:.2f} s ({len(ladder)} rows)")
    for scope in (Scope(city=counties["city_adcode"].iloc[0]), Scope(county=counties["adcode"].iloc[0])):
        t0 = time.perf_counter()
        n = len(queries.compounds(engine, scope))
        print(f"compounds of {scope.key()}: {time.perf_counter() - t0:.2f} s ({n} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
