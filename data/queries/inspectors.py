"""检查人员名录 edited by hand: add, edit, deactivate (the import is ``data.importers.inspectors``).

Inspectors are never deleted: past draws name them. A deactivated inspector
(调离、离岗) stays in the register and is no longer drawn. Every change needs
``edit_registers`` (住建局, 管理员) and is audited with the old and new values;
the phone is personal data and is audited masked.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import audit, permissions
from data.importers import values as V
from data.privacy import mask_phone
from data.schema import Inspector, PropertyCompany, Township

__all__ = ["save_inspector", "set_inspector_active", "inspector_by_cert", "stored_phone"]

_FIELDS = ("name", "unit", "cert_no", "township_id", "linked_company_ids", "phone", "active")


def _clean(text, what: str, max_len: int, *, required: bool) -> str | None:
    s = (str(text).strip() if text is not None else "")
    if not s:
        if required:
            raise ValueError(f"{what}不能为空")
        return None
    if len(s) > max_len:
        raise ValueError(f"{what}不超过 {max_len} 个字")
    return s


def _shown(field: str, value):
    return mask_phone(value) if field == "phone" else value


def save_inspector(engine: Engine, *, name: str, unit: str, cert_no: str, township_id: int | None = None,
                   company_ids=(), phone: str | None = None, active: bool = True,
                   inspector_id: int | None = None, actor) -> int:
    """Add (``inspector_id`` None) or edit an inspector; returns its id.

    Raises ValueError (Chinese) for a blank or duplicate 执法证号, an unknown
    township or company, or a bad phone; PermissionError without ``edit_registers``.
    """
    who = permissions.authorize(actor, permissions.EDIT_REGISTERS)
    values = {
        "name": _clean(name, "姓名", 30, required=True),
        "unit": _clean(unit, "单位", 50, required=True),
        "cert_no": _clean(cert_no, "执法证号", 30, required=True),
        "township_id": None if township_id is None else int(township_id),
        "linked_company_ids": sorted({int(c) for c in company_ids or ()}),
        "active": bool(active),
    }
    raw_phone = _clean(phone, "联系电话", 20, required=False)
    try:
        values["phone"] = None if raw_phone is None else V.phone(raw_phone)
    except V.Bad as exc:
        raise ValueError(f"联系电话：{exc}") from None
    with Session(engine) as s, s.begin():
        if values["township_id"] is not None and s.get(Township, values["township_id"]) is None:
            raise ValueError(f"镇街编号 {values['township_id']} 不存在")
        known = set(s.scalars(select(PropertyCompany.id).where(
            PropertyCompany.id.in_(values["linked_company_ids"])))) if values["linked_company_ids"] else set()
        unknown = [c for c in values["linked_company_ids"] if c not in known]
        if unknown:
            raise ValueError(f"回避企业不存在：{unknown}")
        twin = s.scalar(select(Inspector).where(Inspector.cert_no == values["cert_no"]))
        if inspector_id is None:
            if twin is not None:
                raise ValueError(f"执法证号 {values['cert_no']} 已登记（{twin.name}，{twin.unit}）")
            obj = Inspector(**values)
            s.add(obj)
            s.flush()
            audit.record(s, who.username or who.name or None, "inspector", f"inspector:{obj.id}", None,
                         at=datetime.now(), op="create", **{k: _shown(k, v) for k, v in values.items()})
            return obj.id
        obj = s.get(Inspector, int(inspector_id))
        if obj is None:
            raise ValueError(f"检查人员 {inspector_id} 不存在")
        if twin is not None and twin.id != obj.id:
            raise ValueError(f"执法证号 {values['cert_no']} 已属于 {twin.name}（{twin.unit}）")
        old = {k: getattr(obj, k) for k in _FIELDS}
        changed = {k: v for k, v in values.items() if old[k] != v}
        for k, v in changed.items():
            setattr(obj, k, v)
        if changed:
            audit.record(s, who.username or who.name or None, "inspector", f"inspector:{obj.id}", None,
                         at=datetime.now(), op="update",
                         old={k: _shown(k, old[k]) for k in changed},
                         new={k: _shown(k, v) for k, v in changed.items()})
        return obj.id


def set_inspector_active(engine: Engine, inspector_id: int, active: bool, *, actor) -> None:
    """Deactivate (调离、离岗: never drawn again, kept for past draws) or reactivate an inspector."""
    who = permissions.authorize(actor, permissions.EDIT_REGISTERS)
    with Session(engine) as s, s.begin():
        obj = s.get(Inspector, int(inspector_id))
        if obj is None:
            raise ValueError(f"检查人员 {inspector_id} 不存在")
        if bool(obj.active) != bool(active):
            obj.active = bool(active)
            audit.record(s, who.username or who.name or None, "inspector", f"inspector:{obj.id}", None,
                         at=datetime.now(), op="activate" if active else "deactivate", name=obj.name)


def inspector_by_cert(engine: Engine, cert_no: str) -> int:
    """The id of the inspector with 执法证号 ``cert_no``; ValueError (Chinese) when there is none."""
    with Session(engine) as s:
        found = s.scalar(select(Inspector.id).where(Inspector.cert_no == str(cert_no).strip()))
    if found is None:
        raise ValueError(f"没有执法证号为 {cert_no} 的检查人员：先在“双随机抽查 → 名录”中添加，"
                         "或用 python -m data import inspectors 文件 导入")
    return int(found)


def stored_phone(engine: Engine, inspector_id: int) -> str | None:
    """The phone kept for an edit where the form leaves it blank (never shown: the page shows it masked)."""
    with Session(engine) as s:
        return s.scalar(select(Inspector.phone).where(Inspector.id == int(inspector_id)))
