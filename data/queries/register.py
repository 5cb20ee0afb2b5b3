"""问责台账 storage: triggers from the ladders and lists, sync, scoped reads and audited updates;
township/department assessment scores (考核成绩); monthly township checks (月检查).

:func:`sync_register` turns what the rules owe for a month into items, once
per trigger (unique ``trigger_key``); it is called after imports and when a
page shows the month, and skips the work when nothing it reads has changed.
A township user reads and updates only its own township's items.
"""
from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import audit, permissions, settings
from data.schema import (
    AccountabilityEvent, AccountabilityItem, AssessmentScore, AuditLog, Complaint, Compound, Evaluation,
    MonthlyCheck, PropertyCompany, Township,
)
from data.queries import in_scope, township_in_scope, township_label
from data.scope import COUNTY, Scope, ScopeError
from policy import ladders, register as R

__all__ = [
    "sync_register", "items", "update_item", "item_history", "summary_by_township", "township_scores",
    "scores", "record_score", "record_check", "checks", "check_coverage", "triggers", "ITEM_COLUMNS",
    "add_fee_rectification", "sync_latest", "close_fee_rectification",
]

SYSTEM = "系统"
TASK_FORCE = "县物业管理专班"
HOUSING = "住房和城乡建设局"
ITEM_COLUMNS = ["id", "rule", "rule_label", "action", "action_label", "subject_kind", "subject_id", "subject",
                "township_id", "township", "period", "figures", "responsible_unit", "due_date", "state", "reason",
                "evidence_note", "evidence_file", "updated_at", "updated_by"]


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# --------------------------------------------------------------------------- scores (考核成绩)
def scores(engine: Engine, *, quarter: str | None = None) -> pd.DataFrame:
    """Stored assessment scores: unit_kind, unit_name, township_id, quarter, score (float), ranked per
    quarter and kind (``rank``, 1 = best; ties share the best rank)."""
    stmt = select(AssessmentScore.unit_kind, AssessmentScore.unit_name, AssessmentScore.township_id,
                  AssessmentScore.quarter, AssessmentScore.score, AssessmentScore.recorded_by)
    if quarter is not None:
        stmt = stmt.where(AssessmentScore.quarter == quarter)
    with Session(engine) as s:
        rows = [tuple(r) for r in s.execute(stmt.order_by(AssessmentScore.quarter, AssessmentScore.unit_kind))]
    df = pd.DataFrame(rows, columns=["unit_kind", "unit_name", "township_id", "quarter", "score", "recorded_by"])
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    df["rank"] = (df.groupby(["quarter", "unit_kind"])["score"].rank(method="min", ascending=False)
                  .astype("Int64") if len(df) else pd.Series(dtype="Int64"))
    return df.sort_values(["quarter", "unit_kind", "rank", "unit_name"]).reset_index(drop=True)


def township_scores(engine: Engine) -> pd.DataFrame | None:
    """``township_id``, ``quarter``, ``score`` of the townships (None before any are stored)."""
    df = scores(engine)
    df = df[(df["unit_kind"] == "镇街") & df["township_id"].notna()]
    if df.empty:
        return None
    return df[["township_id", "quarter", "score"]].astype({"township_id": "int64"}).reset_index(drop=True)


def record_score(engine: Engine, unit_kind: str, unit_name: str, quarter: str, score, *, actor) -> None:
    """Enter one score on the page (upsert, audited); needs ``edit_evaluations``."""
    from policy.ratings import parse_quarter

    who = permissions.authorize(actor, permissions.EDIT_EVALUATIONS, COUNTY)
    y, q = parse_quarter(quarter)
    quarter = f"{y:04d}-Q{q}"
    value = Decimal(str(score))
    if not 0 <= value <= 100:
        raise ValueError("考核成绩应在 0 到 100 之间")
    if unit_kind not in ("镇街", "部门"):
        raise ValueError("单位类型应为“镇街”或“部门”")
    with Session(engine) as s, s.begin():
        town = None
        if unit_kind == "镇街":  # names are unique per county: a namesake of two counties needs its county
            from data.importers.places import township_names

            names = township_names(s)
            found, why = names.resolve(unit_name)
            if found is None:
                raise ValueError(f"没有名为“{unit_name}”的镇街" if why.startswith("不存在") else why)
            town, unit_name = found.id, names.label(found)
        row = s.scalar(select(AssessmentScore).where(AssessmentScore.unit_kind == unit_kind,
                                                     AssessmentScore.unit_name == unit_name,
                                                     AssessmentScore.quarter == quarter))
        before = None if row is None else str(row.score)
        if row is None:
            row = AssessmentScore(unit_kind=unit_kind, unit_name=unit_name, quarter=quarter, township_id=town)
            s.add(row)
        row.score, row.recorded_by, row.recorded_at = value, who.username, _now()
        audit.record(s, actor, "edit", f"考核成绩 {unit_name} {quarter}", COUNTY, before=before, after=str(value))
    _forget()


