"""Cached loaders and table helpers of the 诉求分析 page (and the unmatched queue of the data page).

Every loader is keyed by the database URL, the scope as a tuple and the month
or period (plus the page filters as tuples), so no scope is ever served
another's result. Writes call :func:`clear`. Complainants arrive masked from
``data.queries.complaint_stats``; nothing here unmasks them.
"""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from data import db, settings
from data.queries import complaint_stats as cs
from data.queries.duties import duty_matrix
from data.scope import Period, Scope
from ui.cache import PeriodKey, ScopeKey, load_county_ladder, period_key
from ui import tables as _tables
from ui.text import t
from policy import ladders, targets
from ui import cache_version

Filters = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # categories, departments, statuses
RECORD_LIMIT = 5000


def _engine(url: str):
    return db.shared_engine(url)


def _period(p: PeriodKey) -> Period:
    return Period(date.fromisoformat(p[0]), date.fromisoformat(p[1]))


def month_key(month: str) -> PeriodKey:
    return period_key(Period.months(month, month))


@st.cache_data(show_spinner=False)
def load_settings(url: str) -> dict:
    e = _engine(url)
    return {k: settings.get(e, k) for k in ("ranking_top_n", "city_ranking_top_n", "ranking_months_replace_manager",
                                            "ranking_months_replace_company", "complaint_reduction_target")}


@st.cache_data(show_spinner=False)
def load_options(url: str, scope: ScopeKey, period: PeriodKey) -> dict[str, list[str]]:
    return cs.filter_options(_engine(url), Scope(*scope), _period(period))


@st.cache_data(show_spinner=False)
def load_ranking(url: str, scope: ScopeKey, month: str):
    return cs.complaint_ranking(_engine(url), Scope(*scope), month, ladder=load_county_ladder(url, month, scope))


@st.cache_data(show_spinner=False)
def load_township_ladder(url: str, scope: ScopeKey, month: str):
    return cs.township_ranking(_engine(url), Scope(*scope), month)


@st.cache_data(show_spinner=False)
def load_quarter_ladder(url: str, scope: ScopeKey, quarter: str):
    return cs.township_quarter_ranking(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False)
def load_month_target(url: str, scope: ScopeKey, month: str, flt: Filters) -> dict:
    """The month and the year to date against last year, with the goal's gap and progress (0–1)."""
    e = _engine(url)
    goal = settings.get(e, "complaint_reduction_target")
    row = cs.target_progress(e, Scope(*scope), Period.months(month, month), cs.ComplaintFilter(*flt),
                             target=goal).iloc[0].to_dict()
    status = targets.target_status(row["ytd"], row["ytd_last_year"], goal,
                                   comparable=bool(row.get("ytd_comparable", True)))
    done = None if status.change is None else max(0.0, -float(status.change))
    return row | {"goal": float(status.target), "gap": status.gap, "met": status.met,
                  "data_from": cs.data_from(e),
                  "progress": None if done is None else min(1.0, done / float(status.target) if status.target else 1.0),
                  "done": done}


@st.cache_data(show_spinner=False)
def load_trend(url: str, scope: ScopeKey, period: PeriodKey, flt: Filters):
    """``month``, ``complaints``, ``last_year`` and ``goal`` (last year × (1 − target), the goal line)."""
    e = _engine(url)
    goal = float(settings.get(e, "complaint_reduction_target"))
    frame = cs.trend(e, Scope(*scope), _period(period), cs.ComplaintFilter(*flt))
    return frame.assign(goal=(frame["last_year"] * (1 - goal)).round(1))


@st.cache_data(show_spinner=False)
def load_breakdown(url: str, scope: ScopeKey, period: PeriodKey, by: str, flt: Filters):
    out = cs.breakdown(_engine(url), Scope(*scope), _period(period), by, cs.ComplaintFilter(*flt))
    return out.assign(share=(out["share"] * 100).round(1))


@st.cache_data(show_spinner=False)
def load_records(url: str, scope: ScopeKey, period: PeriodKey, flt: Filters):
    return cs.complaint_records(_engine(url), Scope(*scope), _period(period), cs.ComplaintFilter(*flt),
                                limit=RECORD_LIMIT)


