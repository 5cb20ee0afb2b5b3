"""诉求月度汇总 (table ``complaint_month``): keeping the monthly aggregates in step with the complaints.

The overview reads complaint counts per month × township × community × compound ×
category from ``complaint_month`` (``data.queries``), not from the raw ``complaint``
rows: at 500,000 complaints a 36-month ladder groups ~100,000 aggregate rows instead
of 500,000 orders. The table is only as good as its upkeep, so every write path that
adds complaints, changes their received date, place or category calls
:func:`refresh_months` for the months it touched, in its own transaction:

- the complaint import (``data.importers.complaints``): the months of the file's orders,
  and the old month of an order whose 受理时间 changed;
- the manual match of the unmatched queue (``complaint_stats.assign_compound``);
- the demo build and a restore from backup: :func:`refresh_all`;
- any ORM write of a ``Complaint`` (add, attribute change, delete): at the session's flush,
  on its connection (the listener at the end of this module).

A refresh is set-based and the same SQLAlchemy Core statement on both backends:
``DELETE`` the months' rows, then ``INSERT … SELECT … GROUP BY`` them again from
``complaint``. ``complaint_month_place`` (the same without the category, which the top
lists, the township ladders and the monthly totals read) is refreshed with it, from it.
``python -m data refresh-aggregates`` rebuilds everything (repair).

:func:`raw_counts` makes the readers count the raw rows instead, within a ``with``
block: the reference the consistency tests and the benchmark compare against.
"""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Iterator

from sqlalchemy import Connection, Engine, delete, event, func, insert, select
from sqlalchemy.orm import Session

from data.partitions import ensure_all, ensure_months
from data.schema import Complaint, ComplaintMonth, ComplaintMonthPlace

__all__ = ["refresh_months", "refresh_all", "month_of", "month_expr", "raw_counts", "use_aggregates",
           "aggregated_period", "set_raw_everywhere"]

_RAW: ContextVar[bool] = ContextVar("complaint_counts_from_raw_rows", default=False)


@contextmanager
def raw_counts() -> Iterator[None]:
    """Within the block, the readers of ``data.queries`` count raw complaint rows (the reference)."""
    token = _RAW.set(True)
    try:
        yield
    finally:
        _RAW.reset(token)


_RAW_EVERYWHERE = False


def set_raw_everywhere(on: bool) -> None:
    """Count raw rows in every thread of the process (benchmarks: a Streamlit script runs in a
    thread of its own, which :func:`raw_counts` does not reach). Not for the app."""
    global _RAW_EVERYWHERE
    _RAW_EVERYWHERE = bool(on)


def use_aggregates() -> bool:
    """Whether readers should read ``complaint_month`` (False inside :func:`raw_counts`)."""
    return not (_RAW.get() or _RAW_EVERYWHERE)


def aggregated_period(period) -> tuple[str, str] | None:
    """``(first, last)`` months ("YYYY-MM") of a period of whole calendar months, else None
    (a period cut mid-month, e.g. a custom date range, is counted from the raw rows)."""
    if period.start.day != 1 or period.end.day != 1:
        return None
    last = date(period.end.year - (period.end.month == 1), (period.end.month - 2) % 12 + 1, 1)
    return f"{period.start.year:04d}-{period.start.month:02d}", f"{last.year:04d}-{last.month:02d}"


def month_expr(dialect_name: str, column=Complaint.received_at):
    """``YYYY-MM`` of a timestamp column, in the backend's SQL."""
    if dialect_name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def month_of(value: datetime | date | None) -> str | None:
    """``YYYY-MM`` of a received date (None stays None)."""
    return None if value is None else f"{value.year:04d}-{value.month:02d}"


def _bind(target: Session | Connection | Engine):
    return target.get_bind() if isinstance(target, Session) else target


def _month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), 1)


def _month_after(month: str) -> datetime:
    y, m = int(month[:4]), int(month[5:7])
    return datetime(y + (m == 12), m % 12 + 1, 1)


def _statements(dialect_name: str, months: list[str] | None):
    c = Complaint
    m = month_expr(dialect_name).label("month")
    source = select(m, c.township_id, c.community_id, c.compound_id, c.category, func.count())
    drop = delete(ComplaintMonth)
    if months is not None:
        # the index on received_at narrows the scan to the span; the month list picks the months in it
        source = source.where(c.received_at >= _month_start(months[0]), c.received_at < _month_after(months[-1]),
                              m.in_(months))
        drop = drop.where(ComplaintMonth.month.in_(months))
    # ordered, so a build gives the same ids on both backends (tests/test_demo.py hashes every table):
    # nulls first as SQLite sorts them, categories by code point (PostgreSQL's "C" collation)
    category = c.category.collate("C") if dialect_name == "postgresql" else c.category
    source = source.group_by(m, c.township_id, c.community_id, c.compound_id, c.category).order_by(
        m, c.township_id.nulls_first(), c.community_id.nulls_first(), c.compound_id.nulls_first(), category)
    fill = insert(ComplaintMonth).from_select(
        ["month", "township_id", "community_id", "compound_id", "category", "n"], source)
    return drop, fill


