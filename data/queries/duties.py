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


# --------------------------------------------------------------------------- 12345 category table


def product_categories(engine: Engine) -> list[str]:
    """The product's complaint categories: the duty matrix's categories (defaults and edits)."""
    return sorted(duty_matrix(engine))


def category_map(engine: Engine) -> dict[str, str]:
    """12345 category name → product category: every default, with the county's edits applied.

    A row whose category is blank removes a default (stored as an empty string)."""
    from data.schema import CategoryMap
    from policy.duties import DEFAULT_CATEGORY_MAP

    out = dict(DEFAULT_CATEGORY_MAP)
    with Session(engine) as s:
        for r in s.scalars(select(CategoryMap)):
            if r.category:
                out[r.source] = r.category
            else:
                out.pop(r.source, None)
    return out


def set_category_map(engine: Engine, source: str, category: str | None, *, actor=None) -> None:
    """Store one row of the category table (blank ``category`` removes the mapping); audited.

    A signed-in Account needs ``edit_registers`` (住建局 and 管理员 keep the registers)."""
    from data import permissions
    from data.schema import CategoryMap

    permissions.authorize(actor, permissions.EDIT_REGISTERS)
    source, category = (source or "").strip(), (category or "").strip()
    if not source:
        raise ValueError("12345 类别名称不能为空")
    if len(source) > 100 or len(category) > 30:
        raise ValueError("12345 类别最长 100 字，本系统类别最长 30 字")
    known = set(product_categories(engine))
    if category and category not in known:
        raise ValueError(f"“{category}”不是本系统的诉求类别（请先在职责分工中添加）")
    before = category_map(engine).get(source)
    with Session(engine) as s, s.begin():
        s.merge(CategoryMap(source=source, category=category))
        if actor is not None:
            from data import audit

            audit.record(s, actor, "settings", f"诉求类别对照：{source}", None, before=before, after=category or None)