@st.cache_data(show_spinner=False)
def load_unmatched(url: str, scope: ScopeKey):
    return cs.unmatched(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_duties(url: str) -> pd.DataFrame:
    matrix = duty_matrix(_engine(url))
    return pd.DataFrame({"category": list(matrix), "duty_department": list(matrix.values())})


def clear() -> None:
    """Forget cached results after a write, in every cache of this process and (through the data
    version) of the others: a write here changes what other pages show too (a fee status
    recolours 总览, a check changes the record panel's last inspection)."""
    cache_version.clear_all()


# --------------------------------------------------------------------------- display helpers
def pct(value, *, sign: bool = True) -> str | None:
    """0.152 → "+15.2%" (ASCII sign, which st.metric reads for the arrow); None/NaN → None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{value * 100:+.1f}%" if sign else f"{value * 100:.0f}%"


def labelled(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return _tables.labelled(frame, columns, prefix="cp_")


def table(frame: pd.DataFrame, columns: list[str], *, name: str, key: str, height: int | None = None,
          title: str | None = None) -> pd.DataFrame:
    """A table with this page's headers and its (stamped, audited) Excel download; returns what was shown."""
    return _tables.table(frame, columns, name=name, key=key, prefix="cp_", empty=t("no_data"), height=height,
                        title=title)


def action_summary(frame: pd.DataFrame) -> str:
    """"通报 55、建议更换项目经理 19、…" in ladder order: every consequence counted (a project in
    its 2nd month is both published and told to replace its manager)."""
    owed = frame["actions"] if "actions" in frame.columns else frame["action"].map(lambda a: (a,))
    counts = pd.Series([a for row in owed for a in row], dtype=object).value_counts()
    order = [ladders.NOTIFY, ladders.REPLACE_MANAGER, ladders.TOWNSHIP_SUPERVISE, ladders.REPLACE_COMPANY,
             ladders.TOWNSHIP_TAKEOVER]
    return "、".join(f"{ladders.ACTION_LABELS[a]} {int(counts[a])}" for a in order if a in counts)


def duty_changes(stored: pd.DataFrame, edited: pd.DataFrame) -> list[tuple[str, str]]:
    """(category, department) pairs of ``edited`` (labelled headers) that differ from ``stored``.

    Raises ValueError (Chinese) before anything is written when a changed row is incomplete.
    """
    before = dict(zip(stored["category"], stored["duty_department"]))
    cat, dept = labelled(stored.head(0), ["category", "duty_department"]).columns
    out = []
    for c, d in zip(edited[cat], edited[dept]):
        c, d = ("" if pd.isna(c) else str(c).strip()), ("" if pd.isna(d) else str(d).strip())
        if (c or d) and before.get(c) != d:
            if not c or not d:
                raise ValueError(f"“{c or d}”：类别和责任部门都不能为空，未保存任何修改")
            out.append((c, d))
    return out


def trend_chart(frame: pd.DataFrame, goal: float):
    """This period, last year and the goal line (dashed), one line each, month on the x axis."""
    import altair as alt

    names = {"complaints": t("cp_this_year"), "last_year": t("cp_last_year"),
             "goal": t("cp_goal_line").format(target=pct(goal, sign=False))}
    long = frame.melt("month", list(names), var_name="series", value_name="count")
    long["series"] = long["series"].map(names)
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("count:Q", title=None),
        color=alt.Color("series:N", title=None, sort=list(names.values()), legend=alt.Legend(orient="top", labelLimit=400)),
        strokeDash=alt.condition(alt.datum.series == names["goal"], alt.value([6, 4]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("month:O", title=t("cp_month")), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("count:Q", title=t("cp_complaints_n"))],
    ).properties(height=320)


def heat_map(url: str, scope: ScopeKey, period: PeriodKey, categories: tuple[str, ...], *, key: str) -> None:
    """Where the period's complaints gather (server-side hexagons, filtered by category) over township outlines.

    The payload is bounded by the area, not by the number of complaints; no
    compounds lie underneath, so the heat shows at every zoom.
    """
    from streamlit_folium import st_folium

    from layers.boundaries import build_boundary_layer, build_label_layer
    from layers.heat import build_heat_layer
    from layers.legend import build_legend
    from layers.maps import make_map
    from ui.cache import load_heat_cells, load_outline

    towns = load_outline(url, "township", scope, "none")
    m = make_map(towns.bounds, height_px=560)
    build_boundary_layer(towns.geojson, level="township", name=t("layer_townships")).add_to(m)
    cells, entries = load_heat_cells(url, scope, period, "none", categories or None)
    build_heat_layer(cells, name=t("cmp_heat")).add_to(m)
    build_label_layer(towns.labels, name=t("layer_township_labels"), m=m).add_to(m)
    build_legend(t("cp_heat_legend"), entries, position="bottomleft").add_to(m)
    st_folium(m, key=key, height=560, use_container_width=True, returned_objects=[])
