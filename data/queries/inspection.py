"""双随机抽查 as stored: registers, recorded draws, verification, results and the public list.

Every draw is recorded with its seed, the canonical candidate lists and
parameters (``policy.inspection.canonical_inputs``), their SHA-256, the time
and who ran it. :func:`verify_draw` re-runs it from that record and also
rebuilds the candidate lists from today's registers *as of the draw time*, so
it tells "reproduced" apart from "the registers changed since".

Reads take a :class:`~data.scope.Scope`: results are filtered by the
compound's township/community. The public list (一公开) carries no names.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pandas as pd
from sqlalchemy import Engine, false, func, select
from sqlalchemy.orm import Session

from data import permissions, settings
from data.privacy import mask_phone
from data.queries import _frame, _scoped
from data.schema import (
    AuditLog, CheckItem, Complaint, Compound, CreditGrade, Evaluation, Inspector, PropertyCompany,
    SpotCheckDraw, SpotCheckItemResult, SpotCheckPhoto, SpotCheckResult, Township,
)
from data.scope import Scope, ScopeError
from data.vocab import NO_PROPERTY_SERVICE
from policy import inspection as rules

DEFAULT_CHECK_ITEMS = (
    ("XF", "消防通道与电动车充电", "消防车通道畅通无占用；电动车集中停放充电，无楼道停放、飞线充电"),
    ("GS", "三会三公开公示栏", "党组织、业主组织、物业服务企业信息及服务标准、收费标准公开及时"),
    ("BJ", "保洁与绿化", "公共区域清洁，生活垃圾日产日清，绿化养护到位"),
    ("AF", "门禁与秩序维护", "门岗值守、门禁及监控设施运行正常，秩序维护人员在岗"),
    ("DT", "电梯维保记录", "电梯按期维保、检验合格，维保记录齐全"),
    ("SY", "公共收益公开", "公共收益收支情况定期公示"),
    ("TS", "投诉处理", "投诉登记、办理、回访台账完整，按时办结"),
)


WHERE_TO_ADD = ("：在本页“名录”标签中添加，或导入执法检查人员名录"
                "（python -m data import inspectors 文件；模板：python -m data template inspectors）")


# --- who sees which draw ------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """Who reads the draws (issue 13): the drawing unit, an inspector, or anybody else.

    An unpublished draw is visible to the drawing unit only (roles with ``run_draws``);
    an inspector sees, of an unpublished draw, only the checks their team was drawn
    for; everybody sees a draw once it is published (一公开). Built from the signed-in
    :class:`data.auth.Account` with :meth:`of`; ``None`` (no account: login switched
    off) is an ordinary reader. Hashable, so cached loaders can key on it.
    """

    role: str | None = None
    inspector_id: int | None = None

    @classmethod
    def of(cls, account) -> "Viewer":
        if account is None:
            return cls()
        role = getattr(account, "role", None)
        return cls(role, getattr(account, "inspector_id", None) if role == "inspector" else None)

    @property
    def draws_unit(self) -> bool:
        return permissions.can(self.role, permissions.RUN_DRAWS)


# A caller outside the web app (CLI, tests, the draw itself) that the server trusts.
TRUSTED = Viewer("housing")


def visible_to(viewer: Viewer, published: bool, inspector_ids) -> bool:
    """May ``viewer`` see one result row of a draw (``published`` or not, drawn for ``inspector_ids``)?
    The one rule for every reader of check rows (this module, the compound record, the to-do list)."""
    return bool(published) or viewer.draws_unit or _on_team(inspector_ids, viewer)


def _on_team(inspector_ids, viewer: Viewer) -> bool:
    return viewer.inspector_id is not None and int(viewer.inspector_id) in [int(i) for i in inspector_ids or []]


# --- registers ----------------------------------------------------------------------

def ensure_check_items(engine: Engine) -> int:
    """Write the default checklist (from the seeds) when the table is empty; returns rows added."""
    with Session(engine) as s, s.begin():
        if s.scalar(select(func.count()).select_from(CheckItem)):
            return 0
        for k, (code, name, guidance) in enumerate(DEFAULT_CHECK_ITEMS):
            s.add(CheckItem(code=code, name=name, guidance=guidance, sort_order=k + 1, active=True))
    return len(DEFAULT_CHECK_ITEMS)


def check_items(engine: Engine, *, active_only: bool = True) -> pd.DataFrame:
    stmt = select(CheckItem.id, CheckItem.code, CheckItem.name, CheckItem.guidance,
                  CheckItem.sort_order, CheckItem.active).order_by(CheckItem.sort_order, CheckItem.id)
    if active_only:
        stmt = stmt.where(CheckItem.active.is_(True))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["id", "code", "name", "guidance", "sort_order", "active"], geometry=False)


def save_check_items(engine: Engine, frame: pd.DataFrame, *, actor=None) -> list[str]:
    """Upsert the checklist by ``code`` (edited on the page). Validates everything first.

    Returns Chinese error lines; when there are any, nothing is written. Items
    are never deleted (past results refer to them): untick ``active`` instead.
    A signed-in ``actor`` needs ``run_draws`` (the checklist belongs to the draws).
    """
    permissions.authorize(actor, permissions.RUN_DRAWS)
    errors, seen, rows = [], set(), []
    for n, row in enumerate(frame.to_dict("records"), start=1):
        code = str(row.get("code") or "").strip()
        name = str(row.get("name") or "").strip()
        if not code and not name:
            continue
        if not code:
            errors.append(f"第 {n} 行：编码不能为空")
        elif code in seen:
            errors.append(f"第 {n} 行：编码“{code}”重复")
        if not name:
            errors.append(f"第 {n} 行：检查事项名称不能为空")
        seen.add(code)
        guidance = row.get("guidance")
        rows.append((code, name, None if pd.isna(guidance) else str(guidance), n,
                     bool(row.get("active", True)) if pd.notna(row.get("active", True)) else True))
    if errors:
        return errors
    with Session(engine) as s, s.begin():
        existing = {i.code: i for i in s.scalars(select(CheckItem))}
        for code, name, guidance, order, active in rows:
            item = existing.get(code) or CheckItem(code=code)
            item.name, item.guidance, item.sort_order, item.active = name, guidance, order, active
            s.add(item)
    return []


def inspectors(engine: Engine, *, active_only: bool = False) -> pd.DataFrame:
    """检查人员名录 (the county-wide pool): name, unit, 执法证号, own township, linked companies,
    phone (masked: personal data) and whether still active (a draw takes active ones only)."""
    stmt = (select(Inspector.id, Inspector.name, Inspector.unit, Inspector.cert_no, Inspector.township_id,
                   Township.name, Inspector.linked_company_ids, Inspector.phone, Inspector.active)
            .outerjoin(Township, Township.id == Inspector.township_id).order_by(Inspector.id))
    if active_only:
        stmt = stmt.where(Inspector.active.is_(True))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
        companies = dict(s.execute(select(PropertyCompany.id, PropertyCompany.name)).all())
    rows = [[*r[:7], mask_phone(r[7]), bool(r[8]) if r[8] is not None else True] for r in rows]
    df = _frame(rows, ["id", "name", "unit", "cert_no", "township_id", "own_township", "linked_company_ids",
                       "phone", "active"], geometry=False)
    df["linked_company_ids"] = df["linked_company_ids"].map(lambda v: sorted(v or []))
    df["linked_companies"] = df["linked_company_ids"].map(
        lambda ids: "、".join(companies.get(i, str(i)) for i in ids))
    return df


# --- candidates as of a time --------------------------------------------------------------

def _months_before(t: datetime, months: int) -> datetime:
    y, m = t.year, t.month - months
    while m < 1:
        y, m = y - 1, m + 12
    day = min(t.day, [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30,
                      31, 31, 30, 31, 30, 31][m - 1])
    return t.replace(year=y, month=m, day=day)


def _quarter_end(q: str) -> date:
    y, n = int(q[:4]), int(q[-1])
    return date(y + (n == 4), 1 if n == 4 else 3 * n + 1, 1)  # first day after the quarter


def _scope_compounds(engine: Engine, scope: Scope) -> pd.DataFrame:
    stmt = select(Compound.id, Compound.name, Compound.township_id, Compound.company_id,
                  Compound.households).where(Compound.management_mode != NO_PROPERTY_SERVICE)
    stmt = _scoped(stmt, Compound, scope).order_by(Compound.id)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["id", "name", "township_id", "company_id", "households"], geometry=False)


def weight_coefficients(engine: Engine) -> dict[str, str]:
    """The risk-weight coefficients from settings (as exact decimal strings)."""
    keys = {"complaints_per_100": "inspection_weight_complaints",
            "black_list": "inspection_weight_black_list",
            "low_credit": "inspection_weight_low_credit",
            "overdue_rectification": "inspection_weight_overdue",
            "never_inspected": "inspection_weight_never_inspected"}
    return {k: str(Decimal(str(settings.get(engine, v)))) for k, v in keys.items()}


def risk_factors(engine: Engine, scope: Scope, as_of: datetime, *, window_months: int) -> pd.DataFrame:
    """Per candidate compound, the risk factors known at ``as_of`` (nothing later counts)."""
    comps = _scope_compounds(engine, scope)
    ids = [int(i) for i in comps["id"]]
    start = _months_before(as_of, window_months)
    with Session(engine) as s:
        complaints = dict(s.execute(
            select(Complaint.compound_id, func.count())
            .where(Complaint.received_at >= start, Complaint.received_at < as_of,
                   Complaint.compound_id.in_(ids) if ids else false())
            .group_by(Complaint.compound_id)).all())
        evals = s.execute(select(Evaluation.compound_id, Evaluation.quarter, Evaluation.score)).all()
        grades = s.execute(select(CreditGrade.company_id, CreditGrade.quarter, CreditGrade.grade)).all()
        history = s.execute(
            select(SpotCheckResult.compound_id, SpotCheckDraw.drawn_at, SpotCheckResult.checked_at,
                   SpotCheckResult.rectification_due, SpotCheckResult.rectified_at)
            .join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckResult.draw_id)
            .where(SpotCheckDraw.drawn_at < as_of)).all()
    day = as_of.date()
    black_below = Decimal(str(settings.get(engine, "black_list_below_score")))
    latest_eval: dict[int, tuple[str, Decimal]] = {}
    for cid, q, score in evals:
        if _quarter_end(q) <= day and (cid not in latest_eval or q > latest_eval[cid][0]):
            latest_eval[cid] = (q, score)
    scale = list(settings.get(engine, "credit_grades"))
    low = set(scale[scale.index("A") + 1:]) if "A" in scale else set(scale[-2:])
    latest_grade: dict[int, tuple[str, str]] = {}
    for company, q, grade in grades:
        if _quarter_end(q) <= day and (company not in latest_grade or q > latest_grade[company][0]):
            latest_grade[company] = (q, grade)
    inspected, overdue = set(), set()
    for cid, _drawn, checked, due, rectified in history:
        if checked is not None and checked < day:
            inspected.add(cid)
        if rules.rectification_overdue(due, rectified, day):
            overdue.add(cid)
    out = comps.copy()
    hh = out["households"].fillna(0).astype(int)
    out["complaints"] = [int(complaints.get(i, 0)) for i in ids]
    out["complaints_per_100"] = [round(c * 100 / h, 4) if h > 0 else 0.0
                                 for c, h in zip(out["complaints"], hh)]
    out["black_list"] = [int(i in latest_eval and latest_eval[i][1] is not None
                             and Decimal(str(latest_eval[i][1])) < black_below) for i in ids]
    out["low_credit"] = [int(pd.notna(c) and latest_grade.get(int(c), ("", ""))[1] in low)
                         for c in out["company_id"]]
    out["overdue_rectification"] = [int(i in overdue) for i in ids]
    out["never_inspected"] = [int(i not in inspected) for i in ids]
    return out


def recently_drawn(engine: Engine, scope: Scope, as_of: datetime, months: int, *,
                   viewer: Viewer = TRUSTED) -> list[int]:
    """Compounds drawn in a spot check during the ``months`` before ``as_of`` (exclusion window).

    For a ``viewer`` outside the drawing unit only compounds of draws they may see:
    the exclusion list would otherwise name an unpublished draw's compounds.
    """
    if months <= 0:
        return []
    stmt = (select(SpotCheckResult.compound_id, SpotCheckDraw.published, SpotCheckResult.inspector_ids)
            .join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckResult.draw_id)
            .join(Compound, Compound.id == SpotCheckResult.compound_id)
            .where(SpotCheckDraw.drawn_at >= _months_before(as_of, months), SpotCheckDraw.drawn_at < as_of))
    with Session(engine) as s:
        rows = s.execute(_scoped(stmt, Compound, scope)).all()
    return sorted({int(i) for i, published, team in rows if visible_to(viewer, published, team)})


def build_inputs(engine: Engine, scope: Scope, *, as_of: datetime, n, stratify: bool,
                 coefficients: dict | None, window_months: int, exclude_months: int,
                 team_size: int) -> tuple[dict, pd.DataFrame]:
    """The canonical draw inputs (hashed and recorded) and the candidate frame with risk factors.

    ``coefficients`` None draws without risk weights (every compound weighs 1).
    """
    cands = risk_factors(engine, scope, as_of, window_months=window_months)
    weights = ({int(r["id"]): rules.risk_weight(r, coefficients) for r in cands.to_dict("records")}
               if coefficients else {})
    cands["weight"] = [weights.get(int(i), 1.0) for i in cands["id"]]
    params = {
        "n": n if isinstance(n, int) else str(Fraction(str(n))),
        "strata": "township_id" if stratify else None,
        "team_size": int(team_size),
        "exclude": recently_drawn(engine, scope, as_of, exclude_months),
        "exclude_months": int(exclude_months),
        "weights": coefficients,
        "complaint_window_months": int(window_months),
        "scope": scope.key(),
        "as_of": as_of.isoformat(timespec="seconds"),
    }
    inputs = rules.canonical_inputs(cands, inspectors(engine, active_only=True)[
        ["id", "township_id", "linked_company_ids"]], params=params, weights=weights)
    return inputs, cands


# --- drawing and verifying -------------------------------------------------------------------

@dataclass(frozen=True)
class DrawRecord:
    draw_id: int
    seed: int
    input_hash: str
    result: rules.DrawResult
    excluded: int


def _audit(s: Session, actor: str | None, action: str, target: str, scope: str | None, detail: dict,
           at: datetime) -> None:
    s.add(AuditLog(at=at, username=actor, action=action, target=target, scope=scope, detail=detail))


def run_draw(engine: Engine, scope: Scope, *, n, actor, seed: int | None = None,
             stratify: bool = True, use_weights: bool = True, exclude_months: int | None = None,
             team_size: int | None = None, now: datetime | None = None) -> DrawRecord:
    """Make a draw in ``scope`` and record it (seed, inputs, hash, time, who) with one result row per pick.

    ``n`` is a count or a share (Fraction/Decimal/str) of the eligible compounds.
    Raises ``ValueError``/``policy.inspection.RecusalError`` (Chinese) and then writes nothing;
    ``PermissionError`` when a signed-in ``actor`` lacks ``run_draws``.
    """
    who = permissions.authorize(actor, permissions.RUN_DRAWS, scope)
    now = (now or datetime.now()).replace(microsecond=0)
    seed = int(seed) if seed is not None else secrets.randbelow(2**31 - 2) + 1
    exclude_months = int(settings.get(engine, "inspection_exclude_months")
                         if exclude_months is None else exclude_months)
    team_size = int(settings.get(engine, "inspection_team_size") if team_size is None else team_size)
    inputs, _ = build_inputs(engine, scope, as_of=now, n=n, stratify=stratify,
                             coefficients=weight_coefficients(engine) if use_weights else None,
                             window_months=int(settings.get(engine, "inspection_complaint_window_months")),
                             exclude_months=exclude_months, team_size=team_size)
    try:
        result = rules.redraw(inputs, seed)  # the draw *is* a re-run of the record: verification can't drift
    except rules.RecusalError as exc:
        short = [c for c, _ in exc.shortfalls]
        with Session(engine) as s:
            names = dict(s.execute(select(Compound.id, Compound.name).where(Compound.id.in_(short))).all())
        raise rules.RecusalError(exc.shortfalls, exc.team_size, names=names, where=WHERE_TO_ADD) from None
    digest = rules.input_hash(inputs)
    with Session(engine) as s, s.begin():
        draw = SpotCheckDraw(drawn_at=now, actor=who.name or None, seed=seed, scope=scope.key(),
                             params=inputs["params"] | {"count": len(result.picks)},
                             published=False, input_hash=digest, inputs=inputs)
        s.add(draw)
        s.flush()
        for p in result.picks:
            s.add(SpotCheckResult(draw_id=draw.id, compound_id=p.compound_id, inspector_ids=list(p.team)))
        _audit(s, who.username, "spot_check_draw", f"spot_check_draw:{draw.id}", scope.key(),
               {"seed": seed, "input_hash": digest, "count": len(result.picks)}, now)
        draw_id = draw.id
    return DrawRecord(draw_id, seed, digest, result, len(inputs["params"]["exclude"]))


@dataclass(frozen=True)
class Verification:
    """验证结果: the record's integrity, the re-run, and whether the registers still match."""

    draw_id: int
    recorded: bool             # the draw kept its inputs and hash (older records may not)
    record_intact: bool        # hash of the stored inputs == stored hash
    reproduced: bool           # re-running from the record gives the stored compounds and teams
    registers_unchanged: bool  # today's registers, as of the draw time, hash the same
    current_hash: str | None

    @property
    def ok(self) -> bool:
        return self.recorded and self.record_intact and self.reproduced and self.registers_unchanged

    def message(self) -> str:
        if not self.recorded:
            return "该批次未保存抽取参数和候选名单（系统上线前的记录），无法验证。"
        if not self.record_intact:
            return "验证失败：保存的候选名单与记录的校验码不符，记录可能被改动。"
        if not self.reproduced:
            return "验证失败：按记录的种子和名单重新抽取，结果与保存的抽查名单不一致。"
        if not self.registers_unchanged:
            return ("按记录重新抽取，结果一致；但检查对象或检查人员名录自抽取以来已有变化"
                    "（按抽取时点重建的候选名单校验码不同）。")
        return "验证通过：按记录的种子和参数重新抽取，结果完全一致；候选名单校验码一致。"


