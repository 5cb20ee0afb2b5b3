"""The 总览 page's panels: KPI tiles, township alerts in words, and the tables with their downloads.

Each takes the cached :class:`data.queries.overview.Overview` (or the compound
frame) and only lays it out, so ``pages/home.py`` stays a page of one idea.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data.queries.overview import ALERT_ORDER, QUARTER_ORDER
from ui import state as state
from ui.text import action_text, headers, md_escape, t, yes_no
from data import settings
from policy.coverage import coverage, coverage_by_township, townships_below

OFF = {"delta_color": "off", "delta_arrow": "off"}
TOP_COLUMNS = ["rank", "compound", "township", "community", "company", "manager", "complaints",
               "consecutive_months", "ladder_action"]
BLACK_COLUMNS = ["compound", "township", "community", "company", "score", "satisfaction", "black_count",
                 "consequence"]


def show_tiles(compounds: pd.DataFrame, ov, period, *, top_n: int, period_total: int | None = None,
               coverage_figures: tuple | None = None) -> None:
    """Twelve tiles, four a row (six crowd the labels and notes into ellipses).

    ``period_total``: all work orders of the scope in the period (matched to a compound or not).
    ``coverage_figures``: ``(coverage, coverage_by_township)`` of ``compounds`` when the caller
    keeps them (``ui.cache.load_coverage``); computed here otherwise.
    """
    tiles = [tile for _ in range(3) for tile in st.columns(4)]
    tiles[0].metric(t("kpi_compounds"), f"{len(compounds):,}")
    hh = compounds["households"]
    hh_unknown = int(hh.isna().sum()) if len(compounds) else 0
    tiles[1].metric(t("kpi_households"), f"{int(hh.sum(skipna=True)):,}" if hh_unknown < len(compounds) else "—",
                    t("kpi_not_reported").format(n=hh_unknown) if hh_unknown else None, **OFF)
    if ov is not None:
        # one definition for every complaint count: all work orders of the scope received in the
        # period (by 受理时间), whether or not matched to a compound — as 诉求分析 counts them
        total = int(period_total) if period_total is not None else int(compounds["complaints"].sum())
        unmatched = max(total - int(compounds["complaints"].sum()), 0)
        tiles[2].metric(t("kpi_complaints_period"), f"{total:,}",
                        t("kpi_unmatched").format(n=unmatched) if unmatched else None, **OFF,
                        help=t("kpi_complaints_period_help").format(period=period.label(), n=unmatched))
        before = ov.month_last_year
        tiles[3].metric(f"{t('kpi_complaints_month')} {ov.month}", f"{ov.month_complaints:,}",
                        f"{(ov.month_complaints - before) / before:+.1%}" if before and ov.month_comparable
                        else None, delta_color="inverse",
                        help=t("kpi_complaints_month_help").format(month=ov.month))
        tg, goal = ov.target, f"{float(ov.target.target):.0%}"
        note = (t("kpi_target_not_comparable").format(start=ov.data_from) if not tg.comparable
                else t("kpi_target_no_base") if tg.change is None else t("kpi_target_met").format(target=goal)
                if tg.met else t("kpi_target_gap").format(target=goal, gap=tg.gap))
        tiles[4].metric(t("kpi_target_progress"), "—" if tg.change is None else f"{float(tg.change):+.1%}",
                        note, **OFF, help=t("kpi_target_help").format(
                            first=f"{ov.month[:4]}-01", month=ov.month, now=tg.current, before=tg.baseline))
        tiles[5].metric(t("kpi_top_list"), f"{len(ov.top_list):,}",
                        t("kpi_top_repeat").format(n=ov.repeat_top), **OFF,
                        help=t("kpi_top_help").format(month=ov.month, top=top_n))
        tiles[6].metric(t("kpi_black_list"), f"{len(ov.black_list):,}" if ov.quarter else "—",
                        t("kpi_black_quarter").format(quarter=ov.quarter) if ov.quarter
                        else t("kpi_no_quarter"), **OFF)
    targets = coverage_targets()
    indicators, by_town = coverage_figures or (coverage(compounds, **targets),
                                               coverage_by_township(compounds, **targets))
    below = townships_below(by_town, "smart") if len(compounds) else []
    for col, key in zip(tiles[7:], ("service", "no_owners_body", "party_full_time", "smart")):
        ind = indicators[key]
        value = f"{ind.count:,}" if ind.target is None else (
            "—" if ind.share is None else f"{float(ind.share):.1%}")
        parts = [] if ind.target is None else [f"{t('kpi_target')} {float(ind.target):.0%}"]
        if key == "smart" and below:  # 各镇街辖区内: the county share hides a township below target
            parts = [t("kpi_smart_below").format(target=f"{float(ind.target):.0%}", n=len(below))]
        if ind.unknown:  # left out of the denominator: say how many
            parts.append(t("kpi_not_reported").format(n=ind.unknown))
        col.metric(t(f"kpi_{key}"), value, " · ".join(parts) or None, **OFF,
                   help=t(f"kpi_{key}_help").format(base=ind.total, unknown=ind.unknown))

def show_briefing(engine, scope, month: str) -> None:
    """月度通报 as Word and PDF, made only when clicked (maps and LibreOffice take seconds); audited."""
    from data.documents.briefing import briefing_docx
    from data.documents.pdf import docx_to_pdf, soffice

    account = state.current_user()  # read now: the file is made at the click, without session state

    def docx() -> bytes:
        return briefing_docx(engine, scope, month, actor=account, log=False).docx

    left, right, _ = st.columns([1, 1, 3])
    with left:
        state.download(t("briefing_docx"), docx, file_name=f"月度通报_{month}.docx", key="briefing_docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    if soffice() is None:  # no LibreOffice on this server: Word only
        right.caption(t("briefing_no_pdf"))
    else:
        with right:
            state.download(t("briefing_pdf"), lambda: docx_to_pdf(docx()), file_name=f"月度通报_{month}.pdf",
                           key="briefing_pdf", mime="application/pdf")
    st.caption(t("briefing_help").format(month=month))


def coverage_targets() -> dict:
    """The coverage targets from settings (party_branch_target, smart_property_target,
    owners_committee_min_party_members)."""
    e = state.engine()
    return {"party_target": settings.get(e, "party_branch_target"),
            "smart_target": settings.get(e, "smart_property_target"),
            "min_party_members": int(settings.get(e, "owners_committee_min_party_members"))}


COVERAGE_SHOWN = ("service", "party_full_time", "party_members", "smart", "notice_board")


def coverage_key() -> tuple:
    """The coverage targets as a hashable key (``ui.cache.load_coverage``)."""
    return tuple(sorted(coverage_targets().items()))


def coverage_table(compounds: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per township: each indicator as "share (count/base)", 未达标 marked, unknowns as 未填报 n.

    ``table``: ``coverage_by_township`` of ``compounds`` when the caller keeps it."""
    table = coverage_by_township(compounds, **coverage_targets()) if table is None else table
    out = pd.DataFrame({t("township"): table["township"], headers(["compounds"])["compounds"]: table["compounds"]})
    not_met, unknown = t("cov_not_met"), t("cov_unknown")  # once, not per cell: a province has 1,498 rows

    def cell(total, share, count, met, missing) -> str:
        text = "—" if not total else f"{share:.0%}（{int(count)}/{int(total)}）" + (not_met if met is False else "")
        return text + (unknown.format(n=int(missing)) if missing else "")

    for key in COVERAGE_SHOWN:
        columns = (table[f"{key}_{c}"] for c in ("total", "share", "count", "met", "unknown"))
        out[t(f"cov_{key}")] = [cell(*values) for values in zip(*columns)]
    return out


