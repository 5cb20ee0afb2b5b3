"""考核评价: quarterly evaluations, red/black lists, company blacklist, credit grades (scoped).

Reads take the caller's :class:`~data.scope.Scope`. Project rows (evaluations,
lists, portfolios) never leave the scope. Company-level results (blacklist,
half-yearly excellent rating) follow the rule over the company's whole
portfolio — a company is blacklisted county-wide, not per township — and are
returned only for companies that serve a compound in the scope, with counts
but no rows from outside it.

Writes (:func:`save_evaluation`) check the scope, upsert by (compound, quarter)
and keep the history of every change in the audit log (old and new values).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import db, permissions, settings
from data.queries import _fetch, _frame, _scoped, compounds, latest_fee_status
from data.schema import AuditLog, Compound, CreditGrade, Evaluation, PropertyCompany
from data.scope import Scope, ScopeError
from policy import ratings

__all__ = [
    "Rules", "rules", "quarters", "evaluations", "quarter_lists", "company_status", "company_view",
    "half_year_assessment", "compound_indicators", "save_evaluation", "credit_history", "CompanyView",
]

EVAL_COLUMNS = ["compound_id", "code", "compound", "township_id", "township", "community",
                "company_id", "company", "quarter", "score", "satisfaction", "evaluator"]


@dataclass(frozen=True)
class Rules:
    """The settings these rules read, resolved once per call."""

    red_min: Decimal
    black_below: Decimal
    window: int
    black_share: Fraction
    excellent_share: Fraction
    grades: tuple[str, ...]
    incentive_floor: str


def rules(engine: Engine) -> Rules:
    v = settings.all_values(engine)
    grades = tuple(v["credit_grades"])
    floor = v["credit_incentive_floor"] if v["credit_incentive_floor"] in grades else grades[min(2, len(grades) - 1)]
    return Rules(Decimal(str(v["red_list_min_score"])), Decimal(str(v["black_list_below_score"])),
                 int(v["black_list_window_quarters"]), ratings.share_fraction(v["company_black_share"]),
                 ratings.share_fraction(v["excellent_company_share"]), grades, floor)


def quarters(engine: Engine) -> list[str]:
    """Quarters with evaluations, oldest first."""
    with Session(engine) as s:
        found = s.scalars(select(Evaluation.quarter).distinct()).all()
    return sorted(found, key=ratings.quarter_index)


def _eval_stmt(scope: Scope):
    c = Compound
    from data.schema import Community, Township

    stmt = (select(c.id, c.code, c.name, c.township_id, Township.name, Community.name, c.company_id,
                   PropertyCompany.name, Evaluation.quarter, Evaluation.score, Evaluation.satisfaction,
                   Evaluation.evaluator)
            .join(c, c.id == Evaluation.compound_id)
            .join(Township, Township.id == c.township_id)
            .join(Community, Community.id == c.community_id)
            .outerjoin(PropertyCompany, PropertyCompany.id == c.company_id))
    return _scoped(stmt, c, scope)


def evaluations(engine: Engine, scope: Scope, *, quarters: list[str] | None = None,
                compound_id: int | None = None) -> pd.DataFrame:
    """Evaluations in the scope (optionally some quarters or one compound), scores as Decimal."""
    stmt = _eval_stmt(scope)
    if quarters is not None:
        stmt = stmt.where(Evaluation.quarter.in_(list(quarters)))
    if compound_id is not None:
        stmt = stmt.where(Evaluation.compound_id == int(compound_id))
    return _frame(_fetch(engine, stmt.order_by(Evaluation.quarter, Compound.id)), EVAL_COLUMNS, geometry=False)


def quarter_lists(engine: Engine, scope: Scope, quarter: str) -> pd.DataFrame:
    """Every project evaluated in ``quarter`` with its list (红榜/黑榜/—) and consequence.

    Adds ``list``, ``black_count`` (quarters on the black list within the window,
    this one included), ``action`` (``replace_manager``/``replace_company``/None)
    and ``consequence`` (Chinese). Sorted best score first.
    """
    r = rules(engine)
    window = ratings.quarters_back(quarter, r.window)
    history = evaluations(engine, scope, quarters=window)
    history["black"] = [ratings.list_label(s, red_min=r.red_min, black_below=r.black_below) == ratings.BLACK
                        for s in history["score"]]
    now = history[history["quarter"] == quarter].copy()
    now["list"] = [ratings.list_label(s, red_min=r.red_min, black_below=r.black_below) for s in now["score"]]
    counts = history[history["black"]].groupby("compound_id")["quarter"].nunique()
    now["black_count"] = now["compound_id"].map(counts).fillna(0).astype(int)
    actions = ratings.black_list_actions(
        history.rename(columns={"compound_id": "project_id"})[["project_id", "quarter", "black"]], quarter,
        window=r.window)
    now["action"] = now["compound_id"].map(actions)
    now["consequence"] = [ratings.CONSEQUENCE_SEP.join(ratings.black_list_consequences(a)) if isinstance(a, str)
                           else "" for a in now["action"]]  # every consequence, not just the heaviest
    now.loc[now["list"] == ratings.RED, "consequence"] = "列入红榜，予以通报表扬"
    now = now.drop(columns="black")
    now["score"] = pd.to_numeric(now["score"], errors="coerce")
    now["satisfaction"] = pd.to_numeric(now["satisfaction"], errors="coerce")
    return now.sort_values(["score", "compound"], ascending=[False, True]).reset_index(drop=True)


def _portfolios(engine: Engine) -> dict[int, list[int]]:
    with Session(engine) as s:
        rows = s.execute(select(Compound.company_id, Compound.id).where(Compound.company_id.is_not(None))).all()
    out: dict[int, list[int]] = {}
    for company, compound in rows:
        out.setdefault(int(company), []).append(int(compound))
    return out


def _companies_in_scope(engine: Engine, scope: Scope) -> pd.DataFrame:
    stmt = (select(PropertyCompany.id, PropertyCompany.name, func.count(Compound.id))
            .join(Compound, Compound.company_id == PropertyCompany.id)
            .group_by(PropertyCompany.id, PropertyCompany.name).order_by(PropertyCompany.name))
    stmt = _scoped(stmt, Compound, scope)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame(rows, columns=["company_id", "company", "projects_in_scope"])


def _grades(engine: Engine, company_ids, quarter: str | None = None) -> pd.DataFrame:
    stmt = select(CreditGrade.company_id, CreditGrade.quarter, CreditGrade.grade, CreditGrade.score).where(
        CreditGrade.company_id.in_([int(i) for i in company_ids]))
    if quarter is not None:
        stmt = stmt.where(CreditGrade.quarter == quarter)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    df = pd.DataFrame(rows, columns=["company_id", "quarter", "grade", "score"])
    return df.sort_values("quarter", key=lambda q: q.map(ratings.quarter_index)) if len(df) else df


def _latest_grades(engine: Engine, company_ids, quarter: str | None) -> pd.DataFrame:
    """Each company's grade as it stands in ``quarter``: the latest up to it (a grade stands until the next)."""
    df = _grades(engine, company_ids)
    if quarter and len(df):
        df = df[df["quarter"].map(ratings.quarter_index) <= ratings.quarter_index(quarter)]
    return df.groupby("company_id").tail(1).reset_index(drop=True) if len(df) else df  # tail: keeps a blank score


