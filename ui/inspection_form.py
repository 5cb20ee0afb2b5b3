"""The spot-check checklist form: every item explicitly 未检查 / 合格 / 不合格, nothing dropped.

Each item starts 未检查 (an unticked box is not a pass); a 不合格 needs a note;
a note on a passed item is kept as a remark. The rules are
``policy.inspection.check_item_marks``, applied again in the data layer.
After a save the page reruns, so the table above shows the new verdict at once,
and the 整改期限 is shown and can be changed.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data import settings
from data.queries import inspection as iq
from policy.inspection import ITEM_STATES, VERDICTS
from ui import cache_inspection as cache
from ui.text import md_escape, t

UNCHECKED = ITEM_STATES[0]


def _state(passed) -> str:
    if passed is None or pd.isna(passed):
        return UNCHECKED
    return ITEM_STATES[1] if bool(passed) else ITEM_STATES[2]


def show_checklist_form(engine, scope, result_id: int, results: pd.DataFrame, *, actor, today: date) -> None:
    flash = st.session_state.pop("insp_flash", None)
    if flash:
        st.success(flash)
    items = iq.result_items(engine, scope, result_id, actor=actor)
    row = results[results["result_id"] == result_id]
    due = row["rectification_due"].iloc[0] if len(row) else None
    checked = row["checked_at"].iloc[0] if len(row) else None
    if due is not None and pd.notna(due):
        st.info(t("insp_due_now").format(due=pd.Timestamp(due).strftime("%Y-%m-%d")),
                icon=":material/event:")
    shown = pd.DataFrame({"item_id": items["item_id"], "code": items["code"], "name": items["name"],
                          "state": [_state(p) for p in items["passed"]],
                          "note": items["note"].fillna("").astype(str)})
    days = int(settings.get(engine, "inspection_rectification_days"))
    with st.form(f"insp_result_form_{result_id}"):
        edited = st.data_editor(
            shown, disabled=["item_id", "code", "name"], hide_index=True, key=f"insp_items_{result_id}",
            column_config={
                "item_id": None,
                "code": st.column_config.TextColumn(t("insp_item_code"), width="small"),
                "name": st.column_config.TextColumn(t("insp_item_name"), width="medium"),
                "state": st.column_config.SelectboxColumn(t("insp_item_state"), options=list(ITEM_STATES),
                                                          required=True, width="small"),
                "note": st.column_config.TextColumn(t("insp_item_note"), width="large",
                                                    help=t("insp_item_note_help")),
            })
        c1, c2, c3 = st.columns(3)
        checked_at = c1.date_input(t("insp_checked_at"), checked if checked is not None and pd.notna(checked)
                                   else today, key=f"insp_checked_at_{result_id}")
        rectify_by = c2.date_input(t("insp_due"), due if due is not None and pd.notna(due)
                                   else today + timedelta(days=days), key=f"insp_due_{result_id}",
                                   help=t("insp_due_help").format(days=days))
        verdict = c3.selectbox(t("insp_verdict"), [None, *VERDICTS], key=f"insp_verdict_{result_id}",
                               format_func=lambda v: t("insp_auto") if v is None else v)
        if st.form_submit_button(t("insp_save"), type="primary"):
            marks = {int(r.item_id): (r.state, r.note if isinstance(r.note, str) else None)
                     for r in edited.itertuples()}
            failed = any(state == ITEM_STATES[2] for state, _ in marks.values())
            try:
                done = iq.record_result(engine, scope, result_id, items=marks, checked_at=checked_at,
                                        actor=actor, verdict=verdict,
                                        rectification_due=rectify_by if failed or verdict not in (None, "合格")
                                        else None)
            except (ValueError, PermissionError) as exc:
                st.error(md_escape(str(exc)))
            else:
                cache.clear()
                st.session_state["insp_flash"] = t("insp_saved").format(verdict=done)
                st.rerun()  # the table above shows the new verdict now, not after a reload


def draw_preview(eligible: pd.DataFrame, n, *, stratify: bool, team_size: int, staff: pd.DataFrame) -> None:
    """What the draw will do, before it is recorded: how many, from where, with whom.

    The picks themselves are not previewed: a draw is made once, when confirmed,
    and recorded with its seed, so nobody can preview until the list suits them.
    """
    from fractions import Fraction

    from policy.inspection import count_for_share, largest_remainder

    total = len(eligible)
    count = count_for_share(total, n) if isinstance(n, Fraction) else min(int(n), total)
    active = int(staff["active"].sum()) if len(staff) else 0
    st.info(t("insp_preview").format(n=count, total=total, teams=count, size=team_size, staff=active),
            icon=":material/preview:")
    if stratify and total and "township" in eligible.columns:
        sizes = eligible.groupby("township").size().to_dict()
        alloc = largest_remainder(sizes, count)
        st.dataframe(pd.DataFrame({t("insp_preview_town"): list(sizes), t("insp_preview_eligible"): list(sizes.values()),
                                   t("insp_preview_drawn"): [alloc[k] for k in sizes]}),
                     hide_index=True, width="stretch")
    st.caption(t("insp_preview_note"))