def show_alerts(ov) -> None:
    """The township ladder of the month in words: one box per action, most severe first."""
    st.markdown(f"##### {t('alerts')} · {ov.month}")
    alerts = ov.alerts
    if not ov.month_comparable:
        st.info(t("alerts_not_comparable").format(month=ov.month, start=ov.data_from),
                icon=":material/block:")
    elif alerts.empty:
        st.success(t("alerts_none").format(month=ov.month), icon=":material/check_circle:")
    boxes = (st.error, st.warning, st.info)
    icons = (":material/campaign:", ":material/record_voice_over:", ":material/notifications:")
    for action, box, icon in zip(ALERT_ORDER, boxes, icons):
        rows = alerts[alerts["action"] == action]
        if len(rows):
            towns = t("alert_sep").join(t("alert_town_run" if r.consecutive_rises > 1 else "alert_town").format(
                town=md_escape(r.township), change=int(r.yoy_change), rises=int(r.consecutive_rises))
                for r in rows.itertuples())
            box(t("alert_line").format(action=action_text(action), n=len(rows), towns=towns), icon=icon)
    for action in QUARTER_ORDER:  # quarterly last place: scores, else the complaint rise stands in
        rows = ov.quarter_alerts[ov.quarter_alerts["action"] == action]
        if len(rows):
            scored = "basis" in rows.columns and rows["basis"].iloc[0] == "score"
            towns = t("alert_sep").join(
                t("alert_quarter_score_town").format(town=md_escape(r.township), score=float(r.score),
                                                     times=int(r.times_last)) if scored else
                t("alert_quarter_town").format(town=md_escape(r.township), change=int(r.yoy_change),
                                               times=int(r.times_last))
                for r in rows.itertuples())
            line = t("alert_quarter_score_line" if scored else "alert_quarter_line").format(
                action=action_text(action), quarter=ov.ladder_quarter, towns=towns)
            st.warning(line if scored else f"{line}  \n{t('alert_quarter_stand_in')}", icon=":material/campaign:")
    if ov.not_comparable_months:
        st.caption(t("not_comparable_note").format(months="、".join(ov.not_comparable_months), start=ov.data_from))
    st.caption(t("alert_rule"))