def _parse_scope(key: str) -> Scope:
    return Scope.from_key(key)


def verify_draw(engine: Engine, draw_id: int) -> Verification:
    """Re-run draw ``draw_id`` from its record and against the registers (no personal data involved)."""
    with Session(engine) as s:
        draw = s.get(SpotCheckDraw, int(draw_id))
        if draw is None:
            raise ValueError(f"抽查批次 {draw_id} 不存在")
        stored = sorted((r.compound_id, tuple(sorted(r.inspector_ids or [])))
                        for r in s.scalars(select(SpotCheckResult).where(SpotCheckResult.draw_id == draw.id)))
        inputs, digest, seed = draw.inputs, draw.input_hash, draw.seed
    if not inputs or not digest:
        return Verification(int(draw_id), False, False, False, False, None)
    intact = rules.input_hash(inputs) == digest
    try:
        reproduced = rules.redraw(inputs, seed).as_pairs() == stored
    except ValueError:
        reproduced = False
    p = inputs["params"]
    n = p["n"] if isinstance(p["n"], int) else Fraction(p["n"])
    try:  # rebuilt with the recorded settings: a later settings change is not a register change
        current, _ = build_inputs(
            engine, _parse_scope(p.get("scope")), as_of=datetime.fromisoformat(p["as_of"]), n=n,
            stratify=bool(p.get("strata")), coefficients=p.get("weights"),
            window_months=int(p.get("complaint_window_months", 3)),
            exclude_months=int(p.get("exclude_months", 0)), team_size=int(p.get("team_size", 2)))
        current_hash = rules.input_hash(current)
    except (ValueError, KeyError):
        current_hash = None
    return Verification(int(draw_id), True, intact, reproduced, current_hash == digest, current_hash)


