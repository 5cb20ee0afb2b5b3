"""A page's independent reads at once (``db.parallel``): inline on SQLite; on PostgreSQL in a few
extra threads per process at most, the rest in the caller's thread (issue 17: with 20 sessions in
one process, unbounded parallel reads exhausted the connection pool and sessions failed)."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from data import db


def _read(engine, callers: set, extra: list, lock: threading.Lock, i: int) -> int:
    """A read that counts itself while it runs (+1, then -1) when it runs outside a page's own thread."""
    outside = threading.current_thread() not in callers
    with lock:
        extra.append(int(outside))
    try:
        with engine.connect() as conn:
            value = int(conn.execute(text("SELECT :i"), {"i": i}).scalar())
        time.sleep(0.05)
        return value
    finally:
        with lock:
            extra.append(-int(outside))


def test_sqlite_reads_run_in_the_callers_thread_in_order(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    order = []
    with db.parallel(engine) as submit:
        futures = [submit(lambda i=i: order.append((i, threading.current_thread())) or i) for i in range(3)]
    assert [f.result() for f in futures] == [0, 1, 2]
    assert order == [(i, threading.current_thread()) for i in range(3)]
    with db.parallel(engine) as submit:
        failed = submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # an error reaches the caller through result()
        failed.result()


@pytest.mark.postgis
def test_postgresql_runs_at_most_four_extra_readers_per_process(pg_url):
    engine = db.make_engine(pg_url)
    callers, extra, lock = set(), [], threading.Lock()
    peak, results = [0], {}

    def session(k: int) -> None:  # one page run: three reads at once
        callers.add(threading.current_thread())
        with db.parallel(engine) as submit:
            futures = [submit(_read, engine, callers, extra, lock, 10 * k + j) for j in range(3)]
        results[k] = [f.result() for f in futures]

    def watch(stop: threading.Event) -> None:
        while not stop.is_set():
            with lock:
                peak[0] = max(peak[0], sum(extra))
            time.sleep(0.002)

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(stop,))
    watcher.start()
    sessions = [threading.Thread(target=session, args=(k,)) for k in range(10)]
    for t in sessions:
        t.start()
    for t in sessions:
        t.join()
    stop.set()
    watcher.join()
    engine.dispose()
    assert results == {k: [10 * k, 10 * k + 1, 10 * k + 2] for k in range(10)}
    assert 1 <= peak[0] <= 4  # some reads ran in extra threads, never more than four at once


def test_a_page_run_needs_one_pooled_connection_at_a_time(db_url, tmp_path):
    """The register's sync, the overview and the city lists run with a pool of ONE connection: code that
    takes a second connection while holding one deadlocks a busy process (15 sessions at once each held
    one and waited for another until the pool's 30 s timeout: bench_cluster on the province)."""
    from sqlalchemy import create_engine

    from data.demo import build_demo
    from data.queries import complaint_months
    from data.queries import complaint_stats as cs
    from data.queries import register
    from data.queries.overview import overview
    from data.scope import COUNTY, Period

    builder = db.make_engine(db_url)
    db.migrate(builder)
    build_demo(builder, seed=3, compounds=60, complaints=1200)
    builder.dispose()
    one = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=3)
    try:
        months = complaint_months(one)
        period = Period.months(months[-12], months[-1])
        register._forget()
        assert not register.sync_register(one, months[-1])["skipped"]
        assert register.sync_register(one, months[-1])["skipped"]  # the fingerprint: nothing changed
        figures = overview(one, COUNTY, period)
        assert len(figures.townships) and figures.month == months[-1]
        cs.city_ranking(one, COUNTY, months[-1])
    finally:
        one.dispose()
