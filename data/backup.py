"""Backup and restore (备份与恢复): ``python -m data backup FILE`` / ``python -m data restore FILE``.

SQLite: SQLite's online backup API copies the whole database in one step
under a read transaction, so the copy is a consistent snapshot even while
sessions write (WAL). The copy is checked with ``PRAGMA integrity_check``
before it is kept, and a restore checks the backup first, copies it into the
live database with the same API and checks the result again.

PostgreSQL: ``pg_dump --format=custom`` (with ``--enable-row-security``: the
tables force row-level security, see migration 0007) and ``pg_restore
--clean``. ``pg_dump`` runs in one repeatable-read snapshot, so it is
consistent during writes. A JSON manifest beside the dump holds every table's
row count; after a restore the counts must match (the integrity check).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from data import audit
from data.aggregates import refresh_all

__all__ = ["BackupError", "backup", "restore", "row_counts"]


class BackupError(RuntimeError):
    """Backup or restore failed; the message is for the user (Chinese)."""


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(database)


def _integrity(conn: sqlite3.Connection, what: str) -> None:
    result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        raise BackupError(f"{what}完整性检查未通过：{'；'.join(result[:5])}")
    bad = conn.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        raise BackupError(f"{what}外键检查未通过：{len(bad)} 处引用缺失")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" not in tables or "township" not in tables:
        raise BackupError(f"{what}不是本系统的数据库")


def row_counts(bind: Engine | Connection) -> dict[str, int]:
    """Rows per table (what a restore must give back); on a connection, within its transaction."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return row_counts(conn)
    names = sorted(inspect(bind).get_table_names())
    return {n: bind.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()
            for n in names if n != "spatial_ref_sys"}


def _libpq(engine: Engine) -> tuple[str, dict]:
    """A libpq URL without the password, and the environment carrying it."""
    url = engine.url
    env = {}
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict) -> None:
    import os

    if shutil.which(cmd[0]) is None:
        raise BackupError(f"找不到 {cmd[0]}：请安装 PostgreSQL 客户端（如 apt-get install postgresql-client）")
    result = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **env))
    if result.returncode != 0:
        raise BackupError(f"{cmd[0]} 失败：{result.stderr.strip()[-800:]}")


def backup(engine: Engine, target: str | Path, *, actor: str | None = "cli") -> Path:
    """Write a consistent backup of the database to ``target``; returns the path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = _sqlite_path(engine)
        if not source.exists():
            raise BackupError(f"数据库文件不存在：{source}")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)  # pages=-1: one step, one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            _integrity(dst, "备份")
        src.close()
        dst.close()
        partial.replace(target)
    else:
        url, env = _libpq(engine)
        # the manifest's counts and the dump come from one exported snapshot, so rows
        # written meanwhile are in neither and the restore check compares like with like
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                counts = row_counts(conn)
                _run(["pg_dump", "--format=custom", "--no-owner", "--enable-row-security",
                      f"--snapshot={snapshot}", f"--file={target}", url], env)
        target.with_name(target.name + ".json").write_text(
            json.dumps({"tables": counts, "at": datetime.now().isoformat(timespec="seconds")},
                       ensure_ascii=False, indent=1), encoding="utf-8")
    audit.record(engine, actor, "backup", str(target.name), None)
    return target


def restore(engine: Engine, source: str | Path, *, actor: str | None = "cli") -> dict[str, int]:
    """Replace the database's content with the backup ``source``; returns the row counts after.

    The backup is checked before anything is touched; the restored database is
    checked again (SQLite integrity/foreign keys; PostgreSQL row counts against
    the manifest). Raises :class:`BackupError` on any failure.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            _integrity(src, "备份文件")
            target = _sqlite_path(engine)
            engine.dispose()  # pooled connections must not keep the old pages
            with sqlite3.connect(target, timeout=30) as dst:
                src.backup(dst)
                _integrity(dst, "恢复后的数据库")
            dst.close()
        src.close()
    else:
        manifest = source.with_name(source.name + ".json")
        expected = json.loads(manifest.read_text(encoding="utf-8"))["tables"] if manifest.exists() else None
        url, env = _libpq(engine)
        engine.dispose()
        # pg_restore --clean cannot drop a partition's inherited primary key before its parent
        # (complaints are partitioned by month, migration 0011a_partitions), so the restore script
        # is written out and run by psql in ONE transaction after dropping the partitioned table
        # with its partitions: all or nothing, as before
        with tempfile.TemporaryDirectory(prefix="restore_") as tmp:
            script = Path(tmp) / "restore.sql"
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--file={script}", str(source)], env)
            _run(["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                  f"--dbname={url}", "--command=DROP TABLE IF EXISTS complaint CASCADE", f"--file={script}"], env)
        if expected is not None:
            got = row_counts(engine)
            diff = {t: (n, got.get(t)) for t, n in expected.items() if got.get(t) != n}
            if diff:
                raise BackupError(f"恢复后的行数与备份不一致：{diff}")
    if "complaint_month" in inspect(engine).get_table_names():
        # the backup's aggregates were kept with its complaints; recounting them costs about a
        # second and guards against a backup made by a build that did not keep them
        # (a backup from before migration 0010a gets the table, filled, when it is migrated)
        refresh_all(engine)
    counts = row_counts(engine)
    audit.record(engine, actor, "restore", str(source.name), None)
    return counts