# --------------------------------------------------------------------------- triggers
def _days(engine: Engine) -> dict[str, int]:
    return {k: int(settings.get(engine, f"register_days_{k}"))
            for k in ("notice", "statement", "replace_manager", "replace_company", "rectification")}


def _compound_info(engine: Engine) -> dict[int, tuple]:
    stmt = (select(Compound.id, Compound.name, Compound.township_id, Township.name, PropertyCompany.name)
            .join(Township, Township.id == Compound.township_id)
            .outerjoin(PropertyCompany, PropertyCompany.id == Compound.company_id))
    with Session(engine) as s:
        return {int(r[0]): tuple(r[1:]) for r in s.execute(stmt)}


def _quarter_of(engine: Engine, month: str) -> str | None:
    from data.queries import evaluation as ev
    from policy.ratings import quarter_index

    end = quarter_index(ladders.month_quarter(month))
    before = [q for q in ev.quarters(engine) if quarter_index(q) <= end]
    return before[-1] if before else None


def triggers(engine: Engine, month: str) -> tuple[list[R.Trigger], set[tuple[str, str]]]:
    """Every consequence the rules owe for ``month`` (and its quarters), with the (rule, period)
    pairs computed — the only ones a sync may withdraw from."""
    from data.queries import complaint_stats as cs
    from data.queries import evaluation as ev

    month = ladders.shift_month(month, 0)
    out: list[R.Trigger] = []
    info = _compound_info(engine)
    computed = {("complaint_ladder", month), ("township_ladder", month)}

    ladder = cs.county_ladder(engine, month)
    if len(ladder):
        out.append(R.Trigger("complaint_ladder", ladders.NOTIFY, "county", None, "全县投诉量前列项目", month, HOUSING,
                             None, {"listed": int(len(ladder))}))
    for r in ladder.itertuples():
        name, tid, town, company = info.get(int(r.project_id), (str(r.project_id), None, "", None))
        for action in r.actions:
            if action == ladders.NOTIFY:
                continue
            unit = company if action == ladders.REPLACE_MANAGER and company else town
            out.append(R.Trigger("complaint_ladder", action, "compound", int(r.project_id), name, month, unit, tid,
                                 {"rank": int(r.rank), "complaints": int(r.complaints),
                                  "consecutive_months": int(r.consecutive_months)}))

    counts = cs.township_counts(engine, COUNTY, month)  # one read for both township ladders
    towns = cs.township_ranking(engine, COUNTY, month, counts=counts)
    for r in towns.itertuples():
        for action in r.actions:
            unit = {ladders.PUBLIC_COMMITMENT: f"{r.township}党（工）委"}.get(action, TASK_FORCE)
            out.append(R.Trigger("township_ladder", action, "township", int(r.township_id), r.township, month, unit,
                                 int(r.township_id), {"complaints": int(r.complaints),
                                                      "yoy_change": _int(r.yoy_change),
                                                      "consecutive_rises": int(r.consecutive_rises)}))

    quarter = ladders.last_complete_quarter(month)
    computed.add(("quarter_ladder", quarter))
    for r in cs.township_quarter_ranking(engine, COUNTY, quarter, counts=counts).itertuples():
        for action in r.actions:
            out.append(R.Trigger("quarter_ladder", action, "township", int(r.township_id), r.township, quarter,
                                 f"{r.township}主要负责人", int(r.township_id),
                                 {"basis": r.basis, "score": None if pd.isna(r.score) else float(r.score),
                                  "yoy_change": _int(r.yoy_change), "times_last": int(r.times_last)}))
    for r in _department_last(engine, quarter):
        out.append(r)

    evq = _quarter_of(engine, month)
    if evq is not None:
        computed |= {("black_list", evq), ("company_blacklist", evq)}
        lists = ev.quarter_lists(engine, COUNTY, evq)
        for r in lists[lists["list"] == "黑榜"].itertuples():
            name, tid, town, company = info.get(int(r.compound_id), (r.compound, None, "", None))
            figures = {"score": _float(r.score), "black_count": int(r.black_count)}
            owed = [("black_expose", HOUSING)]
            bare = not company
            owed.append((ladders.TOWNSHIP_SUPERVISE if bare else ladders.REPLACE_MANAGER, town if bare else company))
            if r.action == "replace_company":
                owed.append((ladders.TOWNSHIP_TAKEOVER if bare else ladders.REPLACE_COMPANY, town))
            for action, unit in owed:
                out.append(R.Trigger("black_list", action, "compound", int(r.compound_id), name, evq, unit or town,
                                     tid, figures))
        companies = ev.company_status(engine, COUNTY, evq)
        for r in companies[companies["blacklisted"]].itertuples():
            out.append(R.Trigger("company_blacklist", "company_blacklist", "company", int(r.company_id), r.company,
                                 evq, HOUSING, None, {"projects": int(r.projects),
                                                      "black_projects": int(r.black_projects)}))
    return out, computed


