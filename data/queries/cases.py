"""执法联动案件 as stored: scoped reads and the writes that move a case through its steps.

Each write checks the procedure with ``policy.cases`` (no skipped step, no
transfer after closing), records the step with time, actor and note, and
keeps the case row's ``step``/``department``/``closed_at`` in line. The
responsible department comes from the duty matrix (``data.queries.duties``,
the same table complaint routing uses). Phones of reporters and receivers
leave the list and detail reads masked; the case report form
(:func:`case_form_fields`) carries them in full only for a role that may reveal them (audited).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import permissions, settings
from data.privacy import mask_phone
from data.queries import _frame, in_scope, township_in_scope
from data.queries.duties import duty_matrix
from data.schema import AuditLog, CasePhoto, CaseStep, Compound, EnforcementCase, Township
from data.scope import Period, Scope, ScopeError
from policy import cases as rules

FORM_FIELDS = ("reporting_unit", "reporter", "reporter_phone", "receiving_unit", "receiver",
               "receiver_phone", "reporting_opinion", "receiving_opinion", "remarks")


def _in_scope(stmt, scope: Scope):
    stmt = stmt.where(in_scope(EnforcementCase.township_id, scope))
    if scope.community_id is not None:
        stmt = stmt.where(EnforcementCase.compound_id.in_(
            select(Compound.id).where(Compound.community_id == scope.community_id)))
    return stmt


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now()).replace(microsecond=0)


CASE_COLUMNS = ["id", "case_no", "compound_id", "compound", "township_id", "township", "category",
                "department", "step", "opened_at", "closed_at", "location", "lon", "lat", "days_open",
                "overdue"]


def cases(engine: Engine, scope: Scope, *, period: Period | None = None, open_only: bool = False,
          now: datetime | None = None) -> pd.DataFrame:
    """Cases in the scope (opened in ``period`` if given), newest first, with age and overdue flag."""
    now = _now(now)
    days = int(settings.get(engine, "case_overdue_days"))
    e = EnforcementCase
    stmt = (select(e.id, e.case_no, e.compound_id, Compound.name, e.township_id, Township.name, e.category,
                   e.department, e.step, e.opened_at, e.closed_at, e.location, e.lon, e.lat)
            .outerjoin(Compound, Compound.id == e.compound_id)
            .join(Township, Township.id == e.township_id)
            .order_by(e.opened_at.desc(), e.id.desc()))
    stmt = _in_scope(stmt, scope)
    if period is not None:
        stmt = stmt.where(e.opened_at >= period.start_dt, e.opened_at < period.end_dt)
    if open_only:
        stmt = stmt.where(e.step != rules.CLOSED)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    out = [[*r, ((r[10] or now) - r[9]).days, rules.is_overdue(r[9], r[10], now, days)] for r in rows]
    return _frame(out, CASE_COLUMNS, geometry=False)


@dataclass
class CaseDetail:
    case: dict                 # the case row, phones masked
    steps: pd.DataFrame        # step, at, actor, note, from_unit, to_unit (time order)
    photos: pd.DataFrame       # id, step_id, step, filename, content_type, sha256, lon, lat, taken_at
    next_step: str | None
    suggested_department: str | None = None  # set when the case sits outside its unit's duties
    extra: dict = field(default_factory=dict)
    next_steps: tuple[str, ...] = ()   # every step allowed next (制止 → 呈报 or 结案)


def _case_in_scope(s: Session, scope: Scope, case_id: int) -> EnforcementCase:
    case = s.scalar(_in_scope(select(EnforcementCase).where(EnforcementCase.id == int(case_id)), scope))
    if case is None:
        raise ScopeError("该案件不存在或不在您的管辖范围内")
    return case


def case_detail(engine: Engine, scope: Scope, case_id: int) -> CaseDetail:
    with Session(engine) as s:
        c = _case_in_scope(s, scope, case_id)
        row = {col.name: getattr(c, col.name) for col in EnforcementCase.__table__.columns}
        compound = s.get(Compound, c.compound_id) if c.compound_id else None
        row["compound"] = compound.name if compound else None
        row["township"] = s.get(Township, c.township_id).name
        steps = s.execute(select(CaseStep.id, CaseStep.step, CaseStep.at, CaseStep.actor, CaseStep.note,
                                 CaseStep.from_unit, CaseStep.to_unit)
                          .where(CaseStep.case_id == c.id).order_by(CaseStep.at, CaseStep.id)).all()
        photos = s.execute(select(CasePhoto.id, CasePhoto.step_id, CaseStep.step, CasePhoto.filename,
                                  CasePhoto.content_type, CasePhoto.sha256, CasePhoto.lon, CasePhoto.lat,
                                  CasePhoto.taken_at)
                           .outerjoin(CaseStep, CaseStep.id == CasePhoto.step_id)
                           .where(CasePhoto.case_id == c.id).order_by(CasePhoto.id)).all()
        has_company = bool(compound and compound.company_id)
    for key in ("reporter_phone", "receiver_phone"):
        row[key] = mask_phone(row[key])
    suggested = rules.outside_duties(row["category"], row["department"], duties=duty_matrix(engine),
                                     has_company=has_company) if row["step"] != rules.CLOSED else None
    return CaseDetail(row, _frame(steps, ["id", "step", "at", "actor", "note", "from_unit", "to_unit"],
                                  geometry=False),
                      _frame(photos, ["id", "step_id", "step", "filename", "content_type", "sha256", "lon",
                                      "lat", "taken_at"], geometry=False),
                      rules.next_step(row["step"]), suggested, next_steps=rules.next_steps(row["step"]))


def _audit(s: Session, actor: str | None, action: str, case: EnforcementCase, detail: dict, at: datetime) -> None:
    s.add(AuditLog(at=at, username=actor, action=action, target=f"enforcement_case:{case.id}",
                   scope=f"county/{case.township_id}/*", detail=detail))


def _next_case_no(s: Session, year: int) -> str:
    prefix = f"LD-{year}-"
    taken = set(s.scalars(select(EnforcementCase.case_no).where(EnforcementCase.case_no.like(f"{prefix}%"))))
    k = len(taken) + 1
    while f"{prefix}{k:04d}" in taken:
        k += 1
    return f"{prefix}{k:04d}"


def open_case(engine: Engine, scope: Scope, *, category: str, details: str, actor,
              compound_id: int | None = None, township_id: int | None = None, location: str | None = None,
              lon: float | None = None, lat: float | None = None, at: datetime | None = None) -> int:
    """发现: open a case; its department comes from the duty matrix for ``category``.

    ``actor``: the signed-in Account (needs ``edit_cases``) or a script's name.
    """
    who = permissions.authorize(actor, permissions.EDIT_CASES, scope)
    at = _now(at)
    category, details = (category or "").strip(), (details or "").strip()
    if not category or not details:
        raise ValueError("请填写违法违规类别和详细情况")
    with Session(engine) as s, s.begin():
        compound = s.get(Compound, int(compound_id)) if compound_id is not None else None
        if compound_id is not None and compound is None:
            raise ValueError(f"小区 {compound_id} 不存在")
        town = compound.township_id if compound else township_id
        if town is None:
            raise ValueError("请选择小区或镇街")
        if not township_in_scope(s, scope, town, compound.community_id if compound else None):
            raise ScopeError("不能在管辖范围以外立案")
        dept = rules.responsible_department(category, duties=duty_matrix(engine),
                                            has_company=bool(compound and compound.company_id))
        case = EnforcementCase(case_no=_next_case_no(s, at.year), compound_id=compound.id if compound else None,
                               township_id=town, category=category, department=dept, step=rules.STEPS[0],
                               opened_at=at, location=location or (compound.address if compound else None),
                               lon=lon, lat=lat, details=details)
        s.add(case)
        s.flush()
        s.add(CaseStep(case_id=case.id, step=rules.STEPS[0], at=at, actor=who.name, note=details))
        _audit(s, who.username, "case_open", case, {"category": category, "department": dept}, at)
        return case.id


def advance_case(engine: Engine, scope: Scope, case_id: int, step: str, *, actor, note: str | None = None,
                 at: datetime | None = None, form: dict | None = None) -> int:
    """Record the next step (拍照 … 结案); skipping or repeating raises ``StepError``.

    ``form`` fills the case report form fields (呈报 and 处理); at 呈报 the
    receiving unit defaults to the responsible department. Returns the step id.
    """
    who = permissions.authorize(actor, permissions.EDIT_CASES, scope)
    at = _now(at)
    with Session(engine) as s, s.begin():
        case = _case_in_scope(s, scope, case_id)
        photos = s.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case.id))
        rules.check_advance(case.step, step, photos=int(photos or 0))
        last = s.scalar(select(func.max(CaseStep.at)).where(CaseStep.case_id == case.id))
        if last is not None and at < last:
            raise rules.StepError(f"环节时间不能早于上一环节（{last:%Y-%m-%d %H:%M}）")
        for key, value in (form or {}).items():
            if key not in FORM_FIELDS:
                raise ValueError(f"呈报表没有字段 {key}")
            setattr(case, key, (str(value).strip() or None) if value is not None else None)
        if step == rules.REPORT:
            case.receiving_unit = case.receiving_unit or case.department
            if not case.reporting_unit:
                raise rules.StepError("呈报时须填写呈报单位")
        case.step = step
        if step == rules.CLOSED:
            case.closed_at = at
        row = CaseStep(case_id=case.id, step=step, at=at, actor=who.name, note=note)
        s.add(row)
        s.flush()
        if step == rules.PHOTO:  # the photos uploaded before the step belong to it
            for photo in s.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id,
                                                           CasePhoto.step_id.is_(None))):
                photo.step_id = row.id
        _audit(s, who.username, "case_step", case, {"step": step}, at)
        return row.id


def transfer_case(engine: Engine, scope: Scope, case_id: int, to_department: str, *, actor,
                  reason: str = "", at: datetime | None = None) -> int:
    """移交: hand an open case to the unit whose duty it is; recorded as a step beside the six."""
    who = permissions.authorize(actor, permissions.EDIT_CASES, scope)
    at = _now(at)
    with Session(engine) as s, s.begin():
        case = _case_in_scope(s, scope, case_id)
        t = rules.check_transfer(case.step, case.department, to_department, reason)
        row = CaseStep(case_id=case.id, step=rules.TRANSFER, at=at, actor=who.name, note=t.reason,
                       from_unit=t.from_department, to_unit=t.to_department)
        case.department = t.to_department
        if case.receiving_unit:
            case.receiving_unit = t.to_department
        s.add(row)
        s.flush()
        _audit(s, who.username, "case_transfer", case, {"from": t.from_department, "to": t.to_department}, at)
        return row.id


def add_case_photo(engine: Engine, scope: Scope, case_id: int, data: bytes, filename: str, *,
                   step_id: int | None = None, actor=None) -> int:
    """Attach a photo (validated by content, stored by sha256 under var/photos; see data.photos)."""
    from data.photos import max_bytes_from_mb, store_photo

    permissions.authorize(actor, permissions.EDIT_CASES, scope)

    photo = store_photo(data, max_bytes=max_bytes_from_mb(settings.get(engine, "photo_max_mb")))
    with Session(engine) as s, s.begin():
        case = _case_in_scope(s, scope, case_id)
        if step_id is not None and s.scalar(select(CaseStep.case_id).where(CaseStep.id == int(step_id))) != case.id:
            raise ValueError("该环节不属于此案件")
        row = CasePhoto(case_id=case.id, step_id=step_id, filename=(filename or "photo")[:200],
                        content_type=photo.content_type, content=None, sha256=photo.sha256,
                        size_bytes=photo.size_bytes, lon=photo.lon, lat=photo.lat, taken_at=photo.taken_at)
        s.add(row)
        s.flush()
        return row.id


def overdue_summary(engine: Engine, scope: Scope, *, now: datetime | None = None) -> dict[str, pd.DataFrame]:
    """Open and overdue cases per department and per township (超期: setting ``case_overdue_days``)."""
    frame = cases(engine, scope, open_only=True, now=now)
    out = {}
    for key, column in (("department", "department"), ("township", "township")):
        g = (frame.groupby(column, as_index=False)
             .agg(open_cases=("id", "count"), overdue_cases=("overdue", "sum"),
                  oldest_days=("days_open", "max")))
        g["overdue_cases"] = g["overdue_cases"].astype(int)
        out[key] = g.sort_values(["overdue_cases", "open_cases"], ascending=False).reset_index(drop=True)
    return out


def case_form_fields(engine: Engine, scope: Scope, case_id: int, *, account=None) -> dict:
    """Everything the case report form (案件呈报表) needs, photos with their files.

    Contacts follow the page rules (``data.documents.contacts``): full for a role that
    may reveal them on this case (the township on its own case, the housing bureau),
    and that reveal is audited; masked for everyone else, an inspector on another
    township's case and the read-only mode (``account=None``) included.
    """
    from data.documents.contacts import reveal
    from data.photos import read_photo

    with Session(engine) as s:
        c = _case_in_scope(s, scope, case_id)
        fields = {col.name: getattr(c, col.name) for col in EnforcementCase.__table__.columns}
        compound = s.get(Compound, c.compound_id) if c.compound_id else None
        fields["compound"] = compound.name if compound else None
        when = {st.step: st.at for st in s.scalars(select(CaseStep).where(CaseStep.case_id == c.id))}
        photos = [(p.filename, p.sha256, p.content_type, p.lon, p.lat, p.taken_at, p.content)
                  for p in s.scalars(select(CasePhoto).where(CasePhoto.case_id == c.id).order_by(CasePhoto.id))]
    contact_fields = ["reporter_phone", "receiver_phone"]  # as on the page: names show, phones are masked
    full = reveal(engine, account, township_id=fields["township_id"], target=f"enforcement_case:{fields['id']}",
                  fields=contact_fields, reason="导出案件呈报表")
    if not full:
        for key in ("reporter_phone", "receiver_phone"):
            fields[key] = mask_phone(fields[key])
    fields["contacts_full"] = full
    fields["reported_at"] = when.get(rules.REPORT)
    fields["handled_at"] = when.get("处理")
    from data.queries.setup import county_display_name

    fields["county_name"] = county_display_name(engine) or ""  # never another county's default name
    fields["photos"] = [{"filename": f, "lon": lon, "lat": lat, "taken_at": t,
                         "data": content or (read_photo(sha, ctype) if sha else None)}
                        for f, sha, ctype, lon, lat, t, content in photos]
    return fields


def case_categories(engine: Engine) -> list[str]:
    """Categories a case can be opened under: the duty matrix's, then any already used."""
    used = []
    with Session(engine) as s:
        used = sorted(set(s.scalars(select(EnforcementCase.category).distinct())))
    matrix = list(duty_matrix(engine))
    return matrix + [c for c in used if c not in matrix]
