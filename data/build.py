"""Building a database all-or-nothing: the demo county and ``init``, under kill -9 and power loss.

Issue 13: ``python -m data demo`` killed after 25 s left 14 townships, 3,000
compounds and no complaints; ``is_empty`` was then False, so the dashboard
served that half-built demo for good and ``data demo`` refused to rebuild it.

- Every finished build writes a completion mark, the ``setting`` row
  ``build_complete`` (``{"kind": "demo" | "real", "at": …}``), in the same
  transaction as its last write (``init --no-demo``) or after the build.
- SQLite file: the demo is built into ``<file>.building-<pid>`` beside the
  target and renamed into place (``os.replace``, fsynced) only once complete,
  so the target is exactly as before or exactly as after.
- PostgreSQL (and in-memory SQLite): built in place; a build without the mark
  is detected at the next start (:func:`build_state` ``"half"``), wiped
  (every table dropped) and redone.

Databases from before the mark existed are judged by what they hold: real
(non-synthetic) townships, or demo accounts with passwords (the demo's last
phases), count as complete; anything else with townships is half-built.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from data import db

BUILD_KEY = "build_complete"
EMPTY, HALF, COMPLETE = "empty", "half", "complete"


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1]
    return None if not path or path == ":memory:" else Path(path)


def build_state(engine: Engine) -> str:
    """``"empty"`` (nothing built), ``"complete"`` (marked, or a finished older build) or ``"half"``."""
    from data.schema import Setting, Township, User

    tables = set(inspect(engine).get_table_names())
    if "setting" in tables:
        with Session(engine) as s:
            if s.get(Setting, BUILD_KEY) is not None:
                return COMPLETE
    if "township" not in tables:
        return EMPTY
    with Session(engine) as s:
        towns = s.scalar(select(func.count()).select_from(Township)) or 0
        real = s.scalar(select(func.count()).select_from(Township).where(Township.synthetic.is_(False))) or 0
        users = s.scalar(select(func.count()).select_from(User).where(User.password_hash.is_not(None))) or 0
    if towns == 0:
        return EMPTY
    if real or users:  # built before the mark existed: real data, or a demo that reached its last phases
        return COMPLETE
    return HALF


def state_of(url: str) -> str:
    """:func:`build_state` of ``url`` without keeping a connection open (a missing SQLite file: empty)."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return EMPTY
    engine = db.make_engine(url)
    try:
        return build_state(engine)
    finally:
        engine.dispose()


def mark_complete(session_or_engine, kind: str) -> None:
    """Write the completion mark (in the caller's transaction when given a session)."""
    from data.schema import Setting

    value = {"kind": kind, "at": datetime.now().isoformat(timespec="seconds")}
    if isinstance(session_or_engine, Session):
        session_or_engine.merge(Setting(key=BUILD_KEY, value=value))
        return
    with db.write_session(session_or_engine) as s:
        s.merge(Setting(key=BUILD_KEY, value=value))


def wipe(engine: Engine) -> None:
    """Drop every table (a half-finished build) so migrations and the build start again."""
    from data.schema import Base

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'spatial_ref_sys'"))]
            for name in names:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            functions = [r[0] for r in conn.execute(text(  # the migrations' trigger functions, not PostGIS's
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d "
                "WHERE d.objid = p.oid AND d.deptype = 'e')"))]
            for signature in functions:
                conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            Base.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_demo_safely(url: str, **options) -> dict:
    """Build the demo into ``url`` all-or-nothing (see the module docstring); returns the build summary.

    Raises ``ValueError`` when ``url`` already holds a complete database. Nothing
    may hold the target SQLite file open meanwhile (the callers build before
    they open it).
    """
    from data.demo import build_demo

    state = state_of(url)
    if state == COMPLETE:
        raise ValueError("目标数据库已有数据；演示数据只写入空数据库。")
    path = _sqlite_path(url)
    if path is None:  # PostgreSQL, in-memory SQLite: in place, marked at the end
        engine = db.make_engine(url)
        try:
            if state == HALF:
                wipe(engine)
            db.migrate(engine)
            summary = build_demo(engine, **options)
            mark_complete(engine, "demo")
        finally:
            engine.dispose()
        return summary
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{path.name}.building-*"):  # an earlier build killed half-way
        stale.unlink(missing_ok=True)
    temp = path.with_name(f"{path.name}.building-{os.getpid()}")
    engine = db.make_engine(f"sqlite:///{temp}")
    try:
        db.migrate(engine)
        summary = build_demo(engine, **options)
        mark_complete(engine, "demo")
        engine.dispose()
        import sqlite3

        conn = sqlite3.connect(temp, timeout=30)  # alone now: everything into the main file before it moves
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    except BaseException:
        engine.dispose()
        for part in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm"), Path(f"{temp}-journal")):
            part.unlink(missing_ok=True)
        raise
    engine.dispose()
    with open(temp, "rb+") as fh:
        os.fsync(fh.fileno())
    for part in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        part.unlink(missing_ok=True)  # the old file's journal must not be replayed into the new one
    os.replace(temp, path)
    _fsync_dir(path.parent)
    return summary


def init_without_demo(url: str) -> str | None:
    """``init --no-demo``: migrate, then in one transaction the first administrator and the mark.

    Returns the administrator's one-time password (to print once), or None when
    the database already had users or a completion mark.
    """
    from data import audit, auth
    from data.schema import Setting, User

    engine = db.make_engine(url)
    try:
        if build_state(engine) == HALF:
            wipe(engine)
        db.migrate(engine)
        with db.write_session(engine) as s:
            if s.get(Setting, BUILD_KEY) is not None or s.scalar(select(func.count()).select_from(User)):
                if s.get(Setting, BUILD_KEY) is None:
                    mark_complete(s, "real")
                return None
            password = auth.one_time_password()
            s.add(User(username="admin", display_name="系统管理员", role="admin", active=True, failed_logins=0,
                       password_hash=auth.hash_password(password), must_change_password=True))
            audit.record(s, "init", "user", "app_user:admin", None, op="create_first_admin", role="admin")
            mark_complete(s, "real")
        return password
    finally:
        engine.dispose()
