"""Benchmark: what the Excel downloads cost a page's rerun, written at the click (ours) or on every run.

Every table on the dashboard has a "下载 Excel" button. Written eagerly, each
rerun of a page (any widget change) writes every workbook with openpyxl, though
the user downloads one now and then; ``ui.state.download_xlsx`` hands
Streamlit a callable instead, run only when the button is clicked.

For each table-heavy page, signed in as the role that uses it, on the demo
county, this prints the median warm rerun through ``streamlit.testing.v1.AppTest``
with the workbooks made at the click (ours) and made on every run (naive: the
same callable called at once, as the page did before), and the ratio
naive/ours. Both run in this process, against the same database.

Not a test: no thresholds asserted (shared, noisy machines). Run ``make bench``
or ``python tests/bench/bench_downloads.py [--db URL] [--repeat N]``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from data import db  # noqa: E402
from data.demo import build_demo  # noqa: E402

PAGES = [("pages/complaints.py", "leader"), ("pages/data.py", "housing"), ("pages/inspection.py", "housing"),
         ("pages/evaluation.py", "leader"), ("pages/home.py", "leader")]


def warm_rerun(page: str, user: str, repeat: int) -> float:
    """Median seconds of a rerun of ``page`` once its caches are warm."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.session_state["user"] = user
    at.run()
    at.switch_page(page).run()
    at.run()  # caches warm
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh demo county in a temporary file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.db
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="bench_downloads_")) / "demo.sqlite"
        url = f"sqlite:///{path}"
        engine = db.make_engine(url)
        db.migrate(engine)
        print("building the demo county …", flush=True)
        build_demo(engine)
        engine.dispose()
    os.environ["DATABASE_URL"] = url

    import streamlit as st

    from ui import state as _state

    lazy_download = _state.download

    def eager_download(label, data, **kwargs):  # the naive page: every workbook made on every run
        return lazy_download(label, data() if callable(data) else data, **kwargs)

    print(f"{'page':24s} {'ours (s)':>9s} {'naive (s)':>10s} {'ratio':>6s}")
    for page, user in PAGES:
        st.cache_data.clear()
        _state.download = lazy_download
        ours = warm_rerun(page, user, args.repeat)
        _state.download = eager_download
        naive = warm_rerun(page, user, args.repeat)
        _state.download = lazy_download
        print(f"{page:24s} {ours:9.3f} {naive:10.3f} {naive / ours:5.1f}×", flush=True)


if __name__ == "__main__":
    main()