# --- reading draws and results ------------------------------------------------------------------

def draws(engine: Engine, scope: Scope, *, viewer: Viewer = TRUSTED) -> pd.DataFrame:
    """Draws with at least one compound in the scope that ``viewer`` may see, newest first.

    Counts are of the rows the viewer sees: an inspector counts only their own
    checks of an unpublished draw (see :class:`Viewer`).
    """
    stmt = (select(SpotCheckDraw.id, SpotCheckDraw.drawn_at, SpotCheckDraw.actor, SpotCheckDraw.seed,
                   SpotCheckDraw.input_hash, SpotCheckDraw.published, SpotCheckResult.inspector_ids,
                   SpotCheckResult.checked_at)
            .join(SpotCheckResult, SpotCheckResult.draw_id == SpotCheckDraw.id)
            .join(Compound, Compound.id == SpotCheckResult.compound_id))
    if not viewer.draws_unit and viewer.inspector_id is None:
        stmt = stmt.where(SpotCheckDraw.published.is_(True))
    with Session(engine) as s:
        rows = s.execute(_scoped(stmt, Compound, scope)).all()
    agg: dict[int, list] = {}
    for did, drawn_at, who, seed, digest, published, team, checked in rows:
        if not visible_to(viewer, published, team):
            continue
        row = agg.setdefault(did, [did, drawn_at, who, seed, digest, bool(published), 0, 0])
        row[6] += 1
        row[7] += checked is not None
    out = sorted(agg.values(), key=lambda r: (r[1], r[0]), reverse=True)
    df = _frame(out, ["draw_id", "drawn_at", "actor", "seed", "input_hash", "published", "drawn",
                      "checked"], geometry=False)
    df["input_hash"] = df["input_hash"].map(lambda h: h[:16] if isinstance(h, str) else "—")
    return df