def _tier_columns(df: pd.DataFrame, r: Rules) -> pd.DataFrame:
    tiers = [ratings.supervision_tier(g, r.grades, floor=r.incentive_floor) if g in r.grades else None
             for g in df["grade"]]
    df["tier"] = [t.label if t else "未评级" for t in tiers]
    df["incentive"] = [bool(t and t.incentive) for t in tiers]
    df["measures"] = [t.measures if t else "" for t in tiers]
    return df


def company_status(engine: Engine, scope: Scope, quarter: str) -> pd.DataFrame:
    """Companies serving the scope: black-listed projects (whole portfolio), blacklist, credit grade, tier."""
    r = rules(engine)
    companies = _companies_in_scope(engine, scope)
    portfolio = _portfolios(engine)
    everywhere = evaluations(engine, Scope(), quarters=[quarter])
    black = {int(cid) for cid, s in zip(everywhere["compound_id"], everywhere["score"])
             if ratings.list_label(s, red_min=r.red_min, black_below=r.black_below) == ratings.BLACK}
    listed = ratings.company_blacklist(black, portfolio, r.black_share)
    companies["projects"] = companies["company_id"].map(lambda c: len(portfolio.get(int(c), [])))
    companies["black_projects"] = companies["company_id"].map(
        lambda c: len(set(portfolio.get(int(c), [])) & black))
    companies["black_share"] = (companies["black_projects"] / companies["projects"].where(companies["projects"] > 0)
                                ).round(4)
    companies["blacklisted"] = companies["company_id"].map(lambda c: int(c) in listed)
    grades = _latest_grades(engine, companies["company_id"], quarter)[["company_id", "grade", "score"]]
    out = companies.merge(grades.rename(columns={"score": "credit_score"}), on="company_id", how="left")
    out["grade"] = out["grade"].where(out["grade"].notna(), None)
    out = _tier_columns(out, r)
    out["consequence"] = [ratings.COMPANY_BLACKLIST_ACTION if b else "" for b in out["blacklisted"]]
    return out


