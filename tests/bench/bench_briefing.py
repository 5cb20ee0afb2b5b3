"""Benchmark: the county 月度通报 (``data.documents.briefing.briefing_docx``), maps cached and not.

Prints, for the demo county and then (unless ``--demo-only``) for 5,000 compounds /
500,000 complaints made by the demo generator:

  uncached   the .docx with the map cache empty (memory and disk): queries + two maps drawn;
  cached     the same month again: queries + maps read from the cache (what the second
             click of the day, or the CLI after the app, costs);
  maps       the two maps alone, drawn (no cache);
  pdf        LibreOffice's conversion of that .docx (when soffice is installed).

Target ≤ 10 s for a county briefing with the maps cached. Not a test: no thresholds
asserted (shared, noisy machines); each target is marked ok/MISSED. Run
``python tests/bench/bench_briefing.py [--demo-only] [--db URL]``.
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

TARGET_S = 10.0


def _time(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(url: str, label: str) -> None:
    from data import db
    from data.documents import maps as static_maps
    from data.documents.briefing import briefing_docx
    from data.documents.mapdata import heat_map, yoy_map
    from data.documents.pdf import docx_to_pdf, soffice
    from data.queries import complaint_months
    from data.queries.overview import township_table
    from data.scope import COUNTY, Period

    engine = db.make_engine(url)
    month = complaint_months(engine)[-1]
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MAP_CACHE_DIR"] = cache
        static_maps.clear_memory()
        cold, made = _time(lambda: briefing_docx(engine, COUNTY, month, log=False))
        warm, _ = _time(lambda: briefing_docx(engine, COUNTY, month, log=False), repeat=2)
        period = Period.months(month, month)
        towns = township_table(engine, COUNTY, period)
        maps, _ = _time(lambda: [static_maps.render(m, "png", cache=False)
                                 for m in (heat_map(engine, COUNTY, period), yoy_map(engine, COUNTY, towns))])
    print(f"\n== {label}: county briefing {month} ({len(made.docx) / 1e6:.1f} MB .docx)")
    print(f"uncached   {cold:6.2f} s")
    print(f"cached     {warm:6.2f} s   target ≤ {TARGET_S:.0f} s: {'ok' if warm <= TARGET_S else 'MISSED'}")
    print(f"maps       {maps:6.2f} s   (two maps drawn, no cache; ratio uncached/cached {cold / warm:.1f}×)")
    if soffice():
        pdf, _ = _time(lambda: docx_to_pdf(made.docx))
        print(f"pdf        {pdf:6.2f} s   (LibreOffice headless, fresh profile)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo-only", action="store_true")
    parser.add_argument("--db", default=None, help="an existing database (skips building the demo)")
    args = parser.parse_args()
    from data import db
    from data.demo import build_demo

    if args.db:
        run(args.db, "given database")
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PHOTOS_DIR", str(Path(tmp) / "photos"))
        sizes = [("demo", {})] + ([] if args.demo_only else [("5,000 compounds", {"compounds": 5000,
                                                                                   "complaints": 500000})])
        for label, kw in sizes:
            url = f"sqlite:///{tmp}/{label[:4]}.sqlite"
            engine = db.make_engine(url)
            db.migrate(engine)
            t0 = time.perf_counter()
            build_demo(engine, **kw)
            engine.dispose()
            print(f"(built {label} in {time.perf_counter() - t0:.0f} s)")
            run(url, label)


if __name__ == "__main__":
    main()