PERCENT_COLUMNS = ("yoy_pct", "change", "ytd_change")  # fractions (0.2418), shown as 24.2 %

# The tables whose rows select on the map: tab → (what a row is, the id column of its frame)
PICKABLE = {"tab_township_ladder": ("township", "township_id"), "tab_top_list": ("compound", "project_id"),
            "tab_black_list": ("compound", "compound_id")}


def _frames(ov) -> dict:
    return {"tab_township_ladder": ov.townships, "tab_top_list": ov.top_list, "tab_black_list": ov.black_list}


def take_pick(ov) -> tuple[str, int] | None:
    """A row selected in one of the tables since the last run: ``("compound"|"township", id)``.

    Read before the map is drawn (the selection is in session state already), so
    the same run zooms the map to the row and opens its record.
    """
    if ov is None:
        return None
    frames = _frames(ov)
    for name, (kind, column) in PICKABLE.items():
        rows = ((st.session_state.get(f"pick_{name}") or {}).get("selection") or {}).get("rows") or []
        marker = (name, tuple(rows))
        if not rows or st.session_state.get(f"picked_{name}") == marker:
            continue
        st.session_state[f"picked_{name}"] = marker
        frame = frames[name]
        if column in frame.columns and rows[0] < len(frame):
            value = frame.iloc[rows[0]][column]
            if pd.notna(value):
                return kind, int(value)
    return None


