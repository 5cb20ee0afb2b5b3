"""总览: the figures of the county overview for one scope and period, in one call.

The overview page shows KPI tiles, township alerts and tables that come from
several rules (DOMAIN.md rules 1, 2, 5 and 6). Gathering them here keeps the
page a thin layout and lets tests and the benchmark call exactly what the page
shows. Everything is read within the caller's scope; the two ladders rank
against the whole county, as :mod:`data.queries.complaint_stats` does.

"This month" is the last calendar month of the period; "the latest quarter" is
the latest evaluated quarter that has begun by the end of the period; the
quarterly township ladder reads the last quarter complete by the end of "this month".
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.orm import Session

from data import db, settings
from data.queries import complaint_counts, in_scope, township_label
from data.queries import complaint_stats as cs
from data.queries import evaluation as ev
from data.schema import Compound, Township
from data.scope import Period, Scope
from policy import ladders, ratings, targets

__all__ = ["Overview", "overview", "township_table", "alerts", "latest_quarter", "ALERT_ORDER",
           "QUARTER_ORDER"]

# Most severe first: the order alerts are shown in.
ALERT_ORDER = (ladders.COLLECTIVE_TALK, ladders.PUBLIC_COMMITMENT, ladders.REMINDER)
QUARTER_ORDER = (ladders.STANDING_COMMITTEE, ladders.EXECUTIVE_MEETING)

TOWNSHIP_COLUMNS = ["township_id", "township", "compounds", "households", "households_unknown", "complaints", "per_100",
                    "month_complaints", "last_year", "yoy_change", "yoy_pct", "consecutive_rises",
                    "ladder_action", "action", "actions", "comparable"]


@dataclass
class Overview:
    """What the 总览 page shows for one scope and period."""

    month: str                     # "YYYY-MM", the period's last month
    month_complaints: int          # complaints in ``month`` in the scope
    month_last_year: int           # the same month a year earlier
    target: targets.TargetStatus   # year to date (Jan..month) against the same months last year
    target_table: pd.DataFrame     # policy.targets.target_table, months of the period
    top_list: pd.DataFrame         # complaint_stats.complaint_ranking rows in the scope
    quarter: str | None            # latest evaluated quarter (None: no evaluations yet)
    black_list: pd.DataFrame       # evaluation.quarter_lists rows on 黑榜 in ``quarter``
    townships: pd.DataFrame        # township_table: figures of the period and the ladder of ``month``
    ladder_quarter: str | None = None       # the quarter of the quarterly ladder
    quarter_alerts: pd.DataFrame = None     # its townships in last place (township_quarter_ranking rows)
    alerts: pd.DataFrame = None    # townships with a ladder action, most severe first (see alerts())
    data_from: str | None = None   # first month of complete complaint data (不可比 before a year after it)

    def __post_init__(self):
        if self.alerts is None:
            self.alerts = alerts(self.townships)
        if self.quarter_alerts is None:
            self.quarter_alerts = pd.DataFrame(columns=["township", "yoy_change", "times_last", "action"])

    @property
    def month_comparable(self) -> bool:
        """Whether ``month`` has a complete year-earlier month."""
        return ladders.comparable(self.month, self.data_from)

    @property
    def not_comparable_months(self) -> list[str]:
        """Months of the period without complete year-earlier data (不可比)."""
        table = self.target_table
        if "comparable" not in table.columns:
            return []
        return table.loc[~table["comparable"].astype(bool), "month"].tolist()

    @property
    def repeat_top(self) -> int:
        """Compounds of the top list that have been in it 2 months or more running."""
        return int((self.top_list["consecutive_months"] >= 2).sum()) if len(self.top_list) else 0


def alerts(townships: pd.DataFrame) -> pd.DataFrame:
    """One row per township and ladder action it owes (a township owing both the public
    commitment and the collective talk appears under each), most severe action first."""
    t = townships.copy()
    if "actions" in t.columns:
        t["action"] = t["actions"].map(lambda a: [x for x in a if x in ALERT_ORDER] or [ladders.NONE])
        t = t.explode("action")
    t = t[t["action"].isin(ALERT_ORDER)].copy()
    t["_order"] = t["action"].map({a: i for i, a in enumerate(ALERT_ORDER)})
    return (t.sort_values(["_order", "yoy_change", "township"], ascending=[True, False, True])
            .drop(columns="_order").reset_index(drop=True))


def latest_quarter(engine: Engine, period: Period) -> str | None:
    """The latest evaluated quarter that starts before the period ends (else the earliest one)."""
    qs = ev.quarters(engine)
    if not qs:
        return None
    last = period.last_month().start
    end = ratings.quarter_index(f"{last.year:04d}-Q{(last.month - 1) // 3 + 1}")
    before = [q for q in qs if ratings.quarter_index(q) <= end]
    return before[-1] if before else qs[0]


def _township_sizes(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Every township of the scope with its compounds and households (0 where it has none)."""
    on = Compound.township_id == Township.id
    if scope.community_id is not None:
        on = and_(on, Compound.community_id == scope.community_id)
    unknown = func.sum(case((and_(Compound.id.is_not(None), Compound.households.is_(None)), 1), else_=0))
    label = township_label(engine, scope)
    stmt = (select(Township.id, label, func.count(Compound.id),
                   func.coalesce(func.sum(Compound.households), 0), func.coalesce(unknown, 0))
            .outerjoin(Compound, on).group_by(Township.id, label))
    stmt = stmt.where(in_scope(Township.id, scope))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    df = pd.DataFrame(rows, columns=["township_id", "township", "compounds", "households", "households_unknown"])
    return df.astype({"township_id": "int64", "compounds": "int64", "households": "int64",
                      "households_unknown": "int64"})