RESULT_COLUMNS = ["result_id", "compound_id", "compound", "township", "company", "team", "team_units",
                  "checked_at", "verdict", "score", "findings", "rectification_due", "rectified_at",
                  "follow_up", "overdue"]


def draw_results(engine: Engine, scope: Scope, draw_id: int, *, today: date | None = None,
                 inspector_id: int | None = None, viewer: Viewer = TRUSTED) -> pd.DataFrame:
    """The compounds of one draw in the scope, in drawing order, with team names and outcome.

    ``inspector_id``: only the checks that inspector's team was drawn for (an inspector's own list).
    ``viewer``: of an unpublished draw, nothing unless it is the drawing unit, or an
    inspector's own checks (:class:`Viewer`); the rows are never read for anybody else.
    """
    today = today or date.today()
    r = SpotCheckResult
    stmt = (select(r.id, r.compound_id, Compound.name, Township.name, PropertyCompany.name, r.inspector_ids,
                   r.checked_at, r.verdict, r.score, r.findings, r.rectification_due, r.rectified_at,
                   r.follow_up)
            .join(Compound, Compound.id == r.compound_id)
            .join(Township, Township.id == Compound.township_id)
            .outerjoin(PropertyCompany, PropertyCompany.id == Compound.company_id)
            .where(r.draw_id == int(draw_id)).order_by(r.id))
    with Session(engine) as s:
        published = bool(s.scalar(select(SpotCheckDraw.published).where(SpotCheckDraw.id == int(draw_id))))
        if not published and not viewer.draws_unit and viewer.inspector_id is None:
            rows = []
        else:
            rows = s.execute(_scoped(stmt, Compound, scope)).all()
        staff = {i.id: (i.name, i.unit) for i in s.scalars(select(Inspector))}
    out = []
    for row in rows:
        if inspector_id is not None and inspector_id not in (row[5] or []):
            continue
        if not visible_to(viewer, published, row[5]):
            continue
        team = [staff.get(i, (f"#{i}", "")) for i in row[5] or []]
        out.append([row[0], row[1], row[2], row[3], row[4], "、".join(n for n, _ in team),
                    "、".join(dict.fromkeys(u for _, u in team)), *row[6:],
                    rules.rectification_overdue(row[10], row[11], today)])
    return _frame(out, RESULT_COLUMNS, geometry=False)