def _department_last(engine: Engine, quarter: str) -> list[R.Trigger]:
    """Departments last in the quarter's assessment (scores only: there is no stand-in for them)."""
    df = scores(engine)
    df = df[df["unit_kind"] == "部门"]
    out = []
    now = df[df["quarter"] == quarter]
    if len(now) < 2 or now["score"].nunique() <= 1:
        return out
    from policy.ratings import quarters_back

    window = quarters_back(quarter, 4)
    lows = {q: set(g.loc[g["score"] == g["score"].min(), "unit_name"]) for q, g in df[df["quarter"].isin(window)]
            .groupby("quarter") if g["score"].nunique() > 1}
    for name in lows.get(quarter, set()):
        times = sum(name in s for s in lows.values())
        action = ladders.STANDING_COMMITTEE if times >= 2 else ladders.EXECUTIVE_MEETING
        score = float(now.loc[now["unit_name"] == name, "score"].iloc[0])
        out.append(R.Trigger("quarter_ladder", action, "department", None, name, quarter, f"{name}主要负责人", None,
                             {"basis": "score", "score": score, "times_last": times}))
    return out


def _int(v):
    return None if v is None or pd.isna(v) else int(v)


def _float(v):
    return None if v is None or pd.isna(v) else float(v)


# --------------------------------------------------------------------------- sync
_memo: dict[tuple[str, str], tuple] = {}
_lock = threading.Lock()


def _fingerprint(engine: Engine) -> tuple:
    """What the register is computed from, read on every page run. The last *write* in the audit
    log, not the last entry: every signed-in tab logs a login, and a register recomputed per session
    cost half of a new session's server time (bench_cluster, py-spy). Complaints are not counted
    (5 million rows per page run on the full province): every write of complaints refreshes the
    monthly aggregates, and the refresh replaces the data-version token (``data.aggregates``).

    The settings are read first: read inside the session they took a second pooled connection
    while this one was held, and 15 sessions at once in one process deadlocked until the pool's
    30 s timeout (bench_cluster on the province)."""
    rules = tuple(sorted((k, str(v)) for k, v in settings.all_values(engine).items()
                         if k.startswith(("ranking_", "register_", "complaints_", "black_", "red_"))))
    version = settings.data_version(engine)  # replaced by every write of complaints, whoever wrote them
    with Session(engine) as s:
        return (s.scalar(select(func.max(AuditLog.id)).where(AuditLog.action.not_in(sorted(audit.READS)))),
                s.scalar(select(func.max(Complaint.id))), s.scalar(select(func.count()).select_from(Evaluation)),
                s.scalar(select(func.count()).select_from(AssessmentScore)),
                s.scalar(select(func.count()).select_from(Compound)), rules, version)


def _forget() -> None:
    with _lock:
        _memo.clear()


