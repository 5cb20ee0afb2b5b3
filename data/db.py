"""Engines and migrations for the two supported backends.

SQLite (the default, one file under ``var/``) runs with WAL, foreign keys and
a busy timeout so several Streamlit sessions can read while an import writes.
PostgreSQL with PostGIS is selected by a ``postgresql+psycopg://`` URL.
Both are brought to the same schema by the Alembic migrations in
``data/migrations``; nothing calls ``metadata.create_all``.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, select, func
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "dashboard.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    """``DATABASE_URL`` from the environment, else the SQLite file under ``var/``."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None, *, township_id: int | None = None, county_adcode: str | None = None,
                city_adcode: str | None = None) -> Engine:
    """Create an engine for ``url`` (default: :func:`default_url`).

    For SQLite the parent folder is created and every connection gets WAL,
    foreign keys and a 10 s busy timeout.

    ``township_id``, ``county_adcode``, ``city_adcode`` (PostgreSQL): every connection
    starts with the session settings ``app.township_id`` / ``app.county_adcode`` /
    ``app.city_adcode``, which the row-level security policies of migrations 0007 and
    0011b use as a second wall — such an engine sees and writes only that township's,
    county's or city's rows, whatever a query forgets. Ignored on SQLite (no row-level
    security there; the scoped queries are the wall).
    """
    url = url or default_url()
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = []
    if township_id is not None:
        options.append(f"-c app.township_id={int(township_id)}")
    for key, adcode in (("county_adcode", county_adcode), ("city_adcode", city_adcode)):
        if adcode is not None:
            adcode = str(adcode).strip()
            if len(adcode) != 6 or not adcode.isdigit():  # it goes into the connection options
                raise ValueError(f"行政区划代码应为 6 位数字：{adcode!r}")
            options.append(f"-c app.{key}={adcode}")
    connect_args = {"options": " ".join(options)} if options else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one read-modify-write transaction, committed on success.

    SQLite: the transaction starts with ``BEGIN IMMEDIATE``, taking the write
    lock before the first read, so two sessions cannot both read a value and
    then overwrite each other (the busy timeout makes the second one wait).
    PostgreSQL: read the rows you will change with ``.with_for_update()``
    (ignored by SQLite) or update in SQL (``x = x + 1``).
    """
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (the app's sessions share it)."""
    return make_engine(url)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: every branch head; topics add their own branch)."""
    command.upgrade(alembic_config(engine), revision)


def is_empty(engine: Engine) -> bool:
    """True when the database has no schema yet or no township in it."""
    if "township" not in inspect(engine).get_table_names():
        return True
    from data.schema import Township

    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Township)) == 0


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# Threads a process may run for parallel reads beyond its sessions' own (each takes a pooled
# connection). With 20 sessions in one process, unbounded parallel reads exhausted the pool of
# 15 connections: sessions waited 30 s and failed (bench_cluster on the province).
_EXTRA_READERS = threading.BoundedSemaphore(4)


@contextmanager
def parallel(engine: Engine, workers: int = 4) -> Iterator:
    """``submit(fn, *args, **kwargs) -> Future``: independent reads of one page, run at once.

    On PostgreSQL each read runs in a thread on its own pooled connection, so the server's
    cores work on one page together (docs/scaling.md); on SQLite (one file, the embedded
    default) each runs at once, in order. A busy process (all of its few extra reader threads
    taken by other sessions) runs the read in the caller's thread instead: under load the
    page is as serial as before, and never waits for a connection another read holds.
    The block waits for every read; an error is raised by the read's ``result()``.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not is_postgres(engine):
        yield _inline
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def submit(fn, *args, **kwargs) -> Future:
            if not _EXTRA_READERS.acquire(blocking=False):
                return _inline(fn, *args, **kwargs)

            def read():
                try:
                    return fn(*args, **kwargs)
                finally:
                    _EXTRA_READERS.release()

            return pool.submit(read)

        yield submit


def _inline(fn, *args, **kwargs) -> Future:
    """``fn``'s result (or error) as a finished Future, computed now in this thread."""
    done: Future = Future()
    try:
        done.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - handed to the caller through result()
        done.set_exception(exc)
    return done
