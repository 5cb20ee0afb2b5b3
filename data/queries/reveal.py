"""查看投诉人信息: reveal one complaint's complainant to its handler, with a logged reason.

Everything else in ``data.queries`` returns complainants masked. This is the
only read of the unmasked columns, and it is narrow on purpose: one work
order at a time, only for a role that may reveal (``permissions.REVEAL_PERSONAL``),
only inside the user's jurisdiction, only for the handler of the complaint
(the township it was routed to, or the housing bureau for complaints routed
to 住建局), and only with a written reason. Each reveal is an audit entry
written in the same transaction as the read.
"""
from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import audit, permissions
from data.queries import _scoped
from data.schema import Complaint

MIN_REASON_CHARS = 4
HOUSING_DEPARTMENT = "住建"  # departments named 住建局 / 县住建局 … are the housing bureau


class RevealRefused(PermissionError):
    """The reveal is not allowed; the message is for the user (Chinese)."""


def may_reveal(account, department: str | None, township_id: int | None) -> bool:
    """Is ``account`` the handler of a complaint routed to ``department`` in ``township_id``?"""
    if account is None or not account.can(permissions.REVEAL_PERSONAL):
        return False
    if account.role == "township":
        return township_id is not None and township_id == account.township_id
    if account.role == "housing":
        return HOUSING_DEPARTMENT in (department or "")
    return False


def reveal_complainant(engine: Engine, account, order_no: str, reason: str) -> dict:
    """The complainant's name and phone of work order ``order_no``, unmasked; logged.

    Raises
    ------
    RevealRefused
        Role without the right, order outside the jurisdiction or not handled
        by the user's unit, or no reason given. Nothing is logged as a reveal
        then (a refused attempt is logged as such).
    """
    reason = (reason or "").strip()
    if account is None or not account.can(permissions.REVEAL_PERSONAL):
        if account is not None:  # an attempt by a role without the right is worth knowing about
            audit.record(engine, account, "reveal", f"complaint:{order_no}", account.scope, refused=True,
                         reason=reason or None)
        raise RevealRefused("您的角色不能查看投诉人信息")
    if len(reason) < MIN_REASON_CHARS:
        raise RevealRefused(f"请填写查看原因（不少于 {MIN_REASON_CHARS} 个字）")
    c = Complaint
    stmt = _scoped(select(c.order_no, c.department, c.township_id, c.complainant_name,
                          c.complainant_phone).where(c.order_no == str(order_no)), c, account.scope)
    with Session(engine) as s, s.begin():
        row = s.execute(stmt).first()
        if row is None or not may_reveal(account, row.department, row.township_id):
            audit.record(s, account, "reveal", f"complaint:{order_no}", account.scope,
                         refused=True, reason=reason)
            refused = True
        else:
            audit.record(s, account, "reveal", f"complaint:{order_no}", account.scope, reason=reason,
                         fields=["complainant_name", "complainant_phone"])
            refused = False
    if refused:
        raise RevealRefused("该工单不在您的管辖范围内，或不由您所在单位承办")
    return {"order_no": row.order_no, "complainant_name": row.complainant_name,
            "complainant_phone": row.complainant_phone}