def result_draw(engine: Engine, scope: Scope, result_id: int, *, viewer: Viewer = TRUSTED,
                inspector_id: int | None = None) -> int | None:
    """The draw of check ``result_id`` when it lies in ``scope`` and ``viewer`` may see it, else None.

    For a link to one check (the to-do's ``?result=``): an unpublished draw stays hidden
    from readers outside the drawing unit and the drawn team (:func:`visible_to`), and
    with ``inspector_id`` (an inspector's own list) only that inspector's checks answer.
    """
    r = SpotCheckResult
    stmt = (select(r.draw_id, SpotCheckDraw.published, r.inspector_ids)
            .join(SpotCheckDraw, SpotCheckDraw.id == r.draw_id)
            .join(Compound, Compound.id == r.compound_id).where(r.id == int(result_id)))
    with Session(engine) as s:
        row = s.execute(_scoped(stmt, Compound, scope)).first()
    if row is None or not visible_to(viewer, row[1], row[2]):
        return None
    if inspector_id is not None and int(inspector_id) not in [int(i) for i in row[2] or []]:
        return None
    return int(row[0])


def _result_in_scope(s: Session, scope: Scope, result_id: int, actor=None) -> SpotCheckResult:
    """The result if it lies in ``scope``; an inspector ``actor`` must also be on its team."""
    stmt = (select(SpotCheckResult).join(Compound, Compound.id == SpotCheckResult.compound_id)
            .where(SpotCheckResult.id == int(result_id)))
    res = s.scalar(_scoped(stmt, Compound, scope))
    if res is not None and getattr(actor, "role", "inspector") != "inspector":  # inspectors: team check below
        draw = s.get(SpotCheckDraw, res.draw_id)
        if not visible_to(Viewer.of(actor), draw.published, res.inspector_ids):
            res = None  # an unpublished draw outside the drawing unit: as if it did not exist
    if res is None:
        raise ScopeError("该抽查记录不存在或不在您的管辖范围内")
    if getattr(actor, "role", None) == "inspector" and actor.inspector_id not in (res.inspector_ids or []):
        raise PermissionError("该抽查任务未分配给您，只能由抽中的检查组填报")
    return res


