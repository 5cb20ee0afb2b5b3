"""小区档案: everything known about one compound, read within a scope.

One call gathers the record the compound page shows: profile, company and
manager with credit grades, a 24-month complaint trend against the year
before, the category mix, its place in the month's county complaint ranking
with the ladder state (months running in the top list and what follows),
evaluations with their red/black list entries and consequences, fee history,
parking supply and demand, spot checks and enforcement cases. Asking for a
compound outside the scope raises :class:`~data.scope.ScopeError`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import settings
from data.queries import _frame, complaint_counts, compounds
from data.queries.complaint_stats import data_from as _data_from
from data.schema import (
    AccountabilityItem, Complaint, Compound, CreditGrade, EnforcementCase, Evaluation, FeeAdjustment, FeeRecord, SpotCheckDraw,
    SpotCheckResult,
)
from data.queries.inspection import Viewer, visible_to
from data.scope import Period, Scope, ScopeError
from policy import ladders, ratings
from policy import register as register_rules


@dataclass
class CompoundRecord:
    profile: pd.Series            # one row of data.queries.compounds
    credit: pd.DataFrame          # quarter, grade, score (the company's, newest first)
    trend: pd.DataFrame           # month, complaints, last_year (24 months ending at ``month``)
    categories: pd.DataFrame      # category, count (in the period)
    evaluations: pd.DataFrame     # quarter, score, satisfaction, evaluator, list (红榜/黑榜/—)
    fees: pd.DataFrame            # effective_date, fee_level, fee_price, note
    fee_changes: pd.DataFrame     # changed_at, status, actor, reason (newest first)
    parking: dict                 # spaces, households, cars, cars_estimated, shortage
    spot_checks: pd.DataFrame     # drawn_at, checked_at, score, findings, rectification_due, rectified_at
    cases: pd.DataFrame           # case_no, category, department, step, opened_at, closed_at
    ranking: dict = field(default_factory=dict)  # see :func:`ranking_place`
    lists: pd.DataFrame = field(default_factory=pd.DataFrame)  # quarter, list, score, black_count, consequence

    @property
    def fee_status(self) -> str:
        return self.fee_changes["status"].iloc[0] if len(self.fee_changes) else "无"

    @property
    def credit_grade(self) -> str | None:
        return self.credit["grade"].iloc[0] if len(self.credit) else None


def months_back(month: str, n: int) -> list[str]:
    """The ``n`` calendar months ending at ``month`` (``YYYY-MM``), oldest first."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def list_of(score, *, red_min: Decimal, black_below: Decimal) -> str:
    """红榜 at or above ``red_min``; 黑榜 strictly below ``black_below``; else —."""
    if score is None or pd.isna(score):
        return "—"
    score = Decimal(str(score))
    if score >= red_min:
        return "红榜"
    if score < black_below:
        return "黑榜"
    return "—"


def _month_counts(engine: Engine, month: str) -> pd.DataFrame:
    """County-wide complaints per compound in one month (matched only): project_id, month, complaints.

    A range on ``received_at`` (indexed) rather than grouping by a formatted month,
    so one month costs one index range scan.
    """
    p = Period.months(month)
    stmt = (select(Complaint.compound_id, func.count())
            .where(Complaint.compound_id.is_not(None), Complaint.received_at >= p.start_dt,
                   Complaint.received_at < p.end_dt)
            .group_by(Complaint.compound_id))
    df = _rows(engine, stmt, ["project_id", "complaints"]).assign(month=month)
    return df.astype({"project_id": "int64", "complaints": "int64"})[["project_id", "month", "complaints"]]


