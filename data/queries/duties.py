"""The duty matrix (职责分工) as stored: defaults from ``policy.duties`` overridden by rows."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from data.schema import DutyRule
from policy.duties import DEFAULT_DUTIES


def duty_matrix(engine: Engine) -> dict[str, str]:
    """category → department: every default, with the county's edits applied."""
    matrix = dict(DEFAULT_DUTIES)
    with Session(engine) as s:
        matrix.update({r.category: r.department for r in s.scalars(select(DutyRule))})
    return matrix


def set_duty(engine: Engine, category: str, department: str, *, actor=None) -> None:
    """Store one edit (blank department is refused).

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
    with Session(engine) as s, s.begin():
        stored = s.get(DutyRule, category)
        before = stored.department if stored is not None else DEFAULT_DUTIES.get(category)
        s.merge(DutyRule(category=category, department=department))
        if actor is not None:
            from data import audit

            audit.record(s, actor, "settings", f"职责分工：{category}", None,
                         before=before, after=department)