def _complaints_at_unknown_households(engine: Engine, scope: Scope, period: Period) -> pd.Series:
    """Per township, complaints of the period at compounds whose 户数 is not reported (未填报):
    they are left out of the per-100-households rate, as their households are."""
    by_compound = complaint_counts(engine, scope, period, by="compound").dropna(subset=["compound"])
    with Session(engine) as s:
        unknown = dict(s.execute(select(Compound.id, Compound.township_id)
                                 .where(Compound.households.is_(None))).all())
    hit = by_compound[by_compound["compound"].isin(list(unknown))]
    return hit.assign(township_id=hit["compound"].map(unknown)).groupby("township_id")["count"].sum()


def township_table(engine: Engine, scope: Scope, period: Period, month: str | None = None, *,
                   ladder_counts=None) -> pd.DataFrame:
    """One row per township of the scope: compounds, households, complaints of the period and
    per 100 households, beside the township ladder of ``month`` (default the period's last).

    Ladder columns: ``month_complaints``, ``last_year``, ``yoy_change``, ``yoy_pct``,
    ``consecutive_rises``, ``action`` and ``ladder_action`` (its words). Ordered as the
    ladder ranks: largest year-on-year rise first. ``ladder_counts``: ``complaint_stats.township_counts``
    of ``month``, if the caller has them.
    """
    month = month or period.last_month().label()
    sizes = _township_sizes(engine, scope)
    counts = complaint_counts(engine, scope, period, by="township").rename(
        columns={"township": "township_id", "count": "complaints"})
    # orders with no township yet (unmatched, no coordinates) belong to no row; an all-null key is object dtype
    counts = counts.dropna(subset=["township_id"]).astype({"township_id": "int64"})
    ladder = cs.township_ranking(engine, scope, month, counts=ladder_counts).rename(
        columns={"complaints": "month_complaints"}).drop(columns=["township", "action_label"])
    out = (sizes.merge(counts, on="township_id", how="left")
           .merge(ladder, on="township_id", how="left"))
    out["complaints"] = out["complaints"].fillna(0).astype("int64")
    known = out["complaints"]
    if (out["households_unknown"] > 0).any():  # 户数未填报: their complaints leave the rate with them
        known = known - out["township_id"].map(_complaints_at_unknown_households(engine, scope, period)).fillna(0)
    out["per_100"] = (known / out["households"].where(out["households"] > 0) * 100).round(1)
    for col in ("month_complaints", "consecutive_rises"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("last_year", "yoy_change"):  # NA: not comparable (不可比), never 0
        out[col] = pd.array(out[col], dtype="Int64")
    out["action"] = out["action"].fillna(ladders.NONE)
    out["actions"] = out["actions"].map(lambda a: a if isinstance(a, tuple) else ())
    out["comparable"] = out["comparable"].fillna(False).astype(bool)
    out["ladder_action"] = out["actions"].map(cs.actions_label)
    out["yoy_pct"] = pd.to_numeric(out["yoy_pct"], errors="coerce").round(4)
    out = out.sort_values(["yoy_change", "per_100", "township_id"], ascending=[False, False, True],
                          na_position="last")
    return out[TOWNSHIP_COLUMNS].reset_index(drop=True)


def overview(engine: Engine, scope: Scope, period: Period, *, ladder: pd.DataFrame | None = None,
             lists_of=None) -> Overview:
    """Every figure of the overview page for ``scope`` and ``period``.

    ``ladder``: the last month's ``complaint_stats.county_ladder``, if the caller keeps it.
    ``lists_of``: ``quarter -> evaluation.quarter_lists(engine, scope, quarter)``, if the caller
    keeps them (they depend on the quarter only, and read the whole evaluation window).
    """
    month = period.last_month().label()
    ladder_quarter = ladders.last_complete_quarter(month)
    with db.parallel(engine) as submit:  # independent reads: at once on PostgreSQL
        progress = submit(cs.target_progress, engine, scope, period)
        top_list = submit(cs.complaint_ranking, engine, scope, month, ladder=ladder)
        ladder_counts = submit(cs.township_counts, engine, scope, month)  # the month's and the quarter's ladders
        quarter = latest_quarter(engine, period)
        black = pd.DataFrame(columns=["compound_id", "compound", "township", "score", "black_count",
                                      "consequence"])
        if quarter is not None:
            lists = lists_of(quarter) if lists_of is not None else ev.quarter_lists(engine, scope, quarter)
            black = lists[lists["list"] == ratings.BLACK].reset_index(drop=True)
        townships = submit(township_table, engine, scope, period, month, ladder_counts=ladder_counts.result())
        by_quarter = cs.township_quarter_ranking(engine, scope, ladder_quarter, counts=ladder_counts.result())
        by_quarter = by_quarter[by_quarter["action"].isin(QUARTER_ORDER)].reset_index(drop=True)
    table = progress.result()
    last = table.iloc[-1]
    target = targets.target_status(int(last["ytd"]), int(last["ytd_last_year"]),
                                   settings.get(engine, "complaint_reduction_target"),
                                   comparable=bool(last["ytd_comparable"]))
    return Overview(month=month, month_complaints=int(last["complaints"]),
                    month_last_year=int(last["last_year"]), target=target, target_table=table,
                    top_list=top_list.result(), quarter=quarter,
                    black_list=black, townships=townships.result(),
                    ladder_quarter=ladder_quarter, quarter_alerts=by_quarter, data_from=cs.data_from(engine))