def ranking_place(engine: Engine, compound_id: int, month: str, *,
                  ladder: pd.DataFrame | None = None) -> dict:
    """Where the compound stands in ``month``'s county complaint ranking (rule 1).

    The rank counts every compound of the county (ties share the best rank, as
    the published list does), so a project outside the top list still learns
    its place. Most compounds are not listed, and for them one month is read;
    for a listed one the 36 months before are read too, so the
    ladder (``policy.ladders.complaint_ladder``) can count the run — unless
    ``ladder``, the month's ``complaint_stats.county_ladder``, is given.

    Keys: ``month``, ``complaints``, ``rank`` (None without complaints),
    ``ranked`` (compounds with complaints that month), ``top_n``, ``listed`` (in
    the published list), ``consecutive_months`` (0 when not listed), ``action``
    and ``action_label`` (the ladder's words; 未上榜 when not listed).
    """
    top_n = int(settings.get(engine, "ranking_top_n"))
    current = _month_counts(engine, month)  # ids and numbers only: nothing else leaves here
    if ladder is None:
        ladder = ladders.complaint_ladder(current, month, top_n)
        if compound_id in set(ladder["project_id"]):  # listed: the run needs the months before
            from data.queries.complaint_stats import county_ladder

            ladder = county_ladder(engine, month, top_n=top_n)
    this = current[current["complaints"] > 0]
    mine = int(this.loc[this["project_id"] == compound_id, "complaints"].sum())
    row = ladder[ladder["project_id"] == compound_id]
    out = {"month": month, "complaints": mine, "ranked": int(len(this)), "top_n": top_n, "rank": None,
           "listed": not row.empty, "consecutive_months": 0, "action": None, "action_label": "未上榜"}
    if mine:
        out["rank"] = 1 + int((this["complaints"] > mine).sum())
    if not row.empty:
        r = row.iloc[0]
        out.update(rank=int(r["rank"]), consecutive_months=int(r["consecutive_months"]),
                   action=str(r["action"]), actions=tuple(r["actions"]),
                   action_label="、".join(ladders.ACTION_LABELS[a] for a in r["actions"]))
    return out


def list_entries(evaluations: pd.DataFrame, *, window: int) -> pd.DataFrame:
    """The red/black list entries of one compound with what followed each (rule 2).

    ``evaluations`` has ``quarter``, ``score`` and ``list`` (红榜/黑榜/—). A black
    entry is the first or a later one within ``window`` quarters: replace the
    project manager and expose, or start replacing the company.
    Newest first: ``quarter``, ``list``, ``score``, ``black_count``, ``consequence``.
    """
    columns = ["quarter", "list", "score", "black_count", "consequence"]
    listed = evaluations[evaluations["list"].isin([ratings.RED, ratings.BLACK])]
    if listed.empty:
        return pd.DataFrame(columns=columns)
    history = pd.DataFrame({"project_id": 0, "quarter": evaluations["quarter"],
                            "black": evaluations["list"] == ratings.BLACK})
    rows = []
    for _, e in listed.iterrows():
        if e["list"] == ratings.RED:
            rows.append([e["quarter"], e["list"], e["score"], None, "列入红榜，予以通报表扬"])
            continue
        back = set(ratings.quarters_back(e["quarter"], window))
        n = int(history[history["black"] & history["quarter"].isin(back)]["quarter"].nunique())
        action = ratings.black_list_actions(history, e["quarter"], window=window).get(0)
        rows.append([e["quarter"], e["list"], e["score"], n,
                     ratings.CONSEQUENCE_SEP.join(ratings.black_list_consequences(action))])
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values("quarter", key=lambda q: q.map(ratings.quarter_index), ascending=False,
                           ignore_index=True)


def _rows(engine: Engine, stmt, columns: list[str]) -> pd.DataFrame:
    with Session(engine) as s:
        return _frame(s.execute(stmt).all(), columns, geometry=False)


