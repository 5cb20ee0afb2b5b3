"""Issue 13 §9: every writer all-or-nothing — the demo build and ``init`` under SIGKILL.

The attack (by accident): ``python -m data demo --compounds 3000 --complaints
300000`` killed after 25 s left 14 townships, 3,000 compounds and no complaints,
and nothing ever rebuilt it. Here the CLI build is killed with SIGKILL at
several phases (small sizes) and the database is then exactly as before (no
file) on SQLite, or detected as half-built and redone on PostgreSQL; a second
run always finishes. Imports and restore already write in one transaction
(tests/test_access_reliability.py, tests/test_hostile_import.py).
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data import build, db
from data.schema import Complaint, Setting, Township

ROOT = Path(__file__).resolve().parents[1]
SIZE = ["--compounds", "60", "--complaints", "3000", "--seed", "3"]
PHASES = ("物业企业与小区档案", "12345 诉求", "检查、执法与用户")  # killed as each of these starts


def _demo(url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "data", "demo", *SIZE, "--db", url], cwd=ROOT,
                            env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)


def _kill_at(proc: subprocess.Popen, phase: str, timeout: float = 240) -> bool:
    """Read the progress line until ``phase`` starts, then SIGKILL; False if the build ended first."""
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ch = proc.stderr.read(1)
        if not ch:
            break
        seen += ch
        if phase in seen:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            return True
    proc.kill()
    proc.wait(30)
    return False


def _counts(engine) -> tuple[int, int, bool]:
    with Session(engine) as s:
        return (s.scalar(select(func.count()).select_from(Township)),
                s.scalar(select(func.count()).select_from(Complaint)),
                s.get(Setting, build.BUILD_KEY) is not None)


def _digest(path: Path) -> str | None:
    """SHA-256 of the database's content (its SQL dump: the header's journal-mode bytes aside)."""
    import sqlite3

    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode("utf-8")).hexdigest()
    finally:
        conn.close()


@pytest.mark.parametrize("phase", PHASES)
def test_sqlite_demo_build_killed_leaves_the_database_exactly_as_before(tmp_path, phase):
    target = tmp_path / "var" / "dashboard.sqlite"
    url = f"sqlite:///{target}"
    assert _kill_at(_demo(url), phase), "the build finished before the kill: nothing was tested"
    assert not target.exists()  # exactly as before: no database at all, never a half-built one
    assert build.state_of(url) == build.EMPTY
    done = subprocess.run([sys.executable, "-m", "data", "demo", *SIZE, "--db", url], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(target.parent.glob("*.building-*"))  # the killed build's temporary file is gone
    engine = db.make_engine(url)
    towns, complaints, marked = _counts(engine)
    assert towns > 0 and complaints == 3000 and marked  # exactly as after
    assert build.build_state(engine) == build.COMPLETE
    engine.dispose()


def test_sqlite_kill_never_touches_an_existing_complete_database(tmp_path):
    target = tmp_path / "demo.sqlite"
    url = f"sqlite:///{target}"
    assert subprocess.run([sys.executable, "-m", "data", "demo", *SIZE, "--db", url], cwd=ROOT,
                          capture_output=True, text=True, timeout=600).returncode == 0
    before = _digest(target)
    again = subprocess.run([sys.executable, "-m", "data", "demo", *SIZE, "--db", url], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "已有数据" in again.stderr
    assert _digest(target) == before


def test_a_half_built_database_from_before_the_mark_is_rebuilt(tmp_path):
    """The issue's database: townships and compounds, no complaints, no users, no mark."""
    from data.demo import build_demo

    url = f"sqlite:///{tmp_path / 'half.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=3, compounds=60, complaints=300)
    with engine.begin() as conn:  # what a kill before the demo accounts got their passwords left behind
        conn.execute(text("UPDATE app_user SET password_hash = NULL"))
    assert build.build_state(engine) == build.HALF
    engine.dispose()
    summary = build.build_demo_safely(url, seed=3, compounds=60, complaints=300)
    assert summary["诉求"] == 300
    engine = db.make_engine(url)
    assert build.build_state(engine) == build.COMPLETE
    engine.dispose()


@pytest.mark.postgis
def test_postgresql_demo_build_killed_is_detected_and_redone(pg_url):
    """PostgreSQL builds in place (PostGIS lives in the schema): a kill leaves no mark, the next run redoes it."""
    proc = _demo(pg_url)
    killed = _kill_at(proc, "12345 诉求")
    engine = db.make_engine(pg_url)
    if killed:
        assert build.build_state(engine) in (build.HALF, build.EMPTY)
    engine.dispose()
    done = subprocess.run([sys.executable, "-m", "data", "demo", *SIZE, "--db", pg_url], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    engine = db.make_engine(pg_url)
    towns, complaints, marked = _counts(engine)
    assert towns > 0 and complaints == 3000 and marked
    engine.dispose()


def test_init_no_demo_is_marked_complete_so_nothing_builds_a_demo_into_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    assert build.init_without_demo(url)
    assert build.state_of(url) == build.COMPLETE
    assert build.init_without_demo(url) is None  # never a second first administrator
    with pytest.raises(ValueError, match="已有数据"):
        build.build_demo_safely(url, seed=3, compounds=60, complaints=10)