def result_items(engine: Engine, scope: Scope, result_id: int, *, actor=None) -> pd.DataFrame:
    """Checklist of one result: every active item (and any item already recorded) with pass/note."""
    with Session(engine) as s:
        _result_in_scope(s, scope, result_id, actor)
        done = {x.item_id: x for x in s.scalars(
            select(SpotCheckItemResult).where(SpotCheckItemResult.result_id == int(result_id)))}
        items = list(s.scalars(select(CheckItem).order_by(CheckItem.sort_order, CheckItem.id)))
    rows = [[i.id, i.code, i.name, done[i.id].passed if i.id in done else None,
             done[i.id].note if i.id in done else None]
            for i in items if i.active or i.id in done]
    return _frame(rows, ["item_id", "code", "name", "passed", "note"], geometry=False)


def _item_state(passed) -> str | None:
    """An item's mark as a state of ``rules.ITEM_STATES`` (True/False accepted for 合格/不合格)."""
    if passed is True:
        return "合格"
    if passed is False:
        return "不合格"
    return passed


def record_result(engine: Engine, scope: Scope, result_id: int, *, items: dict[int, tuple],
                  checked_at: date, actor, verdict: str | None = None, findings: str | None = None,
                  score=None, rectification_due: date | None = None) -> str:
    """Record a spot check's per-item results and overall verdict; returns the verdict.

    ``items``: item id → ``(state, note)``, state 合格 / 不合格 (or True / False) —
    every item checked, and a note for every 不合格 (``rules.check_item_marks``);
    a note on a passed item is kept as a remark, never dropped. Failed items get a
    rectification deadline (given, or the setting ``inspection_rectification_days``).
    A signed-in ``actor`` needs ``record_checks``; an inspector only for checks assigned to them.
    """
    who = permissions.authorize(actor, permissions.RECORD_CHECKS, scope)
    marks = {k: (_item_state(p), (n or "").strip() or None) for k, (p, n) in items.items()}
    with Session(engine) as s:
        known = {i.id: i.name for i in s.scalars(select(CheckItem))}
    unknown = [k for k in marks if k not in known]
    if unknown:
        raise ValueError(f"未知的检查事项：{unknown}")
    problems = rules.check_item_marks({known[k]: v for k, v in marks.items()})
    if problems:
        raise ValueError("；".join(problems))
    failed = [k for k, (state, _) in marks.items() if state == "不合格"]
    verdict = verdict or rules.overall_verdict(state == "合格" for state, _ in marks.values())
    if verdict not in rules.VERDICTS:
        raise ValueError(f"结论应为 {'、'.join(rules.VERDICTS)} 之一")
    if failed and rectification_due is None:
        rectification_due = checked_at + timedelta(days=int(settings.get(engine, "inspection_rectification_days")))
    if rectification_due is not None and rectification_due < checked_at:
        raise ValueError("整改期限不能早于检查日期")
    with Session(engine) as s, s.begin():
        res = _result_in_scope(s, scope, result_id, actor)
        old = {x.item_id: x for x in s.scalars(
            select(SpotCheckItemResult).where(SpotCheckItemResult.result_id == res.id))}
        for item_id, (state, note) in marks.items():
            row = old.get(item_id) or SpotCheckItemResult(result_id=res.id, item_id=item_id)
            row.passed, row.note = state == "合格", note
            s.add(row)
        res.checked_at, res.verdict = checked_at, verdict
        res.score = None if score is None else Decimal(str(score))
        found = [f"{known[k]}：{marks[k][1]}" for k in failed]
        remarks = [f"{known[k]}：{n}" for k, (state, n) in marks.items() if state == "合格" and n]
        res.findings = findings or "；".join(
            [*found, *(["备注：" + "；".join(remarks)] if remarks else [])]) or "未发现明显问题"
        res.rectification_due = rectification_due if failed or verdict != "合格" else None
        _audit(s, who.username, "spot_check_result", f"spot_check_result:{res.id}", scope.key(),
               {"verdict": verdict, "failed": failed}, datetime.now().replace(microsecond=0))
    return verdict