def compound_record(engine: Engine, scope: Scope, compound_id: int, period: Period,
                    *, month: str | None = None, ladder: pd.DataFrame | None = None,
                    viewer: Viewer = Viewer()) -> CompoundRecord:
    """The record of ``compound_id`` as seen from ``scope``; ``month`` ends the 24-month trend.

    ``ladder``: that month's ``complaint_stats.county_ladder``, if the caller keeps it
    (see :func:`ranking_place`). ``viewer``: who reads it; a check of an unpublished
    draw is listed for the drawing unit and the team drawn for it only (as on 双随机抽查).
    """
    rows = compounds(engine, scope, ids=[compound_id])
    if rows.empty:
        raise ScopeError("该小区不存在或不在您的管辖范围内")
    profile = rows.iloc[0]
    in_scope = Scope(int(profile["township_id"]), int(profile["community_id"]))
    last = month or period.last_month().label()

    months = months_back(last, 24)
    window = Period.months(months_back(last, 36)[0], last)
    counts = complaint_counts(engine, in_scope, window, by=("compound", "month"))
    per_month = counts[counts["compound"] == compound_id].set_index("month")["count"]
    trend = pd.DataFrame({"month": months})
    start = _data_from(engine)  # before the data begin a month is unknown, not 0 (不可比)

    def count(m: str):
        return int(per_month.get(m, 0)) if start is not None and m >= start else None

    trend["complaints"] = pd.array([count(m) for m in months], dtype="Int64")
    trend["last_year"] = pd.array([count(f"{int(m[:4]) - 1:04d}{m[4:]}") for m in months], dtype="Int64")

    cats = complaint_counts(engine, in_scope, period, by=("compound", "category"))
    cats = (cats[cats["compound"] == compound_id][["category", "count"]]
            .sort_values("count", ascending=False).reset_index(drop=True))

    company_id = profile["company_id"]
    credit = pd.DataFrame(columns=["quarter", "grade", "score"])
    if pd.notna(company_id):
        credit = _rows(engine, select(CreditGrade.quarter, CreditGrade.grade, CreditGrade.score)
                       .where(CreditGrade.company_id == int(company_id))
                       .order_by(CreditGrade.quarter.desc()), ["quarter", "grade", "score"])

    evaluations = _rows(engine, select(Evaluation.quarter, Evaluation.score, Evaluation.satisfaction,
                                       Evaluation.evaluator)
                        .where(Evaluation.compound_id == compound_id)
                        .order_by(Evaluation.quarter.desc()),
                        ["quarter", "score", "satisfaction", "evaluator"])
    red_min = Decimal(str(settings.get(engine, "red_list_min_score")))
    black_below = Decimal(str(settings.get(engine, "black_list_below_score")))
    evaluations["list"] = [list_of(s, red_min=red_min, black_below=black_below)
                           for s in evaluations["score"]]

    fees = _rows(engine, select(FeeRecord.effective_date, FeeRecord.fee_level, FeeRecord.fee_price,
                                FeeRecord.note)
                 .where(FeeRecord.compound_id == compound_id)
                 .order_by(FeeRecord.effective_date.desc()),
                 ["effective_date", "fee_level", "fee_price", "note"])
    fee_changes = _rows(engine, select(FeeAdjustment.changed_at, FeeAdjustment.status,
                                       FeeAdjustment.actor, FeeAdjustment.reason)
                        .where(FeeAdjustment.compound_id == compound_id)
                        .order_by(FeeAdjustment.changed_at.desc(), FeeAdjustment.id.desc()),
                        ["changed_at", "status", "actor", "reason"])

    # Unknown (未填报) stays None: no car count from unknown households, no shortage from unknowns.
    households = None if pd.isna(profile["households"]) else int(profile["households"])
    recorded = profile["cars"]
    per_household = Decimal(str(settings.get(engine, "cars_per_household")))
    cars = int(recorded) if pd.notna(recorded) else (
        None if households is None else int((per_household * households).to_integral_value()))
    spaces = None if pd.isna(profile["parking_spaces"]) else int(profile["parking_spaces"])
    parking = {"spaces": spaces, "households": households, "cars": cars,
               "cars_estimated": pd.isna(recorded),
               "shortage": None if cars is None or spaces is None else max(0, cars - spaces)}

    spot_checks = _spot_checks(engine, compound_id, viewer)
    cases = _rows(engine, select(EnforcementCase.case_no, EnforcementCase.category,
                                 EnforcementCase.department, EnforcementCase.step,
                                 EnforcementCase.opened_at, EnforcementCase.closed_at)
                  .where(EnforcementCase.compound_id == compound_id,
                         EnforcementCase.township_id == int(profile["township_id"]))
                  .order_by(EnforcementCase.opened_at.desc()),
                  ["case_no", "category", "department", "step", "opened_at", "closed_at"])
    lists = list_entries(evaluations, window=int(settings.get(engine, "black_list_window_quarters")))
    return CompoundRecord(profile=profile, credit=credit, trend=trend, categories=cats,
                          evaluations=evaluations, fees=fees, fee_changes=fee_changes,
                          parking=parking, spot_checks=spot_checks, cases=cases,
                          ranking=ranking_place(engine, compound_id, last, ladder=ladder), lists=lists)


@dataclass(frozen=True)
class RecordFacts:
    """What the record panel beside a map shows besides the profile: one small read, no trend."""

    evaluation: dict | None      # quarter, score, list (红榜/黑榜/—) of the latest evaluation
    fee_status: str              # the latest fee-adjustment status, 无 if none
    fee_changed_at: object       # its date, None if none
    credit: dict | None          # grade, quarter of the company's latest credit grade
    last_check: dict | None      # drawn_at, checked_at, verdict, rectification_due, rectified_at
    open_items: int              # 问责台账 items about the compound still owed (待落实/逾期)
    overdue_items: int           # of those, past their due date
    open_cases: int              # enforcement cases not closed