def credit_history(engine: Engine, scope: Scope, company_id: int) -> pd.DataFrame:
    """One company's grades by quarter (oldest first) with tier and incentive flag; the company must serve the scope."""
    _require_company(engine, scope, company_id)
    return _tier_columns(_grades(engine, [company_id]).reset_index(drop=True), rules(engine))


def _require_company(engine: Engine, scope: Scope, company_id: int) -> None:
    stmt = _scoped(select(func.count()).select_from(Compound).where(Compound.company_id == int(company_id)),
                   Compound, scope)
    with Session(engine) as s:
        if not s.scalar(stmt):
            raise ScopeError("该物业企业在当前范围内没有服务项目")


@dataclass
class CompanyView:
    """企业视图: one company as seen from a scope."""

    company_id: int
    name: str
    status: pd.Series                 # its row of company_status
    portfolio: gpd.GeoDataFrame       # its compounds in the scope, with score/list/consequence of the quarter
    credit: pd.DataFrame              # grade history, oldest first
    consequences: list[str] = field(default_factory=list)


def company_view(engine: Engine, scope: Scope, company_id: int, quarter: str) -> CompanyView:
    """Portfolio in the scope (with the quarter's list), credit history and the consequences in words."""
    _require_company(engine, scope, company_id)
    status = company_status(engine, scope, quarter)
    row = status[status["company_id"] == int(company_id)].iloc[0]
    frame = compounds(engine, scope)
    frame = frame[frame["company_id"] == int(company_id)]
    lists = quarter_lists(engine, scope, quarter)
    keep = ["compound_id", "score", "satisfaction", "list", "black_count", "consequence"]
    portfolio = frame.merge(lists[keep], left_on="id", right_on="compound_id", how="left").drop(
        columns="compound_id")
    portfolio["list"] = portfolio["list"].fillna("未考评")
    credit = credit_history(engine, scope, company_id)
    said = []
    if row["blacklisted"]:
        said.append(f"{quarter} 共 {row['projects']} 个服务项目中 {row['black_projects']} 个列入黑榜"
                    f"（达到三分之一以上）：{ratings.COMPANY_BLACKLIST_ACTION}。")
    for _, p in portfolio[portfolio["list"] == ratings.BLACK].iterrows():
        said.append(f"{p['name']}：第 {p['black_count']} 次列入黑榜（近 {rules(engine).window} 个季度），"
                    f"{p['consequence']}。")
    if isinstance(row["grade"], str):
        said.append(f"信用等级 {row['grade']}：{row['tier']}——{row['measures']}。")
    return CompanyView(int(company_id), str(row["company"]), row, portfolio, credit, said)


def half_year_assessment(engine: Engine, scope: Scope, half: str) -> pd.DataFrame:
    """半年考核: mean project score of each company over the half year; excellent within the 5 % quota.

    ``half`` is ``YYYY-H1``/``YYYY-H2``. The quota counts every company assessed
    county-wide; rows are returned for the companies serving the scope.
    """
    year, h = half.split("-H")
    qs = [f"{year}-Q{q}" for q in ((1, 2) if h == "1" else (3, 4))]
    r = rules(engine)
    everywhere = evaluations(engine, Scope(), quarters=qs).dropna(subset=["company_id"])
    if everywhere.empty:
        return pd.DataFrame(columns=["company_id", "company", "mean_score", "assessed_projects", "rank",
                                     "excellent", "assessed_total", "quota"])
    means = {}
    for cid, g in everywhere.groupby("company_id"):
        total = sum((Decimal(str(s)) for s in g["score"]), Decimal(0))
        means[int(cid)] = (total / len(g)).quantize(Decimal("0.01"))
    chosen = set(ratings.excellent_companies(means, r.excellent_share))
    mine = _companies_in_scope(engine, scope)
    out = pd.DataFrame({"company_id": list(means), "mean_score": [float(v) for v in means.values()]})
    out["assessed_projects"] = out["company_id"].map(everywhere.groupby("company_id").size())
    out["rank"] = out["mean_score"].rank(ascending=False, method="min").astype(int)
    out["excellent"] = out["company_id"].isin(chosen)
    out["assessed_total"] = len(means)  # the quota counts every company assessed, not only these
    out["quota"] = ratings.excellent_quota(len(means), r.excellent_share)
    out = mine[["company_id", "company"]].merge(out, on="company_id")
    return out.sort_values("rank").reset_index(drop=True)


