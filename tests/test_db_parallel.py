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