def record_facts(engine: Engine, scope: Scope, compound_id: int, *, today: date,
                 viewer: Viewer = Viewer()) -> RecordFacts:
    """Rating, fee status, credit, last inspection and open items of one compound in ``scope``."""
    rows = compounds(engine, scope, ids=[compound_id])
    if rows.empty:
        raise ScopeError("该小区不存在或不在您的管辖范围内")
    profile = rows.iloc[0]
    with Session(engine) as s:
        ev = s.execute(select(Evaluation.quarter, Evaluation.score).where(Evaluation.compound_id == compound_id)
                       .order_by(Evaluation.quarter.desc()).limit(1)).first()
        fee = s.execute(select(FeeAdjustment.status, FeeAdjustment.changed_at)
                        .where(FeeAdjustment.compound_id == compound_id)
                        .order_by(FeeAdjustment.changed_at.desc(), FeeAdjustment.id.desc()).limit(1)).first()
        credit = None if pd.isna(profile["company_id"]) else s.execute(
            select(CreditGrade.grade, CreditGrade.quarter).where(CreditGrade.company_id == int(profile["company_id"]))
            .order_by(CreditGrade.quarter.desc()).limit(1)).first()
        items = s.execute(select(AccountabilityItem.state, AccountabilityItem.due_date)
                          .where(AccountabilityItem.subject_kind == "compound",
                                 AccountabilityItem.subject_id == compound_id,
                                 AccountabilityItem.state.in_((register_rules.PENDING, register_rules.OVERDUE)))
                          ).all()
        cases = s.scalar(select(func.count()).select_from(EnforcementCase)
                         .where(EnforcementCase.compound_id == compound_id,
                                EnforcementCase.township_id == int(profile["township_id"]),
                                EnforcementCase.closed_at.is_(None)))
    evaluation = None
    if ev is not None:
        red_min = Decimal(str(settings.get(engine, "red_list_min_score")))
        black_below = Decimal(str(settings.get(engine, "black_list_below_score")))
        evaluation = {"quarter": ev.quarter, "score": ev.score,
                      "list": list_of(ev.score, red_min=red_min, black_below=black_below)}
    checks = _spot_checks(engine, compound_id, viewer)
    overdue = sum(1 for state, due in items
                  if register_rules.effective_state(state, due, today) == register_rules.OVERDUE)
    return RecordFacts(
        evaluation=evaluation, fee_status=fee.status if fee else "无", fee_changed_at=fee.changed_at if fee else None,
        credit=None if credit is None else {"grade": credit.grade, "quarter": credit.quarter},
        last_check=None if checks.empty else checks.iloc[0].to_dict(),
        open_items=len(items), overdue_items=overdue, open_cases=int(cases or 0))


SPOT_CHECK_COLUMNS = ["drawn_at", "checked_at", "score", "verdict", "findings", "rectification_due",
                      "rectified_at"]


def _spot_checks(engine: Engine, compound_id: int, viewer: Viewer) -> pd.DataFrame:
    """The compound's checks, newest draw first, leaving out what ``viewer`` may not see yet."""
    r = SpotCheckResult
    with Session(engine) as s:
        rows = s.execute(select(SpotCheckDraw.drawn_at, r.checked_at, r.score, r.verdict, r.findings,
                                r.rectification_due, r.rectified_at, SpotCheckDraw.published, r.inspector_ids)
                         .join(SpotCheckDraw, SpotCheckDraw.id == r.draw_id)
                         .where(r.compound_id == compound_id)
                         .order_by(SpotCheckDraw.drawn_at.desc(), r.id.desc())).all()
    return _frame([row[:-2] for row in rows if visible_to(viewer, row[-2], row[-1])], SPOT_CHECK_COLUMNS,
                  geometry=False)


def find_compounds(engine: Engine, scope: Scope, text: str, *, limit: int = 20) -> pd.DataFrame:
    """Compounds in the scope whose name, alias or address contains ``text`` (partial match)."""
    text = (text or "").strip()
    if not text:
        return pd.DataFrame(columns=["id", "name", "township", "community", "address"])
    frame = pd.DataFrame(compounds(engine, scope).drop(columns="geometry"))
    hay = (frame["name"].fillna("") + "|" + frame["aliases"].fillna("") + "|"
           + frame["address"].fillna(""))
    hits = frame[hay.str.contains(text, regex=False)].copy()
    hits["_exact"] = hits["name"] != text
    hits["_starts"] = ~hits["name"].str.startswith(text)
    hits = hits.sort_values(["_exact", "_starts", "name"]).head(limit)
    return hits[["id", "name", "township", "community", "address"]].reset_index(drop=True)
