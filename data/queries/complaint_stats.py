"""Scoped reads for the 诉求分析 page: trends, breakdowns, ladders, targets, unmatched queue.

Every function takes the caller's :class:`~data.scope.Scope` (and a
:class:`~data.scope.Period` or month where time matters) and returns only
rows inside it. Counting runs in SQL (GROUP BY). Complainants' names and
phones leave this module masked.

The two ladders rank against the whole county, as the policy does (每月通报
投诉量前 50 名的项目; 同比上升最高的镇街): the ranking reads county-wide
counts (ids and numbers only), and the caller gets back only the rows of
compounds or townships inside its scope — a township sees its own projects'
county rank, never another township's projects.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from data import aggregates, db, settings, vocab
from data.privacy import mask_name, mask_phone, mask_phones_in_text
from data.queries import (_aggregate_window, _complaint_window, _fetch, _month, _scoped, complaint_counts,
                          counts_statement, in_scope, township_label)
from data.schema import (Community, Complaint, ComplaintMonth, ComplaintMonthPlace, Compound, County, ProjectManager,
                         PropertyCompany, Township)
from data.scope import COUNTY, Period, Scope, ScopeError, in_city
from policy import ladders, targets

__all__ = [
    "ComplaintFilter", "filter_options", "monthly_counts", "trend", "breakdown", "point_counts",
    "ranking_counts", "township_month_counts", "county_ladder", "city_ladder", "cities_of", "city_ranking",
    "complaint_ranking", "township_ranking",
    "township_quarter_ranking",
    "target_progress", "complaint_records", "unmatched", "assign_compound", "RECORD_COLUMNS",
    "match_candidates",
    "data_from", "actions_label",
]


@dataclass(frozen=True)
class ComplaintFilter:
    """Page filters on top of scope and period: empty means "all"."""

    categories: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def apply(self, stmt):
        if self.categories:
            stmt = stmt.where(Complaint.category.in_(self.categories))
        if self.departments:
            stmt = stmt.where(Complaint.department.in_(self.departments))
        if self.statuses:
            stmt = stmt.where(Complaint.status.in_(self.statuses))
        return stmt


ALL = ComplaintFilter()


def _rows(engine: Engine, stmt) -> list[tuple]:
    """Plain tuples: pandas builds frames from SQLAlchemy ``Row`` objects ten times slower
    (``data.queries._fetch``: a Core connection, without the ORM's per-row loading)."""
    return _fetch(engine, stmt)


def filter_options(engine: Engine, scope: Scope, period: Period) -> dict[str, list[str]]:
    """The categories, departments and statuses present in the scope and period (most frequent first)."""
    out = {}
    for key, column in (("categories", Complaint.category), ("departments", Complaint.department),
                        ("statuses", Complaint.status)):
        stmt = _complaint_window(select(column, func.count()).where(column.is_not(None)), scope, period)
        stmt = stmt.group_by(column).order_by(func.count().desc(), column)
        out[key] = [r[0] for r in _rows(engine, stmt)]
    return out


def monthly_counts(engine: Engine, scope: Scope, period: Period, flt: ComplaintFilter = ALL) -> pd.DataFrame:
    """``month`` ("YYYY-MM"), ``complaints`` for every month of the period (zeros included)."""
    window = _aggregated(period, flt)
    if window is not None:
        a = ComplaintMonth if flt.categories else ComplaintMonthPlace  # categories: the finer table
        stmt = _aggregate_window(select(a.month, func.sum(a.n)), scope, window, a)
        if flt.categories:
            stmt = stmt.where(a.category.in_(flt.categories))
        stmt = stmt.group_by(a.month)
    else:
        m = _month(engine, Complaint.received_at).label("month")
        stmt = flt.apply(_complaint_window(select(m, func.count()), scope, period)).group_by(m)
    got = dict(_rows(engine, stmt))
    months = _period_months(period)
    return pd.DataFrame({"month": months, "complaints": [int(got.get(k, 0)) for k in months]})


def _aggregated(period: Period, flt: ComplaintFilter = ALL) -> tuple[str, str] | None:
    """The months to sum from ``complaint_month``, or None to count raw rows: a period cut
    mid-month, a department or status filter (not in the aggregates), or inside
    ``data.aggregates.raw_counts()``."""
    if flt.departments or flt.statuses or not aggregates.use_aggregates():
        return None
    return aggregates.aggregated_period(period)


def _period_months(period: Period) -> list[str]:
    last = period.last_month().start
    return ladders.month_range(f"{period.start.year:04d}-{period.start.month:02d}",
                               f"{last.year:04d}-{last.month:02d}")


def trend(engine: Engine, scope: Scope, period: Period, flt: ComplaintFilter = ALL) -> pd.DataFrame:
    """Monthly complaints in the period beside the same months a year earlier (``last_year``)."""
    now = monthly_counts(engine, scope, period, flt)
    before = monthly_counts(engine, scope, period.shift_years(-1), flt)
    return now.assign(last_year=before["complaints"].to_numpy())


def breakdown(engine: Engine, scope: Scope, period: Period, by: str, flt: ComplaintFilter = ALL) -> pd.DataFrame:
    """Complaints per ``by`` ("category", "department", "status"): ``complaints``, ``share``,
    ``closed`` (已办结), ``dissatisfied`` (不满意), most complaints first."""
    column = {"category": Complaint.category, "department": Complaint.department,
              "status": Complaint.status}[by]
    closed = func.sum(func.cast(Complaint.status == vocab.COMPLAINT_CLOSED, _int()))
    bad = func.sum(func.cast(Complaint.satisfaction == "不满意", _int()))
    stmt = flt.apply(_complaint_window(select(column, func.count(), closed, bad), scope, period))
    stmt = stmt.group_by(column).order_by(func.count().desc(), column)
    df = pd.DataFrame(_rows(engine, stmt), columns=[by, "complaints", "closed", "dissatisfied"])
    df[by] = df[by].fillna("（未填）")
    for col in ("complaints", "closed", "dissatisfied"):
        df[col] = pd.to_numeric(df[col]).fillna(0).astype(int)
    total = df["complaints"].sum()
    df.insert(2, "share", (df["complaints"] / total).round(4) if total else 0.0)
    return df


def _int():
    from sqlalchemy import Integer

    return Integer


def point_counts(engine: Engine, scope: Scope, period: Period, flt: ComplaintFilter = ALL,
                 *, cell_deg: float = 0.0005) -> pd.DataFrame:
    """The heat map's cells with the page filters (``data.queries.heat_counts``: the complaints the
    compound colours count, matched ones, at their coordinates or their compound):
    ``lon``, ``lat`` (cell centres, WGS-84), ``count`` — never the raw points."""
    from data.queries import heat_counts

    return heat_counts(engine, scope, period, where=flt.apply, cell_deg=cell_deg)


# --------------------------------------------------------------------------- ladders


def data_from(engine: Engine) -> str | None:
    """The first month of complete complaint data: the setting ``complaints_data_from`` when
    set, else the month of the earliest complaint (None without complaints). Year-on-year
    comparisons need their year-earlier month at or after it (不可比 otherwise)."""
    given = str(settings.get(engine, "complaints_data_from") or "").strip()
    if given:
        return ladders.shift_month(given, 0)
    with Session(engine) as s:
        first = s.execute(select(func.min(Complaint.received_at))).scalar()
    return None if first is None else f"{first.year:04d}-{first.month:02d}"


def actions_label(actions) -> str:
    """Every consequence in the seeds' words, heaviest first, joined by 、 (无 when none)."""
    return "、".join(ladders.ACTION_LABELS[a] for a in actions) if len(actions) else ladders.ACTION_LABELS[
        ladders.NONE]


def _no_company_compounds(engine: Engine) -> set[int]:
    """Compounds with no property company (业主自管 / 无物业 / no company on record)."""
    stmt = select(Compound.id).where((Compound.company_id.is_(None))
                                     | Compound.management_mode.in_(["业主自管", vocab.NO_PROPERTY_SERVICE]))
    return {int(r[0]) for r in _rows(engine, stmt)}


def _months_back(month: str, months: int) -> Period:
    first = ladders.shift_month(month, -months)
    return Period.months(first, month)


def ranking_counts(engine: Engine, scope: Scope, month: str, *, months: int = 36,
                   top_n: int | None = None) -> pd.DataFrame:
    """``project_id`` (compound), ``month``, ``complaints`` for the ``months`` before ``month`` and it,
    matched complaints only (the input of ``policy.ladders.complaint_ladder``).

    ``top_n``: only each month's rows ranked ``top_n`` or better (ties at the best rank, as the list
    ranks them), ranked in SQL. The ladder reads nothing else, and a province's 36 months of every
    compound were 1.3 million rows to fetch for 16 lists of 50."""
    stmt = counts_statement(engine, scope, _months_back(month, months), ("compound", "month"))
    stmt = stmt.where(stmt.selected_columns.compound.is_not(None))
    if top_n is not None:
        ranked = stmt.order_by(None).add_columns(
            func.rank().over(partition_by=stmt.selected_columns.month,
                             order_by=stmt.selected_columns["count"].desc()).label("rank")).subquery()
        stmt = (select(ranked.c.compound, ranked.c.month, ranked.c["count"])
                .where(ranked.c["rank"] <= int(top_n)).order_by(ranked.c.compound, ranked.c.month))
    df = pd.DataFrame(_fetch(engine, stmt), columns=["project_id", "month", "complaints"])
    return df.astype({"project_id": "int64", "complaints": "int64"})


def township_month_counts(engine: Engine, scope: Scope, month: str, *, months: int = 36) -> pd.DataFrame:
    """``township_id``, ``month``, ``complaints`` (input of ``policy.ladders.township_ladder``);
    every township of the scope appears, with zeros where it had no complaints."""
    counts = complaint_counts(engine, scope, _months_back(month, months), by=("township", "month"))
    counts = counts[counts["township"].notna()]
    df = pd.DataFrame({"township_id": counts["township"].astype("int64"), "month": counts["month"],
                       "complaints": counts["count"].astype("int64")})
    towns = select(Township.id)
    towns = towns.where(in_scope(Township.id, scope))
    present = set(df["township_id"])
    zeros = [(t, month, 0) for (t,) in _rows(engine, towns) if t not in present]
    if zeros:
        df = pd.concat([df, pd.DataFrame(zeros, columns=df.columns)], ignore_index=True)
    return df.astype({"township_id": "int64", "complaints": "int64"})


def _compound_names(engine: Engine, scope: Scope, ids) -> pd.DataFrame:
    c = Compound
    stmt = (select(c.id, c.name, Township.name, Community.name, PropertyCompany.name, ProjectManager.name)
            .join(Township, c.township_id == Township.id).join(Community, c.community_id == Community.id)
            .outerjoin(PropertyCompany, c.company_id == PropertyCompany.id)
            .outerjoin(ProjectManager, c.manager_id == ProjectManager.id)
            .where(c.id.in_([int(i) for i in ids])))
    return pd.DataFrame(_rows(engine, _scoped(stmt, c, scope)),
                        columns=["project_id", "compound", "township", "community", "company", "manager"])


def county_ladder(engine: Engine, month: str, *, top_n: int | None = None,
                  county: str | None = None, cities: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The county's published top list of ``month`` with its ladder (``policy.ladders.complaint_ladder``).

    Ids and numbers only (project_id, rank, complaints, consecutive_months,
    action), the same for every user: the list ranks the whole county. It reads
    36 months of county complaints (1.5 s at 500,000), so pages compute it once
    per month and hand it to :func:`complaint_ranking` and to the compound record.

    In a deployment of several counties with their cities (issue 17) the published list is the
    全市 one (:func:`city_ladder`, one per city, each ranked within its city), so every county
    sees its compounds' city rank; ``county`` gives that county's own list instead. ``cities``: only
    those cities' lists (:func:`ladder_cities` of a scope: the same rows for that scope).
    """
    if county is None:
        all_cities = _deployment_cities(engine)
        if all_cities:  # a city or province deployment publishes the 全市 lists, each ranked within its city
            wanted = [c for c in all_cities if cities is None or c in cities]
            return city_ladders(engine, month, wanted, top_n=top_n).drop(columns="city")
    top_n = int(settings.get(engine, "ranking_top_n")) if top_n is None else int(top_n)
    area = COUNTY if county is None else Scope(county=county)
    return _ladder(engine, ranking_counts(engine, area, month, top_n=top_n), month, top_n)


def ladder_cities(engine: Engine, scope: Scope) -> tuple[str, ...]:
    """The cities whose 全市 lists hold ``scope``'s compounds (:func:`cities_of`; each city's list is
    ranked on its own, so a city's or a county's page needs its city's alone, where a province's
    city overview computed all 16); ``()`` where the deployment publishes one county list."""
    return tuple(cities_of(engine, scope)) if _deployment_cities(engine) else ()


def _deployment_cities(engine: Engine) -> list[str]:
    """The cities of a deployment of several counties ([] for one county, or counties without a city)."""
    counties = _rows(engine, select(County.adcode, County.city_adcode))
    if len(counties) <= 1 or any(c is None for _, c in counties):
        return []
    return sorted({c for _, c in counties})


def _county_areas(engine: Engine, scope: Scope | None = None) -> list[Scope]:
    """The areas townships are judged within: each county of a deployment of several, else the whole.

    With ``scope``, only the areas that hold its townships (a township's ladder is its county's,
    so the other counties' ladders are not needed to answer for the scope)."""
    codes = [a for (a,) in _rows(engine, select(County.adcode))]
    linked = _rows(engine, select(func.count()).select_from(Township).where(Township.county_adcode.is_(None)))
    if len(codes) <= 1 or linked[0][0]:
        return [COUNTY]
    if scope is not None and scope.township_id is not None:
        codes = [a for (a,) in _rows(engine, select(Township.county_adcode).where(Township.id == scope.township_id))]
    if scope is not None and scope.county is not None:
        codes = [a for a in codes if a == scope.county]
    if scope is not None and scope.city is not None:
        codes = [a for a in codes if in_city(a, scope.city)]
    return [Scope(county=a) for a in sorted(codes)]


def township_counts(engine: Engine, scope: Scope, month: str) -> tuple[pd.DataFrame, dict | None]:
    """The township ladders' input for ``scope``: :func:`township_month_counts` of every area of
    :func:`_county_areas` (36 months to ``month``) read in ONE query, and each township's area
    (its county; None where the deployment is one area).

    The ladders take both and judge each township within its county in one pass: a province
    has 136 counties, and one query, then one ladder, per county was most of a cold overview.
    The month's ladder and the quarter's (a quarter ending by ``month``) can share one read."""
    areas = _county_areas(engine, scope)
    if len(areas) == 1:
        return township_month_counts(engine, areas[0], month), None
    wanted = {a.county for a in areas}
    counts = township_month_counts(engine, Scope(city=scope.city), month)
    county_of = {t: c for t, c in _rows(engine, select(Township.id, Township.county_adcode)) if c in wanted}
    return counts[counts["township_id"].isin(county_of.keys())].reset_index(drop=True), county_of


def _ladder(engine: Engine, counts: pd.DataFrame, month: str, top_n: int, *, areas=None) -> pd.DataFrame:
    """The ladder (``policy.ladders.complaint_ladder``) of ``counts`` (:func:`ranking_counts`), with the
    deployment's ladder settings; ``areas``: several areas' counts, each area ranked on its own."""
    return ladders.complaint_ladder(
        counts, month, top_n,
        replace_manager_months=int(settings.get(engine, "ranking_months_replace_manager")),
        replace_company_months=int(settings.get(engine, "ranking_months_replace_company")),
        no_company=_no_company_compounds(engine), areas=areas)


def city_ladder(engine: Engine, month: str, city: str, *, top_n: int | None = None) -> pd.DataFrame:
    """全市 top list of ``month`` (001 §3(3)): the compounds of all the city's counties ranked together.

    The ladder rules are the county list's (``policy.ladders.complaint_ladder``: ties share the
    best rank, consecutive months, the consequences); ``top_n`` defaults to the setting
    ``city_ranking_top_n``. Ids and numbers only, the same for every user of the city.
    """
    return city_ladders(engine, month, [city], top_n=top_n).drop(columns="city")


def city_ladders(engine: Engine, month: str, cities, *, top_n: int | None = None) -> pd.DataFrame:
    """:func:`city_ladder` of each of ``cities``, with a ``city`` column, ordered by city then rank.

    Each city's counts are its own query (ranked in SQL: one query for the province was slower,
    2.9 s against 1.7 s for 16), run a few at a time on PostgreSQL; the ladders are one pass
    over them all: the 16 ladders one at a time were 1.6 s of a province's 6 s overview."""
    top_n = int(settings.get(engine, "city_ranking_top_n")) if top_n is None else int(top_n)
    cities = sorted(set(cities))

    def city_counts(city: str) -> pd.DataFrame:
        return ranking_counts(engine, Scope(city=city), month, top_n=top_n).assign(city=city)

    with db.parallel(engine) as submit:  # on PostgreSQL the server's cores rank several cities at once
        counts = [f.result() for f in [submit(city_counts, c) for c in cities]]
    counts = pd.concat(counts, ignore_index=True) if counts else \
        pd.DataFrame(columns=["project_id", "month", "complaints", "city"])
    city_of = dict(zip(counts["project_id"], counts["city"]))
    table = _ladder(engine, counts, month, top_n, areas=city_of)
    return table.assign(city=table["project_id"].map(city_of))


def cities_of(engine: Engine, scope: Scope) -> list[str]:
    """The cities (adcodes) whose counties ``scope`` touches: its own, its county's, or the deployment's."""
    if scope.city is not None:
        return [scope.city]
    stmt = select(County.city_adcode).where(County.city_adcode.is_not(None)).distinct()
    if scope.county is not None:
        stmt = stmt.where(County.adcode == scope.county)
    elif scope.township_id is not None:
        stmt = stmt.join(Township, Township.county_adcode == County.adcode).where(Township.id == scope.township_id)
    return sorted(r[0] for r in _rows(engine, stmt))


def city_ranking(engine: Engine, scope: Scope, month: str, *, top_n: int | None = None) -> pd.DataFrame:
    """The 全市 top list of ``month``, rows of ``scope`` only: each county sees its compounds' city rank.

    One list per city the scope touches (a province user sees every city's list, each ranked
    within its city). Columns: city, county, rank (the city rank), project_id, compound,
    township, community, company, manager, complaints, consecutive_months, action, actions,
    action_label. Empty when the deployment records no city (one county).
    """
    cols = ["city", "county", "rank", "project_id", "compound", "township", "community", "company", "manager",
            "complaints", "consecutive_months", "action", "actions", "action_label"]
    cities = cities_of(engine, scope)
    ladder = city_ladders(engine, month, cities, top_n=top_n) if cities else pd.DataFrame()
    if ladder.empty:
        return pd.DataFrame(columns=cols)
    out = ladder.merge(_compound_names(engine, scope, ladder["project_id"]), on="project_id", how="inner")
    if out.empty:
        return pd.DataFrame(columns=cols)
    counties = dict(_rows(engine, select(Compound.id, County.name)
                          .join(Township, Compound.township_id == Township.id)
                          .join(County, Township.county_adcode == County.adcode)
                          .where(Compound.id.in_([int(i) for i in out["project_id"]]))))
    out["county"] = out["project_id"].map(counties)
    out["action_label"] = out["actions"].map(actions_label)
    return out[cols].sort_values(["city", "rank", "project_id"]).reset_index(drop=True)


def complaint_ranking(engine: Engine, scope: Scope, month: str, *, top_n: int | None = None,
                      ladder: pd.DataFrame | None = None) -> pd.DataFrame:
    """This month's top list (county ranking) with the ladder action, rows of ``scope`` only.

    ``ladder``: :func:`county_ladder` of ``month`` when the caller has it already.
    Columns: rank, project_id, compound, township, community, company, manager,
    complaints, consecutive_months, action, action_label.
    """
    if ladder is None:
        ladder = county_ladder(engine, month, top_n=top_n, cities=ladder_cities(engine, scope) or None)
    names = _compound_names(engine, scope, ladder["project_id"])
    out = ladder.merge(names, on="project_id", how="inner")  # inner: drops rows outside the scope
    out["action_label"] = out["actions"].map(actions_label)
    cols = ["rank", "project_id", "compound", "township", "community", "company", "manager", "complaints",
            "consecutive_months", "action", "actions", "action_label"]
    return out[cols].sort_values(["rank", "project_id"]).reset_index(drop=True)


def _scope_rows_of_ladder(engine: Engine, scope: Scope, table: pd.DataFrame) -> pd.DataFrame:
    """A county-wide township ladder cut to ``scope``'s rows, with names and ``action_label``.

    Townships are judged against all others; a township user sees only their own line.
    """
    towns = select(Township.id, township_label(engine, scope)).where(in_scope(Township.id, scope))
    names = pd.DataFrame(_rows(engine, towns), columns=["township_id", "township"])
    out = names.merge(table, on="township_id", how="inner")
    out["action_label"] = out["actions"].map(actions_label)
    if "basis" in out.columns and (out["basis"] == ladders.BASIS_SCORE).any():
        return out.sort_values(["score", "township_id"], na_position="last").reset_index(drop=True)
    return out.sort_values(["yoy_change", "township_id"], ascending=[False, True],
                           na_position="last").reset_index(drop=True)


def township_ranking(engine: Engine, scope: Scope, month: str, *, counts=None) -> pd.DataFrame:
    """Township ladder of ``month`` against all townships, rows of ``scope`` only, with names.

    ``counts``: :func:`township_counts` of ``scope`` and ``month``, if the caller has them."""
    counts, areas = township_counts(engine, scope, month) if counts is None else counts
    table = ladders.township_ladder(counts, month, data_from=data_from(engine), areas=areas)
    return _scope_rows_of_ladder(engine, scope, table)


def township_quarter_ranking(engine: Engine, scope: Scope, quarter: str, *, counts=None) -> pd.DataFrame:
    """Quarterly last place (``policy.ladders.township_quarter_ladder``) against all townships,
    rows of ``scope`` only, with names and ``action_label``.

    ``counts``: :func:`township_counts` of ``scope`` and a month from the quarter's last to a
    year after it (the ladder reads the quarter, its year-earlier months and the 3 quarters before)."""
    last = ladders.quarter_months(quarter)[-1]
    if counts is not None and len(counts[0]) and \
            not last <= counts[0]["month"].max() <= ladders.shift_month(last, 12):
        counts = None  # they do not reach back far enough, or not to the quarter
    counts, areas = township_counts(engine, scope, last) if counts is None else counts
    scores = _township_scores(engine)
    if scores is not None:  # the scope's counties' scores only: their townships are last among themselves
        scores = scores[scores["township_id"].isin(counts["township_id"])]
    table = ladders.township_quarter_ladder(counts, quarter, data_from=data_from(engine), scores=scores,
                                            areas=areas)
    return _scope_rows_of_ladder(engine, scope, table)


def _township_scores(engine: Engine) -> pd.DataFrame | None:
    """Stored township assessment scores (考核成绩), or None before any are stored."""
    from data.queries.register import township_scores

    return township_scores(engine)


def target_progress(engine: Engine, scope: Scope, period: Period, flt: ComplaintFilter = ALL,
                    target=None) -> pd.DataFrame:
    """``policy.targets.target_table`` for the months of the period, in the scope.

    ``target`` defaults to the setting ``complaint_reduction_target`` (0.30).
    """
    target = settings.get(engine, "complaint_reduction_target") if target is None else target
    months = _period_months(period)
    first_year = Period.months(f"{months[0][:4]}-01", months[-1])
    now = monthly_counts(engine, scope, first_year, flt)
    before = monthly_counts(engine, scope, first_year.shift_years(-1), flt)
    counts = dict(zip(now["month"], now["complaints"])) | dict(zip(before["month"], before["complaints"]))
    return targets.target_table(counts, months[0], months[-1], target, data_from=data_from(engine))


# --------------------------------------------------------------------------- records

RECORD_COLUMNS = ["order_no", "received_at", "category", "content", "address", "lon", "lat", "township",
                  "community", "compound", "match_method", "department", "status", "closed_at",
                  "satisfaction", "complainant_name", "complainant_phone", "status_notes", "match_confidence",
                  "compound_name"]


def complaint_records(engine: Engine, scope: Scope, period: Period, flt: ComplaintFilter = ALL, *,
                      unmatched_only: bool = False, limit: int | None = None) -> pd.DataFrame:
    """Work orders in the scope and period, newest first, with place names; complainants masked."""
    c = Complaint
    stmt = (select(c.order_no, c.received_at, c.category, c.content, c.address, c.lon, c.lat, Township.name,
                   Community.name, Compound.name, c.match_method, c.department, c.status, c.closed_at,
                   c.satisfaction, c.complainant_name, c.complainant_phone, c.status_notes, c.match_confidence,
                   c.compound_name)
            .outerjoin(Township, c.township_id == Township.id)
            .outerjoin(Community, c.community_id == Community.id)
            .outerjoin(Compound, c.compound_id == Compound.id))
    stmt = flt.apply(_complaint_window(stmt, scope, period))
    if unmatched_only:
        stmt = stmt.where(c.compound_id.is_(None))
    stmt = stmt.order_by(c.received_at.desc(), c.order_no)
    if limit is not None:
        stmt = stmt.limit(limit)
    df = pd.DataFrame(_rows(engine, stmt), columns=RECORD_COLUMNS)
    df["complainant_name"] = df["complainant_name"].map(mask_name, na_action="ignore")
    df["complainant_phone"] = df["complainant_phone"].map(mask_phone, na_action="ignore")
    for col in ("content", "address"):  # phones inside free text, masked like the phone column (issue 13)
        df[col] = df[col].map(mask_phones_in_text)
    return df


def unmatched(engine: Engine, scope: Scope, period: Period | None = None, *, limit: int | None = 5000
              ) -> pd.DataFrame:
    """The 未匹配 queue: complaints with no compound, newest first (masked).

    Without a period: everything ever imported. A township scope sees only
    unmatched complaints known to be in that township; ones with no township
    at all are seen county-wide only.
    """
    if period is None:
        period = Period(date(2000, 1, 1), date(2100, 1, 1))
    return complaint_records(engine, scope, period, unmatched_only=True, limit=limit)


def _matcher(session: Session, scope: Scope):
    """A name matcher over the compounds in ``scope`` (with stored and learned aliases)."""
    import re

    from data.importers.matching import CompoundMatcher
    from data.schema import CompoundAlias

    engine = session.get_bind()
    rows = session.execute(_scoped(select(Compound.id, Compound.name, Compound.aliases, Compound.address,
                                          Compound.township_id, Compound.geometry), Compound, scope)).all()
    ids = {r.id for r in rows}
    aliases = [(r.id, a) for r in rows for a in re.split(r"[、,，;；/\s]+", r.aliases or "") if a.strip()]
    aliases += [(cid, a) for cid, a in session.execute(select(CompoundAlias.compound_id, CompoundAlias.alias))
                if cid in ids]
    towns = [n for (n,) in session.execute(select(Township.name))]
    return CompoundMatcher(rows, aliases=aliases, prefixes=[settings.get(engine, "county_name"), *towns],
                           nearest_m=float(settings.get(engine, "match_nearest_m")),
                           threshold=float(settings.get(engine, "match_name_threshold")))


def match_candidates(engine: Engine, scope: Scope, order_no: str, *, limit: int = 3) -> list:
    """The best ``limit`` compounds (in ``scope``) for one work order of the queue, with their scores.

    Reads the order's 小区名称 as written, its address and its content; an order whose point
    fell between compounds also gets the compounds within 500 m (score falling with distance).
    Returns ``data.importers.matching.Candidate`` objects (compound_id, name, score 0–100), best first."""
    from data.importers.matching import Candidate

    with Session(engine) as s:
        row = s.execute(_scoped(select(Complaint).where(Complaint.order_no == str(order_no)), Complaint,
                                scope)).scalar()
        if row is None:
            return []
        matcher = _matcher(s, scope)
    cands = matcher.candidates([row.compound_name, row.address, row.content], row.township_id, limit=limit)
    if row.lon is not None and row.lat is not None:
        seen = {c.compound_id for c in cands}
        near = [Candidate(cid, matcher.compounds[cid].name, round(100.0 * (1 - d / 1000.0), 1))
                for cid, d in matcher.nearby(row.lon, row.lat, max_m=500.0, limit=limit) if cid not in seen]
        cands = sorted(cands + near, key=lambda c: -c.score)[:limit]
    return cands


def assign_compound(engine: Engine, scope: Scope, order_no: str, compound_id: int, *, actor=None,
                    learn_alias: str | bool | None = None) -> None:
    """Match one unmatched complaint to a compound by hand (the queue on the data page).

    Both the complaint and the compound must be inside ``scope``; the
    complaint takes the compound's community and township (method 地址, confidence 1).
    ``learn_alias``: a name to remember as an alias of the compound (``True``: the
    order's own 小区名称 as imported, else its address) so the next import matches it
    (table ``compound_alias``).
    With ``actor`` (an Account or username) the change is audited in the same transaction.
    """
    from datetime import datetime

    from data.schema import CompoundAlias

    with Session(engine) as s, s.begin():
        comp = s.execute(_scoped(select(Compound).where(Compound.id == int(compound_id)), Compound, scope)).scalar()
        row = s.execute(_scoped(select(Complaint).where(Complaint.order_no == str(order_no)), Complaint,
                                scope)).scalar()
        if comp is None or row is None:
            raise ScopeError("工单或小区不在您的管辖范围内")
        before = row.compound_id
        s.execute(update(Complaint).where(Complaint.id == row.id).values(
            compound_id=comp.id, community_id=comp.community_id, township_id=comp.township_id,
            match_method="地址", match_confidence=1.0))
        aggregates.refresh_months(s, [aggregates.month_of(row.received_at)])  # the month's counts move with it
        alias = None
        if learn_alias is True:
            alias = row.compound_name or row.address
        elif isinstance(learn_alias, str):
            alias = learn_alias
        alias = (alias or "").strip()[:100]
        if alias and alias != comp.name and s.scalar(select(CompoundAlias.id).where(
                CompoundAlias.compound_id == comp.id, CompoundAlias.alias == alias)) is None:
            who = getattr(actor, "username", actor)
            s.add(CompoundAlias(compound_id=comp.id, alias=alias, source="手工确认", created_at=datetime.now(),
                                created_by=str(who)[:50] if who else None))
        else:
            alias = None
        if actor is not None:
            from data import audit

            audit.record(s, actor, "edit", f"工单 {row.order_no}", scope, field="compound",
                         before=before, after=comp.id, compound=comp.name, **({"alias": alias} if alias else {}))


def learned_aliases(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Aliases learned from the queue for compounds in ``scope``: ``id``, ``alias``, ``compound``,
    ``created_by``, ``created_at`` — newest first, so a wrong confirmation can be taken back."""
    from data.schema import CompoundAlias

    stmt = _scoped(select(CompoundAlias.id, CompoundAlias.alias, Compound.name, CompoundAlias.created_by,
                          CompoundAlias.created_at).join(Compound, Compound.id == CompoundAlias.compound_id),
                   Compound, scope).order_by(CompoundAlias.id.desc())
    return pd.DataFrame(_rows(engine, stmt), columns=["id", "alias", "compound", "created_by", "created_at"])


def delete_alias(engine: Engine, scope: Scope, alias_id: int, *, actor=None) -> None:
    """Forget one learned alias (its compound inside ``scope``); audited. Matches already made stay."""
    from data import permissions
    from data.schema import CompoundAlias

    permissions.authorize(actor, permissions.IMPORT)
    with Session(engine) as s, s.begin():
        row = s.execute(_scoped(select(CompoundAlias, Compound.name).join(Compound, Compound.id ==
                                                                          CompoundAlias.compound_id)
                                .where(CompoundAlias.id == int(alias_id)), Compound, scope)).first()
        if row is None:
            raise ScopeError("别名不在您的管辖范围内")
        alias, name = row
        s.delete(alias)
        if actor is not None:
            from data import audit

            audit.record(s, actor, "edit", f"小区别名 {alias.alias}", scope, field="alias", before=alias.alias,
                         after=None, compound=name)