def follow_selection(ov, compound_id: int | None) -> None:
    """Linked the other way: a compound selected on the map selects its row in each compound table
    (or clears their selection when it is in none), before the tables are drawn.

    The row becomes the table's remembered pick, so :func:`take_pick` does not take it as a new one.
    """
    if ov is None:
        return
    frames = _frames(ov)
    for name, (kind, column) in PICKABLE.items():
        frame = frames[name]
        if kind != "compound" or column not in frame.columns:
            continue
        hits = [] if compound_id is None else [
            i for i, v in enumerate(frame[column].tolist()) if pd.notna(v) and int(v) == int(compound_id)]
        rows = hits[:1]
        now = ((st.session_state.get(f"pick_{name}") or {}).get("selection") or {}).get("rows") or []
        if list(now) != rows:
            st.session_state[f"pick_{name}"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
        st.session_state[f"picked_{name}"] = (name, tuple(rows))


def register_frames(month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register per township (应落实 / 已落实 / 逾期 / 待落实) for the month's periods and the
    month's check coverage, in the page's scope; the register is synced first (cheap)."""
    from data.queries import register as reg
    from ui import register as rg

    rg.sync(month)
    engine, scope = state.engine(), state.scope()
    return (reg.summary_by_township(engine, scope, periods=rg.periods_of(month)),
            reg.check_coverage(engine, scope, month))


def show_register_line(summary: pd.DataFrame, month: str) -> None:
    """One line under the alerts: what the rules owe this month and how much was carried out."""
    from ui import register as rg

    f = rg.figures(summary)
    box = st.error if f["overdue"] else st.info
    box(t("register_line").format(periods="、".join(dict.fromkeys(rg.periods_of(month))), **f),
        icon=":material/assignment_turned_in:")


def show_tables(ov, compounds: pd.DataFrame | None = None, register: tuple | None = None,
                coverage_figures: tuple | None = None) -> None:
    """Township ladder, top list, black list, target progress and the per-township coverage
    (when ``compounds`` is given), each with its Excel download.

    A row of the ladder, the top list or the black list is selectable: it zooms the map to
    the township or compound and opens the compound's record (:func:`take_pick`).
    """
    target = ov.target_table.assign(met=ov.target_table["met"].map(yes_no),
                                    ytd_met=ov.target_table["ytd_met"].map(yes_no))
    for col in ("comparable", "ytd_comparable"):
        if col in target.columns:
            target[col] = target[col].map(yes_no)
    towns = ov.townships.drop(columns=["township_id", "households", "action", "actions"], errors="ignore")
    if "comparable" in towns.columns:
        towns = towns.assign(comparable=towns["comparable"].map(yes_no))
    tables = [("tab_township_ladder", towns),
              ("tab_top_list", ov.top_list.rename(columns={"action_label": "ladder_action"})[TOP_COLUMNS]),
              ("tab_black_list", ov.black_list.reindex(columns=BLACK_COLUMNS)),
              ("tab_target", target)]
    if compounds is not None:
        tables.append(("tab_coverage", coverage_table(compounds, coverage_figures[1] if coverage_figures else None)))
    if register is not None:
        from ui.tables import labelled

        summary, checks = register
        tables.append(("tab_register", labelled(summary, ["township", "owed", "done", "overdue", "pending"],
                                                prefix="ar_")))
        tables.append(("tab_checks", labelled(checks, ["township", "compounds", "checked", "share", "unannounced",
                                                       "revisits"], prefix="ar_")))
    for tab, (name, frame) in zip(st.tabs([t(n) for n, _ in tables]), tables):
        with tab:
            if name == "tab_township_ladder":
                st.caption(t("township_table_note").format(month=ov.month))
            if name in PICKABLE:
                st.caption(t("pick_row_hint"))
            prelabelled = name in ("tab_coverage", "tab_register", "tab_checks")
            shown = frame if prelabelled else frame.rename(columns=headers(frame.columns))
            # shares as fractions, shown with one decimal as everywhere else (24.2 %, not 24.18 %)
            config = {headers([c])[c]: st.column_config.NumberColumn(format="%.1f%%")
                      for c in PERCENT_COLUMNS if c in frame.columns}
            display = shown.assign(**{headers([c])[c]: shown[headers([c])[c]] * 100
                                      for c in PERCENT_COLUMNS if c in frame.columns})
            config |= {headers([c])[c]: st.column_config.TextColumn(width="medium")
                       for c in ("ladder_action", "consequence") if c in frame.columns}
            pick = {"on_select": "rerun", "selection_mode": "single-row", "key": f"pick_{name}"} \
                if name in PICKABLE else {}
            st.dataframe(display, hide_index=True, width="stretch", column_config=config, **pick)
            label = t(name) if name != "tab_black_list" else f"{t(name)} {ov.quarter or ''}"
            state.download_xlsx(t("download_xlsx"), shown, key=f"dl_{name}", sheet_name=t(name)[:31],
                                file_name=f"{label.strip()}_{ov.month}.xlsx".replace(" ", "_"))