def record_follow_up(engine: Engine, scope: Scope, result_id: int, *, rectified_at: date | None,
                     note: str, actor) -> None:
    """整改复查: when the rectification was confirmed (or None while still open) and the note."""
    who = permissions.authorize(actor, permissions.RECORD_CHECKS, scope)
    with Session(engine) as s, s.begin():
        res = _result_in_scope(s, scope, result_id, actor)
        if rectified_at is not None and res.checked_at is not None and rectified_at < res.checked_at:
            raise ValueError("整改完成日期不能早于检查日期")
        res.rectified_at, res.follow_up = rectified_at, (note or None)
        _audit(s, who.username, "spot_check_follow_up", f"spot_check_result:{res.id}", scope.key(),
               {"rectified_at": str(rectified_at)}, datetime.now().replace(microsecond=0))


def add_result_photo(engine: Engine, scope: Scope, result_id: int, data: bytes, filename: str, *,
                     item_id: int | None = None, now: datetime | None = None, actor=None) -> int:
    """Store a spot-check photo (validated by content; see data.photos) and link it."""
    from data.photos import max_bytes_from_mb, store_photo

    permissions.authorize(actor, permissions.RECORD_CHECKS, scope)

    photo = store_photo(data, max_bytes=max_bytes_from_mb(settings.get(engine, "photo_max_mb")))
    with Session(engine) as s, s.begin():
        res = _result_in_scope(s, scope, result_id, actor)
        row = SpotCheckPhoto(result_id=res.id, item_id=item_id, filename=(filename or "photo")[:200],
                             content_type=photo.content_type, sha256=photo.sha256, size_bytes=photo.size_bytes,
                             lon=photo.lon, lat=photo.lat, taken_at=photo.taken_at,
                             uploaded_at=(now or datetime.now()).replace(microsecond=0))
        s.add(row)
        s.flush()
        return row.id