def sync_register(engine: Engine, month: str, *, today: date | None = None, force: bool = False,
                  at: datetime | None = None) -> dict:
    """Bring the register in line with what the rules owe for ``month``.

    Creates missing items (once per trigger), withdraws items whose trigger a data
    correction removed (已撤销, reason given), lifts such a withdrawal when the trigger
    returns, and marks items past their due date 逾期. Cheap when nothing changed
    since the last sync of the month (a fingerprint of what it reads). Returns counts.
    """
    today = today or date.today()
    month = ladders.shift_month(month, 0)
    key = (str(engine.url), month)
    finger = (_fingerprint(engine), today)
    with _lock:
        if not force and _memo.get(key) == finger:
            return {"created": 0, "withdrawn": 0, "restored": 0, "overdue": 0, "skipped": True}
    found, computed = triggers(engine, month)
    days = _days(engine)
    now = at or _now()
    counts = {"created": 0, "withdrawn": 0, "restored": 0, "overdue": 0, "skipped": False}
    with Session(engine) as s, s.begin():
        periods = {p for _, p in computed}
        stored = {i.trigger_key: i for i in s.scalars(
            select(AccountabilityItem).where(AccountabilityItem.period.in_(periods)))}
        plan = R.plan_sync(found, {k: (i.state, i.reason) for k, i in stored.items()}, computed)
        for t in plan.create:
            item = AccountabilityItem(
                trigger_key=t.key, rule=t.rule, action=t.action, subject_kind=t.subject_kind,
                subject_id=t.subject_id, subject_name=t.subject_name[:100], township_id=t.township_id,
                period=t.period, figures=dict(t.figures), responsible_unit=(t.responsible_unit or "")[:100],
                due_date=R.due_date(t.period, days[R.kind_of(t.action)]), state=R.PENDING, created_at=now)
            s.add(item)
            s.flush()
            s.add(AccountabilityEvent(item_id=item.id, at=now, username=SYSTEM, from_state=None,
                                      to_state=R.PENDING, note=f"{R.RULES.get(t.rule, t.rule)}：{t.period}"))
            counts["created"] += 1
        for k in plan.withdraw:
            _move(s, stored[k], R.WITHDRAWN, f"{R.AUTO_WITHDRAWN}（{now:%Y-%m-%d} 重新计算 {stored[k].period}）",
                  SYSTEM, now)
            counts["withdrawn"] += 1
        for k in plan.restore:
            _move(s, stored[k], R.PENDING, "数据更正后再次触发", SYSTEM, now)
            stored[k].reason = None
            counts["restored"] += 1
        for item in s.scalars(select(AccountabilityItem).where(AccountabilityItem.state == R.PENDING,
                                                               AccountabilityItem.due_date < today)):
            _move(s, item, R.OVERDUE, f"超过落实期限 {item.due_date:%Y-%m-%d}", SYSTEM, now)
            counts["overdue"] += 1
        if any(counts[k] for k in ("created", "withdrawn", "restored", "overdue")):
            s.add(AuditLog(at=now, username=None, action="register_sync", target=f"问责台账 {month}",
                           scope=COUNTY.key(), detail={k: v for k, v in counts.items() if k != "skipped"}))
    with _lock:
        _memo[key] = (_fingerprint(engine), today)
    return counts


def sync_latest(engine: Engine, *, today: date | None = None) -> dict | None:
    """:func:`sync_register` for the latest month with complaints (after an import); None without data."""
    with Session(engine) as s:
        last = s.scalar(select(func.max(Complaint.received_at)))
    if last is None:
        return None
    return sync_register(engine, f"{last.year:04d}-{last.month:02d}", today=today)


def _move(s: Session, item: AccountabilityItem, state: str, note: str | None, who: str | None,
          at: datetime) -> None:
    s.add(AccountabilityEvent(item_id=item.id, at=at, username=who, from_state=item.state, to_state=state, note=note))
    item.state, item.updated_at, item.updated_by = state, at, who
    if state == R.WITHDRAWN:
        item.reason = note


