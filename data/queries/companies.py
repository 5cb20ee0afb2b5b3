"""物业企业 as stored: the register (phones masked) and merging two records of one company.

Before names were matched by their normalised form, "鸿运物业" and
"嘉祥县鸿运物业服务有限公司" could become two companies. :func:`merge_companies`
makes them one again: every link of the merged-away record — its compounds,
project managers, credit grades, the inspectors who must recuse themselves
from it — moves to the kept record (so its evaluations and black-list count
follow its compounds), its names become aliases of the kept one, and the
whole change is audited in the same transaction.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from data import audit, permissions
from data.privacy import mask_phone
from data.queries import _frame
from data.schema import Compound, CreditGrade, Inspector, ProjectManager, PropertyCompany

__all__ = ["companies", "merge_companies", "MergeResult", "COLUMNS"]

COLUMNS = ["id", "name", "credit_code", "legal_rep", "contact", "phone", "qualification", "state_owned",
           "aliases", "projects"]


def companies(engine: Engine) -> pd.DataFrame:
    """Every company with its project count; phones masked (personal data of the contact)."""
    with Session(engine) as s:
        counts = dict(s.execute(select(Compound.company_id, func.count()).where(Compound.company_id.is_not(None))
                                .group_by(Compound.company_id)).all())
        rows = s.execute(select(PropertyCompany.id, PropertyCompany.name, PropertyCompany.credit_code,
                                PropertyCompany.legal_rep, PropertyCompany.contact, PropertyCompany.phone,
                                PropertyCompany.qualification, PropertyCompany.state_owned,
                                PropertyCompany.aliases).order_by(PropertyCompany.name)).all()
    out = [[*r[:5], mask_phone(r[5]), *r[6:], int(counts.get(r[0], 0))] for r in rows]
    return _frame(out, COLUMNS, geometry=False)


class MergeResult(dict):
    """What moved: counts per link kind (compounds, managers, credit_grades, inspectors, …)."""


def merge_companies(engine: Engine, keep_id: int, merge_id: int, *, actor) -> MergeResult:
    """Merge company ``merge_id`` into ``keep_id`` keeping every link; the merged record is removed.

    Credit grades move unless the kept company has a grade for the same quarter
    (then the kept one stands and the other is named in the audit entry).
    Project managers of the same name become one. A signed-in ``actor`` needs
    ``edit_registers``. Raises ValueError (Chinese) for a bad pair.
    """
    who = permissions.authorize(actor, permissions.EDIT_REGISTERS)
    keep_id, merge_id = int(keep_id), int(merge_id)
    if keep_id == merge_id:
        raise ValueError("请选择两家不同的企业")
    moved = MergeResult()
    with Session(engine) as s, s.begin():
        keep, gone = s.get(PropertyCompany, keep_id), s.get(PropertyCompany, merge_id)
        if keep is None or gone is None:
            raise ValueError("企业不存在（可能已被合并），请刷新页面")
        if keep.credit_code and gone.credit_code and keep.credit_code != gone.credit_code:
            raise ValueError(f"两家企业的统一社会信用代码不同（{keep.credit_code} / {gone.credit_code}），"
                             "不是同一家企业，不能合并")
        # project managers: one per (company, name)
        mine = {m.name: m for m in s.scalars(select(ProjectManager).where(ProjectManager.company_id == keep_id))}
        managers = 0
        for m in s.scalars(select(ProjectManager).where(ProjectManager.company_id == merge_id)).all():
            twin = mine.get(m.name)
            if twin is None:
                m.company_id = keep_id
            else:
                s.execute(update(Compound).where(Compound.manager_id == m.id).values(manager_id=twin.id))
                if twin.phone is None and m.phone:
                    twin.phone = m.phone
                s.flush()
                s.delete(m)
            managers += 1
        s.flush()
        moved["compounds"] = s.execute(update(Compound).where(Compound.company_id == merge_id)
                                       .values(company_id=keep_id)).rowcount
        moved["managers"] = managers
        kept_quarters = set(s.scalars(select(CreditGrade.quarter).where(CreditGrade.company_id == keep_id)))
        dropped = []
        grades = 0
        for g in s.scalars(select(CreditGrade).where(CreditGrade.company_id == merge_id)).all():
            if g.quarter in kept_quarters:
                dropped.append({"quarter": g.quarter, "grade": g.grade, "score": None if g.score is None
                                else str(g.score)})
                s.delete(g)
            else:
                g.company_id = keep_id
                grades += 1
        moved["credit_grades"] = grades
        inspectors = 0
        for i in s.scalars(select(Inspector)).all():
            links = [int(x) for x in (i.linked_company_ids or [])]
            if merge_id in links:
                i.linked_company_ids = sorted({keep_id if x == merge_id else x for x in links})
                inspectors += 1
        moved["inspectors"] = inspectors
        # the merged record's names stay findable as aliases; details fill the kept record's blanks
        names = [n for n in (gone.name, *(gone.aliases or "").split("、")) if n]
        aliases = [a for a in (keep.aliases or "").split("、") if a]
        for n in names:
            if n != keep.name and n not in aliases and len("、".join([*aliases, n])) <= 300:
                aliases.append(n)
        for attr in ("contact", "phone", "legal_rep", "qualification"):
            if getattr(keep, attr) is None and getattr(gone, attr) is not None:
                setattr(keep, attr, getattr(gone, attr))
        code = gone.credit_code
        s.flush()
        s.delete(gone)
        s.flush()
        keep.aliases = "、".join(aliases) or None
        if keep.credit_code is None and code:
            keep.credit_code = code
        keep.state_owned = bool(keep.state_owned or gone.state_owned)
        audit.record(s, who.username or who.name or None, "merge_company", f"property_company:{keep_id}", None,
                     at=datetime.now(), kept=keep.name, merged=gone.name, merged_id=merge_id,
                     dropped_grades=dropped, **moved)
    return moved
