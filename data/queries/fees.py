"""物业费: fee levels, prices and adjustment statuses per compound (scoped), the status
history, fee-reduction candidates, and recording a status change through the
state machine of :mod:`policy.fees`.

A change is one ``FeeAdjustment`` row (status, date, actor, reason) plus an
audit-log entry, written in one transaction. The compound row is locked while
its current status is read (``SELECT … FOR UPDATE`` on PostgreSQL; ``BEGIN
IMMEDIATE`` on SQLite, see :func:`data.db.write_session`), so two people cannot
both move a compound out of the same status.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import db, permissions, settings
from data.queries import _frame, _scoped, complaint_counts, compounds, latest_fee_status
from data.queries.evaluation import evaluations, rules
from data.schema import AuditLog, Compound, FeeAdjustment
from data.scope import Period, Scope, ScopeError
from data.vocab import FEE_LEVELS
from policy import fees as machine
from policy import ratings

__all__ = ["fee_overview", "fee_history", "record_fee_status", "reduction_candidates", "quarter_period",
           "status_counts"]

HISTORY_COLUMNS = ["compound_id", "compound", "changed_at", "status", "actor", "reason"]


def fee_overview(engine: Engine, scope: Scope):
    """Compounds in the scope (GeoDataFrame) with ``fee_level_label``, ``fee_status`` and ``status_changed_at``."""
    frame = compounds(engine, scope)
    latest = latest_fee_status(engine, scope)
    status = dict(zip(latest["compound_id"], latest["status"]))
    since = dict(zip(latest["compound_id"], latest["changed_at"]))
    frame["fee_status"] = [status.get(i, machine.NONE) for i in frame["id"]]
    frame["status_changed_at"] = [since.get(i) for i in frame["id"]]
    frame["fee_level_label"] = frame["fee_level"].map(lambda v: FEE_LEVELS.get(int(v)) if pd.notna(v) else None)
    return frame


def status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Compounds per status, in state-machine order (every status listed, zeros included)."""
    counts = frame["fee_status"].value_counts()
    return pd.DataFrame({"fee_status": list(machine.STATUSES),
                         "compounds": [int(counts.get(s, 0)) for s in machine.STATUSES]})


def fee_history(engine: Engine, scope: Scope, *, compound_id: int | None = None,
                limit: int | None = None) -> pd.DataFrame:
    """Status changes in the scope, newest first (one compound when ``compound_id`` is given)."""
    stmt = (select(FeeAdjustment.compound_id, Compound.name, FeeAdjustment.changed_at, FeeAdjustment.status,
                   FeeAdjustment.actor, FeeAdjustment.reason)
            .join(Compound, Compound.id == FeeAdjustment.compound_id)
            .order_by(FeeAdjustment.changed_at.desc(), FeeAdjustment.id.desc()))
    stmt = _scoped(stmt, Compound, scope)
    if compound_id is not None:
        stmt = stmt.where(FeeAdjustment.compound_id == int(compound_id))
    if limit is not None:
        stmt = stmt.limit(limit)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, HISTORY_COLUMNS, geometry=False)