def result_photos(engine: Engine, scope: Scope, result_id: int, *, actor=None) -> pd.DataFrame:
    with Session(engine) as s:
        _result_in_scope(s, scope, result_id, actor)
        rows = s.execute(select(SpotCheckPhoto.id, SpotCheckPhoto.item_id, SpotCheckPhoto.filename,
                                SpotCheckPhoto.content_type, SpotCheckPhoto.sha256, SpotCheckPhoto.lon,
                                SpotCheckPhoto.lat, SpotCheckPhoto.taken_at)
                         .where(SpotCheckPhoto.result_id == int(result_id)).order_by(SpotCheckPhoto.id)).all()
    return _frame(rows, ["id", "item_id", "filename", "content_type", "sha256", "lon", "lat", "taken_at"],
                  geometry=False)


def set_published(engine: Engine, draw_id: int, published: bool, *, actor) -> None:
    """Publish (一公开) or withdraw a draw's list; a signed-in ``actor`` needs ``run_draws``."""
    who = permissions.authorize(actor, permissions.RUN_DRAWS)
    with Session(engine) as s, s.begin():
        draw = s.get(SpotCheckDraw, int(draw_id))
        if draw is None:
            raise ValueError(f"抽查批次 {draw_id} 不存在")
        draw.published = bool(published)
        _audit(s, who.username, "spot_check_publish", f"spot_check_draw:{draw.id}", None,
               {"published": bool(published)}, datetime.now().replace(microsecond=0))


def overdue_rectifications(engine: Engine, scope: Scope, today: date, *,
                           viewer: Viewer = TRUSTED) -> pd.DataFrame:
    """Spot-check findings past their rectification deadline and not rectified (feeds the risk weight).

    Only of draws ``viewer`` may see (:class:`Viewer`).
    """
    r = SpotCheckResult
    stmt = (select(r.id, Compound.name, Township.name, r.checked_at, r.findings, r.rectification_due,
                   SpotCheckDraw.published, r.inspector_ids)
            .join(SpotCheckDraw, SpotCheckDraw.id == r.draw_id)
            .join(Compound, Compound.id == r.compound_id).join(Township, Township.id == Compound.township_id)
            .where(r.rectification_due < today, (r.rectified_at.is_(None)) | (r.rectified_at > today))
            .order_by(r.rectification_due))
    with Session(engine) as s:
        rows = [row[:6] for row in s.execute(_scoped(stmt, Compound, scope)).all()
                if visible_to(viewer, row[6], row[7])]
    df = _frame(rows, ["result_id", "compound", "township", "checked_at", "findings", "rectification_due"],
                geometry=False)
    df["days_overdue"] = [(today - d).days for d in df["rectification_due"]]
    return df


PUBLIC_COLUMNS = ["drawn_on", "seed", "input_hash", "compound", "township", "company", "team_units",
                  "checked_at", "verdict", "findings", "rectification_due", "rectification"]


def published_list(engine: Engine, scope: Scope) -> pd.DataFrame:
    """一公开: published draws and their results, with units but no inspector names or phones."""
    r = SpotCheckResult
    stmt = (select(SpotCheckDraw.drawn_at, SpotCheckDraw.seed, SpotCheckDraw.input_hash, Compound.name,
                   Township.name, PropertyCompany.name, r.inspector_ids, r.checked_at, r.verdict, r.findings,
                   r.rectification_due, r.rectified_at)
            .join(SpotCheckDraw, SpotCheckDraw.id == r.draw_id)
            .join(Compound, Compound.id == r.compound_id).join(Township, Township.id == Compound.township_id)
            .outerjoin(PropertyCompany, PropertyCompany.id == Compound.company_id)
            .where(SpotCheckDraw.published.is_(True))
            .order_by(SpotCheckDraw.drawn_at.desc(), r.id))
    with Session(engine) as s:
        rows = s.execute(_scoped(stmt, Compound, scope)).all()
        units = {i.id: i.unit for i in s.scalars(select(Inspector))}
    out = []
    for (drawn, seed, digest, name, town, company, team, checked, verdict, findings, due, done) in rows:
        status = ("—" if due is None else "已整改" if done is not None else "整改中")
        out.append([drawn.date(), seed, (digest or "")[:16], name, town, company,
                    "、".join(dict.fromkeys(units.get(i, "") for i in team or [])), checked,
                    verdict or ("待检查" if checked is None else "—"), findings, due, status])
    return _frame(out, PUBLIC_COLUMNS, geometry=False)
