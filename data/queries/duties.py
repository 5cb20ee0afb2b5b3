"""The duty matrix (职责分工) as stored: defaults from ``policy.duties`` overridden by rows."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from data.schema import Complaint, DutyRule, Township
from data.vocab import COMPLAINT_CLOSED
from policy.duties import DEFAULT_DUTIES, TOWNSHIP


def duty_matrix(engine: Engine) -> dict[str, str]:
    """category → department: every default, with the county's edits applied."""
    matrix = dict(DEFAULT_DUTIES)
    with Session(engine) as s:
        matrix.update({r.category: r.department for r in s.scalars(select(DutyRule))})
    return matrix


def _township_name():
    return select(Township.name).where(Township.id == Complaint.township_id).scalar_subquery()


def set_duty(engine: Engine, category: str, department: str, *, actor=None,
             reassign_open: bool = False) -> int:
    """Store one edit (blank department is refused); return how many open complaints were moved.

    ``reassign_open``: also move the category's open complaints (not 已办结) that the
    old duty gave to the old department, in the same transaction. Those a file or a
    special rule gave elsewhere (联席会议, 专班, no property company) stay where they
    are. "镇街" means each complaint's own township, on either side.

    With ``actor`` (an Account or username) the edit is audited in the same transaction;
    a signed-in Account needs ``edit_settings``.
    """
    from data import permissions

    permissions.authorize(actor, permissions.EDIT_SETTINGS)
    category, department = category.strip(), department.strip()
    if not category or not department:
        raise ValueError("类别和责任部门都不能为空")
    if len(category) > 30 or len(department) > 50:  # the column widths
        raise ValueError("类别最长 30 字，责任部门最长 50 字")
    moved = 0
    with Session(engine) as s, s.begin():
        stored = s.get(DutyRule, category)
        before = stored.department if stored is not None else DEFAULT_DUTIES.get(category)
        s.merge(DutyRule(category=category, department=department))
        if reassign_open and before and before != department:
            old = _township_name() if before == TOWNSHIP else before
            new = func.coalesce(_township_name(), TOWNSHIP) if department == TOWNSHIP else department
            moved = s.execute(update(Complaint)
                              .where(Complaint.category == category, Complaint.department == old,
                                     Complaint.status != COMPLAINT_CLOSED)
                              .values(department=new).execution_options(synchronize_session=False)).rowcount
        if actor is not None:
            from data import audit

            audit.record(s, actor, "settings", f"职责分工：{category}", None,
                         before=before, after=department, **({"reassigned_open": moved} if reassign_open else {}))
    return moved