def record_fee_status(engine: Engine, scope: Scope, compound_id: int, status: str, *, actor,
                      reason: str, at: datetime | date | None = None, deadline: date | None = None) -> FeeAdjustment:
    """Move a compound to ``status`` if the state machine allows it; record date, actor and reason.

    限期整改 records a ``deadline`` (default: setting ``register_days_rectification`` days on)
    and an item in the accountability register; the reduction or exit after it needs the
    deadline to have come, and closes that item as carried out.

    ``actor`` is the signed-in Account (its role needs ``edit_fees``) or, for
    scripts, the unit or name to record.

    Raises
    ------
    PermissionError
        The actor's role may not change fee statuses.
    ScopeError
        The compound is not in the caller's scope.
    policy.fees.TransitionError
        The change is not allowed from the current status (message in Chinese).
    ValueError
        Missing actor or reason, or a date before the last recorded change.
    """
    who = permissions.authorize(actor, permissions.EDIT_FEES, scope)
    reason = (reason or "").strip()
    if not who.name:
        raise ValueError("请填写经办人（单位或姓名）")
    if not reason:
        raise ValueError("请填写变更理由（如表决结果、评价结论）")
    if len(reason) > 300:
        raise ValueError("变更理由不超过 300 个字")
    when = at or datetime.now()
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    when = when.replace(microsecond=0)
    with db.write_session(engine) as s:  # BEGIN IMMEDIATE on SQLite; row lock on PostgreSQL
        stmt = _scoped(select(Compound).where(Compound.id == int(compound_id)), Compound, scope)
        comp = s.execute(stmt.with_for_update()).scalar_one_or_none()
        if comp is None:
            raise ScopeError("该小区不存在或不在您的管辖范围内")
        last = s.execute(select(FeeAdjustment).where(FeeAdjustment.compound_id == comp.id)
                         .order_by(FeeAdjustment.changed_at.desc(), FeeAdjustment.id.desc())
                         .limit(1)).scalar_one_or_none()
        current = last.status if last is not None else machine.NONE
        machine.check_transition(current, status)
        if last is not None and when < last.changed_at:
            raise ValueError(f"变更日期不能早于上一次变更（{last.changed_at:%Y-%m-%d %H:%M}）")
        machine.check_rectification(current, status, last.deadline if last is not None else None, when)
        if status == machine.RECTIFY:
            from datetime import timedelta

            from data import settings
            from data.queries.register import add_fee_rectification

            deadline = deadline or (when + timedelta(days=int(settings.get(engine, "register_days_rectification")))
                                    ).date()
            add_fee_rectification(s, engine, comp, deadline, reason=reason, at=when)
        elif current == machine.RECTIFY:
            from data.queries.register import close_fee_rectification

            close_fee_rectification(s, comp, last.deadline, f"整改期满重新评价：{status}（{reason}）", who.name, when)
        row = FeeAdjustment(compound_id=comp.id, status=status, changed_at=when, actor=who.name[:50], reason=reason,
                            deadline=deadline if status == machine.RECTIFY else None)
        s.add(row)
        s.add(AuditLog(at=when, username=(who.username or who.name)[:50], action="status", target=f"物业费调价状态 {comp.name}"[:200],
                       scope=scope.key(), detail={"compound_id": comp.id, "from": current, "to": status,
                                                  "reason": reason}))
        s.flush()
        s.expunge(row)
    return row


def quarter_period(quarter: str) -> Period:
    """The calendar months of ``YYYY-Qn``."""
    y, q = ratings.parse_quarter(quarter)
    return Period.months(f"{y:04d}-{3 * q - 2:02d}", f"{y:04d}-{3 * q:02d}")


def reduction_candidates(engine: Engine, scope: Scope, quarter: str) -> pd.DataFrame:
    """Fee-reduction candidates (降费管理) in the scope for ``quarter``, each with its reasons.

    Columns: ``compound_id``, ``compound``, ``township``, ``company``, ``fee_level``, ``fee_price``,
    ``score``, ``complaints``, ``complaints_per_100``, ``fee_status``, ``black``,
    ``many_complaints``, ``below_price``, ``reasons``; most reasons first.
    """
    r = rules(engine)
    values = settings.all_values(engine)
    frame = pd.DataFrame(fee_overview(engine, scope).drop(columns="geometry"))
    ev = evaluations(engine, scope, quarters=[quarter]).set_index("compound_id")["score"]
    counts = complaint_counts(engine, scope, quarter_period(quarter), by="compound")
    counts = counts.dropna(subset=["compound"]).set_index("compound")["count"]
    base = pd.DataFrame({"compound_id": frame["id"], "score": frame["id"].map(ev),
                         "complaints": frame["id"].map(counts).fillna(0).astype(int),
                         "households": frame["households"], "fee_price": frame["fee_price"]})
    found = machine.reduction_candidates(
        base, black_below=r.black_below,
        complaints_per_100_min=values["fee_reduction_complaints_per_100"],
        quality_floors=values["fee_quality_floors"])
    info = frame.rename(columns={"id": "compound_id", "name": "compound"})[
        ["compound_id", "compound", "township", "company", "fee_level", "fee_price", "fee_status"]]
    out = found.merge(info, on="compound_id").merge(base[["compound_id", "score", "complaints"]], on="compound_id")
    out["score"] = pd.to_numeric(out["score"], errors="coerce")
    out["fee_price"] = pd.to_numeric(out["fee_price"], errors="coerce")
    out["_n"] = out[["black", "many_complaints", "below_price"]].sum(axis=1)
    out = out.sort_values(["_n", "score"], ascending=[False, True]).drop(columns="_n").reset_index(drop=True)
    cols = ["compound_id", "compound", "township", "company", "fee_level", "fee_price", "score", "complaints",
            "complaints_per_100", "fee_status", "black", "many_complaints", "below_price", "reasons"]
    return out[cols]
