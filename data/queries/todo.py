"""待办: the open work of a township (or, at county scope, of every township) in one scoped read.

A township officer's day is four kinds of work, each kept by its own module;
this module only gathers their open rows, with the rules those modules already
apply (nothing is re-decided here):

- 问责台账: register items 待落实 or 逾期 (``data.queries.register.items``; 逾期 is
  ``policy.register.effective_state``: past the due date, the due date itself not);
- 执法案件: cases not closed (``data.queries.cases.cases``; 超期 is
  ``policy.cases.is_overdue``: open ``case_overdue_days`` days or more, the due
  moment being the opening time plus those days);
- 错峰停车方案: proposals waiting for the township (草稿 to submit, 退回 to revise;
  ``policy.parking``), and, for a viewer who approves proposals (住建局), those 已提交;
  a proposal has no deadline, so it is never overdue;
- 抽查整改: spot-check results with a 整改期限 and no rectification recorded
  (``data.queries.inspection.draw_results``; 逾期 is
  ``policy.inspection.rectification_overdue``), of the draws the ``viewer`` may see:
  an unpublished draw stays hidden from everybody but the drawing unit and its team.

Every source takes the caller's scope, so a township's officer never reads
another township's rows. Rows come back overdue first, then by due date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from data import permissions, settings
from data.queries import cases as cq
from data.queries import inspection as iq
from data.queries import parking as pq
from data.queries import register as reg
from data.scope import Scope
from policy import parking as parking_rules
from policy import register as R

__all__ = ["KINDS", "PAGES", "TODO_COLUMNS", "todo", "counts"]

REGISTER, CASE, PARKING, RECTIFICATION = "问责台账", "执法案件", "错峰停车方案", "抽查整改"
KINDS = (REGISTER, CASE, PARKING, RECTIFICATION)
# the page that handles each kind (paths of ui/nav.PAGES)
PAGES = {REGISTER: "pages/register.py", CASE: "pages/enforcement.py", PARKING: "pages/parking.py",
         RECTIFICATION: "pages/inspection.py"}
TODO_COLUMNS = ["kind", "ref_id", "title", "compound_id", "compound", "township", "due_date", "overdue",
                "state", "page"]


@dataclass(frozen=True)
class _Row:
    kind: str
    ref_id: int
    title: str
    compound_id: int | None
    compound: str | None
    township: str | None
    due_date: date | None
    overdue: bool
    state: str
    page: str


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _register_rows(engine: Engine, scope: Scope, today: date) -> list[_Row]:
    items = reg.items(engine, scope, states=(R.PENDING, R.OVERDUE), today=today)
    out = []
    for r in items.itertuples():
        on_compound = r.subject_kind == "compound" and _int(r.subject_id) is not None
        out.append(_Row(REGISTER, int(r.id), f"{r.action_label}（{r.subject}，{r.period}）",
                        _int(r.subject_id) if on_compound else None, r.subject if on_compound else None,
                        _text(r.township), r.due_date, r.state == R.OVERDUE, r.state, PAGES[REGISTER]))
    return out


def _case_rows(engine: Engine, scope: Scope, now: datetime) -> list[_Row]:
    days = int(settings.get(engine, "case_overdue_days"))
    frame = cq.cases(engine, scope, open_only=True, now=now)
    return [_Row(CASE, int(r.id), f"{r.case_no} {r.category}", _int(r.compound_id), _text(r.compound),
                 _text(r.township), (pd.Timestamp(r.opened_at).to_pydatetime() + timedelta(days=days)).date(),
                 bool(r.overdue), r.step, PAGES[CASE])
            for r in frame.itertuples()]


def _parking_rows(engine: Engine, scope: Scope, viewer: iq.Viewer) -> list[_Row]:
    waiting = {parking_rules.DRAFT, parking_rules.RETURNED}
    if permissions.can(viewer.role, permissions.APPROVE_PARKING):
        waiting.add(parking_rules.SUBMITTED)  # the county's part: approve or return
    frame = pq.proposals(engine, scope)
    return [_Row(PARKING, int(r.id), r.title, None, None, _text(r.township), None, False, r.status,
                 PAGES[PARKING])
            for r in frame.itertuples() if r.status in waiting]


def _rectification_rows(engine: Engine, scope: Scope, today: date, viewer: iq.Viewer) -> list[_Row]:
    out = []
    for draw_id in iq.draws(engine, scope, viewer=viewer)["draw_id"]:
        results = iq.draw_results(engine, scope, int(draw_id), today=today, viewer=viewer)
        for r in results.itertuples():
            if _missing(r.rectification_due) or not _missing(r.rectified_at):
                continue  # no 整改期限 (passed), or rectified: nothing left to do
            findings = (_text(r.findings) or "").strip()
            title = f"{r.verdict or '不合格'}：{findings[:40]}{'…' if len(findings) > 40 else ''}"
            out.append(_Row(RECTIFICATION, int(r.result_id), title, _int(r.compound_id), _text(r.compound),
                            _text(r.township), r.rectification_due, bool(r.overdue),
                            "整改逾期" if r.overdue else "整改中", PAGES[RECTIFICATION]))
    return out


def todo(engine: Engine, scope: Scope, today: date | None = None, *, viewer: iq.Viewer | None = None,
         now: datetime | None = None) -> pd.DataFrame:
    """The open to-do items of ``scope`` as of ``today``: one row per item, overdue first, then by due date.

    Columns :data:`TODO_COLUMNS`: ``kind`` (one of :data:`KINDS`), ``ref_id`` (the item's
    id on its own page), ``title``, ``compound_id``/``compound`` (None when the item is
    not about one compound), ``township``, ``due_date`` (None: no deadline), ``overdue``,
    ``state`` (the item's own state word) and ``page`` (the page that handles it).

    ``viewer``: who reads (:class:`data.queries.inspection.Viewer`; ``None`` is an
    ordinary reader, who sees only published draws). ``now``: the moment cases are aged
    at (default: ``today`` at the current time of day).
    """
    today = today or date.today()
    viewer = viewer or iq.Viewer()
    now = now or datetime.combine(today, datetime.now().time())
    rows = [*_register_rows(engine, scope, today), *_case_rows(engine, scope, now),
            *_parking_rows(engine, scope, viewer), *_rectification_rows(engine, scope, today, viewer)]
    order = {k: i for i, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (not r.overdue, r.due_date is None, r.due_date or date.max, order[r.kind], r.ref_id))
    frame = pd.DataFrame([tuple(r.__dict__.values()) for r in rows], columns=TODO_COLUMNS)
    return frame.astype({"ref_id": "int64", "compound_id": "Int64", "overdue": "bool"})


def counts(frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per kind (every kind, in :data:`KINDS` order): ``(open, overdue)``."""
    return {k: (int((frame["kind"] == k).sum()), int(frame.loc[frame["kind"] == k, "overdue"].sum()))
            for k in KINDS}