def compound_indicators(engine: Engine, scope: Scope, quarter: str | None = None) -> pd.DataFrame:
    """Per compound in the scope: ``eval_score``/``eval_list`` (the quarter, default the latest),
    ``fee_status`` (无 when never changed) and ``credit_grade`` (its company's, same quarter).

    The columns the colour modes ``evaluation``, ``fee_status`` and ``credit`` read.
    """
    qs = quarters(engine)
    quarter = quarter or (qs[-1] if qs else None)
    with Session(engine) as s:
        base = s.execute(_scoped(select(Compound.id, Compound.company_id), Compound, scope)).all()
    out = pd.DataFrame(base, columns=["id", "company_id"])
    r = rules(engine)
    if quarter:
        ev = evaluations(engine, scope, quarters=[quarter]).set_index("compound_id")["score"]
        out["eval_score"] = out["id"].map(ev)
    else:
        out["eval_score"] = None
    # A credit grade stands until the next one (动态评级): the latest up to the quarter, or the latest
    # of all when no evaluation was imported (a county with credit grades and no quarterly results).
    latest = _latest_grades(engine, out["company_id"].dropna().unique(), quarter)
    out["credit_grade"] = out["company_id"].map(latest.set_index("company_id")["grade"]) if len(latest) else None
    out["eval_list"] = [ratings.list_label(s, red_min=r.red_min, black_below=r.black_below)
                        if s is not None and not pd.isna(s) else None for s in out["eval_score"]]
    out["eval_score"] = pd.to_numeric(out["eval_score"], errors="coerce")
    fees = dict(zip(*[latest_fee_status(engine, scope)[c] for c in ("compound_id", "status")]))
    out["fee_status"] = [fees.get(i, "无") for i in out["id"]]
    return out.drop(columns="company_id")


def save_evaluation(engine: Engine, scope: Scope, compound_id: int, quarter: str, score, *,
                    satisfaction=None, evaluator: str | None = None, actor,
                    at: datetime | None = None) -> str:
    """Create or change one evaluation; returns ``"created"``, ``"updated"`` or ``"unchanged"``.

    The previous values go to the audit log (action ``edit``), so the history of
    every score is kept. ``actor``: the signed-in Account (needs ``edit_evaluations``)
    or a script's name. Raises PermissionError for a role without that right,
    ScopeError outside the scope, ValueError on bad values.
    """
    ratings.parse_quarter(quarter)
    score = _score(score, "考评分数")
    satisfaction = None if satisfaction is None or pd.isna(satisfaction) else _score(satisfaction, "满意度")
    who = permissions.authorize(actor, permissions.EDIT_EVALUATIONS, scope)
    if not who.name:
        raise ValueError("请填写操作人")
    with db.write_session(engine) as s:  # BEGIN IMMEDIATE on SQLite; row lock on PostgreSQL
        comp = s.execute(_scoped(select(Compound).where(Compound.id == int(compound_id)), Compound, scope)
                         .with_for_update()).scalar_one_or_none()
        if comp is None:
            raise ScopeError("该小区不存在或不在您的管辖范围内")
        row = s.execute(select(Evaluation).where(Evaluation.compound_id == comp.id,
                                                 Evaluation.quarter == quarter)).scalar_one_or_none()
        new = {"score": score}  # a blank satisfaction or evaluator keeps what is stored
        if satisfaction is not None:
            new["satisfaction"] = satisfaction
        if (evaluator or "").strip():
            new["evaluator"] = evaluator.strip()[:50]
        if row is None:
            s.add(Evaluation(compound_id=comp.id, quarter=quarter, **new))
            outcome, old = "created", None
        else:
            old = {k: getattr(row, k) for k in new}
            if all(_same(old[k], new[k]) for k in new):
                return "unchanged"
            for k, v in new.items():
                setattr(row, k, v)
            outcome = "updated"
        s.add(AuditLog(at=(at or datetime.now()).replace(microsecond=0), username=(who.username or who.name)[:50],
                       action="edit", target=f"季度考评 {comp.name} {quarter}"[:200], scope=scope.key(),
                       detail={"compound_id": comp.id, "quarter": quarter,
                               "old": {k: _plain(v) for k, v in (old or {}).items()},
                               "new": {k: _plain(v) for k, v in new.items()}}))
    return outcome


def _score(value, what: str) -> Decimal:
    try:
        d = Decimal(str(value).strip().rstrip("%分"))
    except Exception:  # noqa: BLE001 - decimal raises several types
        raise ValueError(f"{what}“{value}”不是数字") from None
    if not d.is_finite() or not 0 <= d <= 100:
        raise ValueError(f"{what}应在 0 到 100 之间，收到 {value}")
    return d.quantize(Decimal("0.01"))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (Decimal, int, float)) or isinstance(b, (Decimal, int, float)):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _plain(v):
    return None if v is None else (str(v) if isinstance(v, Decimal) else v)