def add_fee_rectification(s: Session, engine: Engine, compound: Compound, deadline: date, *, reason: str,
                          at: datetime) -> None:
    """限期整改 of the 降费 workflow: one register item per compound and deadline (called in the
    fee change's transaction)."""
    town = s.get(Township, compound.township_id)
    period = f"{deadline:%Y-%m}"
    key = R.Trigger("fee_rectification", "fee_rectification", "compound", compound.id, compound.name, period,
                    town.name if town else "", compound.township_id).key
    if s.scalar(select(AccountabilityItem.id).where(AccountabilityItem.trigger_key == key)) is not None:
        return
    item = AccountabilityItem(trigger_key=key, rule="fee_rectification", action="fee_rectification",
                              subject_kind="compound", subject_id=compound.id, subject_name=compound.name[:100],
                              township_id=compound.township_id, period=period,
                              figures={"deadline": f"{deadline:%Y-%m-%d}", "reason": reason},
                              responsible_unit=(town.name if town else "")[:100], due_date=deadline,
                              state=R.PENDING, created_at=at)
    s.add(item)
    s.flush()
    s.add(AccountabilityEvent(item_id=item.id, at=at, username=SYSTEM, from_state=None, to_state=R.PENDING,
                              note=reason))


def close_fee_rectification(s: Session, compound: Compound, deadline: date | None, note: str, who: str | None,
                            at: datetime) -> None:
    """The re-evaluation after 限期整改 was done: its register item is carried out (已落实)."""
    if deadline is None:
        return
    key = R.Trigger("fee_rectification", "fee_rectification", "compound", compound.id, compound.name,
                    f"{deadline:%Y-%m}", "").key
    item = s.scalar(select(AccountabilityItem).where(AccountabilityItem.trigger_key == key))
    if item is not None and item.state in (R.PENDING, R.OVERDUE):
        _move(s, item, R.DONE, note, who, at)
        item.evidence_note = note


# --------------------------------------------------------------------------- reads
def _scope_filter(stmt, scope: Scope):
    stmt = stmt.where(in_scope(AccountabilityItem.township_id, scope))
    return stmt


def items(engine: Engine, scope: Scope, *, period: str | None = None, periods=None, states=None, rules=None,
          township_id: int | None = None, today: date | None = None) -> pd.DataFrame:
    """Register items inside ``scope`` (a township sees only its own), newest period first."""
    today = today or date.today()
    a = AccountabilityItem
    stmt = (select(a.id, a.rule, a.action, a.subject_kind, a.subject_id, a.subject_name, a.township_id,
                   township_label(engine, scope),
                   a.period, a.figures, a.responsible_unit, a.due_date, a.state, a.reason, a.evidence_note,
                   a.evidence_file, a.updated_at, a.updated_by)
            .outerjoin(Township, Township.id == a.township_id))
    stmt = _scope_filter(stmt, scope)
    if period is not None:
        stmt = stmt.where(a.period == period)
    if periods is not None:
        stmt = stmt.where(a.period.in_(list(periods)))
    if rules:
        stmt = stmt.where(a.rule.in_(list(rules)))
    if township_id is not None:
        stmt = stmt.where(a.township_id == int(township_id))
    with Session(engine) as s:
        rows = [tuple(r) for r in s.execute(stmt.order_by(a.period.desc(), a.township_id, a.id))]
    df = pd.DataFrame(rows, columns=["id", "rule", "action", "subject_kind", "subject_id", "subject", "township_id",
                                     "township", "period", "figures", "responsible_unit", "due_date", "state",
                                     "reason", "evidence_note", "evidence_file", "updated_at", "updated_by"])
    df["state"] = [R.effective_state(st, d, today) for st, d in zip(df["state"], df["due_date"])]
    if states:
        df = df[df["state"].isin(list(states))]
    df["rule_label"] = df["rule"].map(R.RULES).fillna(df["rule"])
    df["action_label"] = df["action"].map(R.ACTION_WORDS).fillna(df["action"])
    df["figures"] = df["figures"].map(_figures_text)
    return df[ITEM_COLUMNS].reset_index(drop=True)


FIGURE_WORDS = {"rank": "名次", "complaints": "诉求", "consecutive_months": "连续上榜月", "yoy_change": "同比增减",
                "consecutive_rises": "连续上升月", "basis": "依据", "score": "成绩", "times_last": "倒数次数",
                "black_count": "黑榜次数", "listed": "上榜项目", "projects": "在管项目", "black_projects": "黑榜项目",
                "deadline": "整改期限", "reason": "原因"}
BASIS_WORDS = {"score": "考核成绩", "complaints": "诉求增幅（代替）", "not_comparable": "不可比"}


def _figures_text(figures) -> str:
    if not figures:
        return ""
    parts = []
    for k, v in dict(figures).items():
        if v is None:
            continue
        v = BASIS_WORDS.get(v, v) if k == "basis" else v
        parts.append(f"{FIGURE_WORDS.get(k, k)} {v:+d}" if k == "yoy_change" and isinstance(v, int)
                     else f"{FIGURE_WORDS.get(k, k)} {v}")
    return "；".join(parts)


