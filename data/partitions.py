"""诉求按月分区: the monthly partitions of ``complaint`` on PostgreSQL (migration 0011a_partitions).

PostgreSQL keeps complaints in one partition per calendar month plus a DEFAULT partition; SQLite
keeps one table and everything here is a no-op there. Partitions are made on demand, by the
database function ``complaint_add_month`` (idempotent; it moves the month's rows out of the default
partition when it makes the month's table), so a write never waits for a partition to exist:

- :func:`ensure_months` before a bulk write (the demo's COPY loader) sends the rows straight to
  their month's table;
- :func:`data.aggregates.refresh_months` calls it after every write of complaints (importers,
  Open311, manual matches, ORM flushes), so rows that landed in the default partition move into a
  new month's table in the same transaction;
- :func:`ensure_all` gives every month still in the default partition its table (a restore, a
  repair: ``refresh_all`` calls it).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import text

__all__ = ["ensure_months", "ensure_all", "partitions", "is_partitioned"]


def _bind(target):
    from sqlalchemy.orm import Session

    return target.get_bind() if isinstance(target, Session) else target


def _month(value: str | date | datetime) -> datetime:
    if isinstance(value, str):
        return datetime(int(value[:4]), int(value[5:7]), 1)
    return datetime(value.year, value.month, 1)


def is_partitioned(target) -> bool:
    """Whether ``complaint`` is a partitioned table here (PostgreSQL after migration 0011a)."""
    if _bind(target).dialect.name != "postgresql":
        return False
    return bool(target.execute(text(
        "SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = to_regclass('complaint')")).scalar())


def ensure_months(target, months: Iterable[str | date | datetime | None]) -> list[str]:
    """Make sure each month ("YYYY-MM", a date or datetime; None ignored) has its partition, in
    ``target``'s transaction (a Session, or a Connection). Returns the partitions' names; [] on SQLite."""
    if _bind(target).dialect.name != "postgresql":
        return []
    wanted = sorted({_month(m) for m in months if m is not None})
    if not wanted or not is_partitioned(target):
        return []
    return [target.execute(text("SELECT complaint_add_month(:m)"), {"m": m}).scalar() for m in wanted]


def ensure_all(target) -> list[str]:
    """Give every month found in the default partition its own partition (PostgreSQL); names made."""
    if _bind(target).dialect.name != "postgresql" or not is_partitioned(target):
        return []
    return [r[0] for r in target.execute(text(
        "SELECT complaint_add_month(m) FROM (SELECT DISTINCT date_trunc('month', received_at) AS m "
        "FROM complaint_pdefault) months ORDER BY m"))]


def partitions(target) -> dict[str, int]:
    """Partition name → its row count (PostgreSQL; {} on SQLite): for tests and the benchmark."""
    if _bind(target).dialect.name != "postgresql" or not is_partitioned(target):
        return {}
    names = [r[0] for r in target.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass('complaint') ORDER BY 1"))]
    return {n: int(target.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()) for n in names}