def _place_statements(months: list[str] | None):
    """``complaint_month_place`` of ``months`` (None: all) from ``complaint_month``: the categories summed."""
    a = ComplaintMonth
    source = select(a.month, a.township_id, a.community_id, a.compound_id, func.sum(a.n))
    drop = delete(ComplaintMonthPlace)
    if months is not None:
        source = source.where(a.month.in_(months))
        drop = drop.where(ComplaintMonthPlace.month.in_(months))
    source = source.group_by(a.month, a.township_id, a.community_id, a.compound_id).order_by(
        a.month, a.township_id.nulls_first(), a.community_id.nulls_first(), a.compound_id.nulls_first())
    fill = insert(ComplaintMonthPlace).from_select(
        ["month", "township_id", "community_id", "compound_id", "n"], source)
    return drop, fill


def refresh_months(target: Session | Connection, months: Iterable[str | None]) -> int:
    """Recount ``months`` ("YYYY-MM"; None ignored) from the complaints, in ``target``'s transaction.

    Call it after the write (a Session is flushed first) and before the commit, so the
    aggregates and the complaints change together. Returns how many months were recounted.
    """
    wanted = sorted({m for m in months if m})
    if not wanted:
        return 0
    if isinstance(target, Session):
        target.flush()
    dialect = _bind(target).dialect.name
    ensure_months(target, wanted)  # PostgreSQL: the months' partitions (rows move out of the default one)
    places = _has_month_place(target)
    for i in range(0, len(wanted), 200):  # bounded IN lists; contiguous spans in practice
        for drop, fill in (_statements(dialect, wanted[i:i + 200]),
                           *([_place_statements(wanted[i:i + 200])] if places else [])):
            target.execute(drop)
            target.execute(fill)
    _figures_changed(target)
    return len(wanted)


def _figures_changed(target: Session | Connection) -> None:
    """Replace the data-version token with the aggregates, in the same transaction: every app process
    drops its cached figures on its next run (``ui/cache_version.py``) and the register's fingerprint
    sees the change, whatever wrote the complaints (an import, the CLI, an ORM edit or deletion)."""
    from data.settings import bump_data_version_in

    bump_data_version_in(target.connection() if isinstance(target, Session) else target)


def _has_month_place(target: Session | Connection) -> bool:
    """Whether the database has ``complaint_month_place`` (a database before migration 0013 has not;
    that migration fills it from ``complaint_month``)."""
    from sqlalchemy import inspect as sa_inspect

    conn = target.connection() if isinstance(target, Session) else target
    return sa_inspect(conn).has_table(ComplaintMonthPlace.__tablename__)


def refresh_all(target: Session | Connection | Engine) -> int:
    """Rebuild the whole table from the complaints; returns its row count. An Engine gets its own transaction."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            return refresh_all(conn)
    if isinstance(target, Session):
        target.flush()
    ensure_all(target)  # PostgreSQL: every month in the default partition gets its own
    for drop, fill in (_statements(_bind(target).dialect.name, None),
                       *([_place_statements(None)] if _has_month_place(target) else [])):
        target.execute(drop)
        target.execute(fill)
    _figures_changed(target)
    return int(target.execute(select(func.count()).select_from(ComplaintMonth)).scalar() or 0)



# --------------------------------------------------------------------------- ORM writes
# Complaints added, changed or deleted through an ORM Session (``session.add(Complaint(...))``,
# an attribute set on a loaded order, ``session.delete``) refresh their months at the flush,
# on the flush's connection, so no ORM write path can leave the aggregates behind. Core
# statements (bulk ``insert(Complaint)``, ``update(Complaint)``) call refresh_months themselves.
_COUNTED = ("received_at", "township_id", "community_id", "compound_id", "category")


def _months_flushed(session: Session) -> set[str]:
    from sqlalchemy import inspect as sa_inspect

    months: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Complaint):
            months.add(month_of(obj.received_at))
    for obj in session.deleted:
        if isinstance(obj, Complaint):
            old = sa_inspect(obj).attrs.received_at.history
            months.update(month_of(v) for v in (*old.deleted, *old.unchanged))
    for obj in session.dirty:
        if not isinstance(obj, Complaint):
            continue
        state = sa_inspect(obj)
        if not any(state.attrs[k].history.has_changes() for k in _COUNTED):
            continue
        when = state.attrs.received_at.history
        months.update(month_of(v) for v in (*when.deleted, *when.unchanged, *when.added))
    months.discard(None)
    return months


def _after_flush(session: Session, _context) -> None:
    months = _months_flushed(session)
    if months:
        refresh_months(session.connection(), months)


event.listen(Session, "after_flush", _after_flush)