def item_history(engine: Engine, scope: Scope, item_id: int) -> pd.DataFrame:
    """Every change of one item (who, when, from, to, note); the item must lie in ``scope``."""
    with Session(engine) as s:
        item = _item_in_scope(s, scope, item_id)
        rows = s.execute(select(AccountabilityEvent.at, AccountabilityEvent.username, AccountabilityEvent.from_state,
                                AccountabilityEvent.to_state, AccountabilityEvent.note)
                         .where(AccountabilityEvent.item_id == item.id).order_by(AccountabilityEvent.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["at", "username", "from_state", "to_state", "note"])


def _item_in_scope(s: Session, scope: Scope, item_id: int) -> AccountabilityItem:
    item = s.get(AccountabilityItem, int(item_id))
    if item is None:
        raise ValueError(f"台账事项 {item_id} 不存在")
    if not township_in_scope(s, scope, item.township_id, scope.community_id):
        raise ScopeError("不能查看或修改其他镇街的台账事项")
    return item


def update_item(engine: Engine, scope: Scope, item_id: int, state: str, *, actor, note: str | None = None,
                evidence: bytes | None = None, filename: str | None = None, at: datetime | None = None) -> None:
    """Record a change of one item (已落实 with evidence, 已撤销 with a reason, reopen …).

    ``actor`` needs ``edit_accountability`` and the item must lie in its township
    (data-layer scope check); every change is kept in the item's history and audited.
    """
    who = permissions.authorize(actor, permissions.EDIT_ACCOUNTABILITY, scope)
    at = at or _now()
    sha = None
    if evidence:
        from data.photos import max_bytes_from_mb, store_photo

        sha = store_photo(evidence, max_bytes=max_bytes_from_mb(settings.get(engine, "photo_max_mb"))).sha256
    with Session(engine) as s, s.begin():
        item = _item_in_scope(s, scope, item_id)
        current = R.effective_state(item.state, item.due_date, at.date())
        R.check_change(current, state, note=note, evidence=bool(evidence))
        if current != item.state:  # record the overdue state the reader saw before the change
            item.state = current
        _move(s, item, state, (note or "").strip() or None, who.name, at)
        if state == R.DONE:
            item.evidence_note = (note or "").strip() or item.evidence_note
            if sha:
                item.evidence_file, item.evidence_sha256 = (filename or "佐证材料")[:200], sha
        elif state == R.PENDING:
            item.reason = None
        audit.record(s, actor, "edit", f"问责台账 {item.subject_name} {item.period}", scope, at=at,
                     item=item.id, before=current, after=state, note=note)


def summary_by_township(engine: Engine, scope: Scope, *, periods=None, today: date | None = None) -> pd.DataFrame:
    """Per township of the scope: 应落实 (items not withdrawn), 已落实, 逾期, 待落实."""
    df = items(engine, scope, periods=periods, today=today)
    df = df[df["state"] != R.WITHDRAWN]
    with Session(engine) as s:
        stmt = select(Township.id, Township.name).order_by(Township.id)
        stmt = stmt.where(in_scope(Township.id, scope))
        towns = pd.DataFrame([tuple(r) for r in s.execute(stmt)], columns=["township_id", "township"])
    counts = df.groupby(["township_id", "state"]).size().unstack(fill_value=0) if len(df) else pd.DataFrame()
    out = towns.copy()
    for state, col in ((R.DONE, "done"), (R.OVERDUE, "overdue"), (R.PENDING, "pending")):
        out[col] = out["township_id"].map(counts[state] if state in counts.columns else {}).fillna(0).astype(int)
    out.insert(2, "owed", out["done"] + out["overdue"] + out["pending"])
    return out


def periods_of(month: str) -> list[str]:
    """The periods a month's register covers: the month, its last complete quarter and its own quarter."""
    from policy import ladders

    return [month, ladders.last_complete_quarter(month), ladders.month_quarter(month)]


BRIEFING_COLUMNS = {"township": "镇街", "owed": "应落实", "done": "已落实", "overdue": "逾期", "pending": "待落实"}


def briefing_summary(engine: Engine, scope: Scope, month: str, *, today: date | None = None) -> pd.DataFrame:
    """The monthly briefing's register table: per township 应落实 / 已落实 / 逾期 / 待落实 for the
    month's periods, as of ``today`` (the briefing passes the month's end, so it is reproducible).
    The register is brought up to date for the month first (a no-op when nothing changed)."""
    sync_register(engine, month)
    table = summary_by_township(engine, scope, periods=periods_of(month), today=today)
    return table.drop(columns="township_id")[list(BRIEFING_COLUMNS)].rename(columns=BRIEFING_COLUMNS)


# --------------------------------------------------------------------------- monthly checks (月检查)
CHECK_MODES = ("明查", "暗访")


def record_check(engine: Engine, scope: Scope, compound_id: int, checked_on: date, *, actor, mode: str = "明查",
                 revisit: bool = False, result: str | None = None, note: str | None = None) -> int:
    """Record a township's monthly check of a compound (needs ``record_checks``; own township only)."""
    who = permissions.authorize(actor, (permissions.RECORD_CHECKS, permissions.EDIT_ACCOUNTABILITY), scope)
    if mode not in CHECK_MODES:
        raise ValueError(f"检查方式应为 {'、'.join(CHECK_MODES)}")
    with Session(engine) as s, s.begin():
        comp = s.get(Compound, int(compound_id))
        if comp is None:
            raise ValueError(f"小区 {compound_id} 不存在")
        if not township_in_scope(s, scope, comp.township_id, comp.community_id):
            raise ScopeError("不能登记管辖范围以外小区的检查")
        row = MonthlyCheck(compound_id=comp.id, township_id=comp.township_id, month=f"{checked_on:%Y-%m}",
                           checked_on=checked_on, mode=mode, revisit=bool(revisit), result=result, note=note,
                           recorded_by=who.name, recorded_at=_now())
        s.add(row)
        s.flush()
        audit.record(s, actor, "edit", f"月检查 {comp.name} {checked_on:%Y-%m-%d}", scope, mode=mode,
                     revisit=bool(revisit), result=result)
        return row.id


def checks(engine: Engine, scope: Scope, month: str) -> pd.DataFrame:
    """The month's checks in the scope with compound and township names."""
    m = MonthlyCheck
    stmt = (select(m.id, m.checked_on, Township.name, Compound.name, m.mode, m.revisit, m.result, m.note,
                   m.recorded_by)
            .join(Compound, Compound.id == m.compound_id).join(Township, Township.id == m.township_id)
            .where(m.month == month).order_by(m.checked_on, m.id))
    stmt = stmt.where(in_scope(m.township_id, scope, Compound.community_id))
    with Session(engine) as s:
        rows = [tuple(r) for r in s.execute(stmt)]
    return pd.DataFrame(rows, columns=["id", "checked_on", "township", "compound", "mode", "revisit", "result",
                                       "note", "recorded_by"])


def check_coverage(engine: Engine, scope: Scope, month: str) -> pd.DataFrame:
    """Per township: compounds, compounds checked in ``month`` (distinct), the share, unannounced
    visits (暗访) and revisits (回头看)."""
    m = MonthlyCheck
    with Session(engine) as s:
        towns = select(Township.id, Township.name, func.count(Compound.id)).outerjoin(
            Compound, Compound.township_id == Township.id).group_by(Township.id, Township.name).order_by(Township.id)
        towns = towns.where(in_scope(Township.id, scope))
        base = pd.DataFrame([tuple(r) for r in s.execute(towns)], columns=["township_id", "township", "compounds"])
        done = dict(s.execute(select(m.township_id, func.count(func.distinct(m.compound_id)))
                              .where(m.month == month).group_by(m.township_id)).all())
        secret = dict(s.execute(select(m.township_id, func.count()).where(m.month == month, m.mode == "暗访")
                                .group_by(m.township_id)).all())
        back = dict(s.execute(select(m.township_id, func.count()).where(m.month == month, m.revisit.is_(True))
                              .group_by(m.township_id)).all())
    base["checked"] = base["township_id"].map(done).fillna(0).astype(int)
    base["share"] = (base["checked"] / base["compounds"].where(base["compounds"] > 0)).round(4)
    base["unannounced"] = base["township_id"].map(secret).fillna(0).astype(int)
    base["revisits"] = base["township_id"].map(back).fillna(0).astype(int)
    return base
