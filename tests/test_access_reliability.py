"""Concurrent writes lose nothing; backup during writes is consistent; restore checks integrity.

Both backends (``db_url``): SQLite with WAL + BEGIN IMMEDIATE + busy timeout,
PostgreSQL with row locks.
"""
from __future__ import annotations

import io
import sqlite3
import threading

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from data import audit, backup, db
from data.__main__ import main
from data.schema import AuditLog, Setting, Township

THREADS, INCREMENTS = 6, 15


@pytest.fixture
def engine(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with Session(engine) as s:
        s.add(Setting(key="counter", value=0))
        s.add(Township(code="T1", name="金乡街道", kind="街道", synthetic=False))
        s.commit()
    yield engine
    engine.dispose()


def _increment(engine, errors: list) -> None:
    try:
        for _ in range(INCREMENTS):
            with db.write_session(engine) as s:  # read, then write: the classic lost update
                row = s.scalar(select(Setting).where(Setting.key == "counter").with_for_update())
                row.value = int(row.value) + 1
    except Exception as exc:  # noqa: BLE001 - reported below
        errors.append(repr(exc))


def test_concurrent_read_modify_write_loses_no_update(engine):
    errors: list[str] = []
    threads = [threading.Thread(target=_increment, args=(engine, errors)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(engine) as s:
        assert s.get(Setting, "counter").value == THREADS * INCREMENTS


def test_concurrent_audit_entries_are_all_kept(engine):
    def log(n):
        for i in range(INCREMENTS):
            audit.record(engine, f"user{n}", "export", f"t{i}.xlsx", None)

    threads = [threading.Thread(target=log, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == THREADS * INCREMENTS


def test_audit_log_is_append_only_in_the_database(engine):
    audit.record(engine, "admin", "login", "local", None)
    for statement in (update(AuditLog).values(action="edit"), AuditLog.__table__.delete()):
        with pytest.raises(Exception, match="审计日志只能追加"):
            with engine.begin() as conn:
                conn.execute(statement)
    assert audit.entries(engine)["action"].tolist() == ["login"]


def test_backup_during_writes_is_consistent_and_restores(engine, tmp_path):
    stop = threading.Event()
    errors: list[str] = []

    def writer():
        n = 0
        while not stop.is_set():
            try:
                audit.record(engine, "writer", "edit", f"row{n}", None)
                n += 1
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
                return

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        path = backup.backup(engine, tmp_path / "备份.bak")
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert path.exists() and path.stat().st_size > 0

    with Session(engine) as s:  # change the live database after the backup …
        s.get(Setting, "counter").value = 999
        s.commit()
    counts = backup.restore(engine, path)  # … and the restore brings the backup back
    with Session(engine) as s:
        assert s.get(Setting, "counter").value == 0
        assert s.scalar(select(Township.name)) == "金乡街道"
    assert counts["township"] == 1
    entries = audit.entries(engine)
    assert entries["action"].iloc[0] == "restore"


def test_restore_refuses_a_damaged_or_foreign_file(tmp_path):
    url = f"sqlite:///{tmp_path}/live.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE x (a)")
    conn.close()
    with pytest.raises(backup.BackupError, match="不是本系统的数据库"):
        backup.restore(engine, foreign)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises((backup.BackupError, sqlite3.DatabaseError)):
        backup.restore(engine, garbage)
    with Session(engine) as s:  # the live database is untouched
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


def test_cli_backup_and_restore(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    assert main(["backup", "--db", url, str(tmp_path / "b.sqlite")]) == 0
    assert "完整性检查通过" in capsys.readouterr().out
    assert main(["restore", "--db", url, str(tmp_path / "b.sqlite")]) == 2  # needs --yes
    assert main(["restore", "--db", url, str(tmp_path / "b.sqlite"), "--yes"]) == 0
    assert "已从" in capsys.readouterr().out


def test_cli_user_accounts(tmp_path, capsys, monkeypatch):
    """An administrator without the web page: add, list, change the password, unlock."""
    from data import auth

    url = f"sqlite:///{tmp_path}/users.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    with Session(engine) as s:
        s.add(Township(code="T1", name="金乡街道", kind="街道", synthetic=False))
        s.commit()
        town = s.scalar(select(Township.id))
    monkeypatch.setattr("sys.stdin", io.StringIO("weak\n"))
    assert main(["user", "add", "zhangsan", "--db", url, "--role", "township", "--township-id", str(town),
                 "--password-stdin"]) == 1
    assert "密码" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("Jinxiang-2026\n"))
    assert main(["user", "add", "zhangsan", "--db", url, "--role", "township", "--township-id", str(town),
                 "--name", "张三", "--password-stdin"]) == 0
    assert auth.authenticate(engine, "zhangsan", "Jinxiang-2026").scope.township_id == town
    assert main(["user", "list", "--db", url]) == 0
    assert "zhangsan" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("Another-2027\n"))
    assert main(["user", "passwd", "zhangsan", "--db", url, "--password-stdin"]) == 0
    assert auth.authenticate(engine, "zhangsan", "Another-2027").username == "zhangsan"
    assert main(["user", "unlock", "zhangsan", "--db", url]) == 0
    actions = audit.entries(engine)["action"].tolist()
    assert actions.count("user") >= 3
    engine.dispose()
