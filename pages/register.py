"""问责台账: every consequence the ladders and lists triggered, whether it was carried out,
monthly township checks (月检查) and the township/department assessment scores (考核成绩)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from data import db, permissions
from data.queries import register as reg
from data.scope import ScopeError
from policy import register as R
from ui import cache
from ui import cache_version
from ui import linked
from ui import register as ui
from ui import setup as setup
from ui import state
from ui import todo
from ui.text import t

engine, scope = state.engine(), state.scope()
month = ui.month_of(state.period())
st.title(t("ar_title"))
setup.guard("pages/register.py")  # an empty county: what to import next
st.caption(t("ar_caption"))
if month is None:
    st.info(t("no_data"))
    st.stop()
ui.sync(month)
st.caption(t("ar_month").format(month=month))
ui.show_figures(reg.summary_by_township(engine, scope, periods=ui.periods_of(month)))

tab_items, tab_checks, tab_scores = st.tabs([t("ar_tab_items"), t("ar_tab_checks"), t("ar_tab_scores")])
with tab_items:
    everything = reg.items(engine, scope)
    if "ar_periods" not in st.session_state:  # the month's periods, until the user chooses
        st.session_state["ar_periods"] = [p for p in ui.periods_of(month) if p in set(everything["period"])]
    linked_item = todo.take_link("item", everything["id"])  # from the overview's to-do: that item
    if linked_item is not None:  # an overdue item may be of an older period: show its period too
        old = everything.set_index("id").loc[linked_item, "period"]
        st.session_state["ar_periods"] = sorted({*st.session_state["ar_periods"], old}, reverse=True)
        st.session_state["ar_linked_item"] = linked_item
        st.info(t("todo_item_opened"), icon=":material/assignment_turned_in:")
    c = st.columns(4)
    periods = c[0].multiselect(t("ar_f_period"), sorted(set(everything["period"]), reverse=True),
                               key="ar_periods", placeholder=t("ar_all"))
    states = c[1].multiselect(t("ar_f_state"), list(R.STATES), key="ar_states", placeholder=t("ar_all"))
    rules = c[2].multiselect(t("ar_f_rule"), list(R.RULES), format_func=R.RULES.get, key="ar_rules",
                             placeholder=t("ar_all"))
    towns = sorted({x for x in everything["township"].dropna()})
    chosen_towns = c[3].multiselect(t("ar_f_township"), towns, key="ar_towns", placeholder=t("ar_all"),
                                    disabled=scope.township_id is not None)
    shown = everything
    if periods:
        shown = shown[shown["period"].isin(periods)]
    if states:
        shown = shown[shown["state"].isin(states)]
    if rules:
        shown = shown[shown["rule"].isin(rules)]
    if chosen_towns:
        shown = shown[shown["township"].isin(chosen_towns)]
    # an item of a compound or township: its row zooms the map beside it to it and opens its record
    view = linked.LinkedView("ar_map", [linked.Source("ar_items", shown.reset_index(drop=True), "subject_id",
                                                        kind_column="subject_kind")],
                             url=db.default_url(), scope_key=cache.scope_key(scope), map_height=380)
    items, where = st.columns([3, 2])
    with items:
        view.table("ar_items", ui.ITEM_SHOWN, name=f"问责台账_{month}", prefix="ar_", empty=t("ar_none"),
                   height=560)
    with where:
        view.show_map()
        view.show_record()

    st.subheader(t("ar_update"))
    if not state.can(permissions.EDIT_ACCOUNTABILITY):
        st.caption(t("ar_read_only"))
    elif len(shown):
        labels = {int(r.id): f"{r.id} · {r.period} · {r.subject} · {r.action_label}（{r.state}）"
                  for r in shown.itertuples()}
        if "ar_items" in view.new_picks:  # the row just picked is the item to record
            st.session_state["ar_pick"] = int(shown.iloc[view.new_picks["ar_items"]]["id"])
        if st.session_state.get("ar_linked_item") in labels:  # the to-do's item, once
            st.session_state["ar_pick"] = st.session_state.pop("ar_linked_item")
        item_id = st.selectbox(t("ar_pick"), list(labels), format_func=labels.get, key="ar_pick")
        current = shown.set_index("id").loc[item_id, "state"]
        with st.form("ar_form"):
            new = st.radio(t("ar_new_state"), ui.state_options(current), horizontal=True, key="ar_new")
            note = st.text_area(t("ar_update_note"), key="ar_note_text")
            photo = st.file_uploader(t("ar_evidence"), type=["jpg", "jpeg", "png"], key="ar_photo")
            if st.form_submit_button(t("ar_save"), type="primary") and new:
                try:
                    reg.update_item(engine, scope, item_id, new, actor=state.current_user(), note=note,
                                    evidence=photo.getvalue() if photo else None,
                                    filename=photo.name if photo else None)
                    cache_version.clear_all()  # the record panels and to-do lists read the register too
                    st.success(t("ar_saved").format(state=new))
                except (R.RegisterError, ValueError, PermissionError, ScopeError) as exc:
                    st.error(str(exc))
        ui.table(reg.item_history(engine, scope, item_id), ["at", "username", "from_state", "to_state", "note"],
                 name=f"台账变更记录_{item_id}", key="ar_history")

with tab_checks:
    st.caption(t("ar_checks_caption"))
    ui.table(reg.check_coverage(engine, scope, month), ["township", "compounds", "checked", "share", "unannounced",
                                                        "revisits"], name=f"月检查覆盖_{month}", key="ar_coverage")
    ui.table(reg.checks(engine, scope, month), ["checked_on", "township", "compound", "mode", "revisit", "result",
                                                "note", "recorded_by"], name=f"月检查_{month}", key="ar_checks")
    if state.can(permissions.RECORD_CHECKS) or state.can(permissions.EDIT_ACCOUNTABILITY):
        compounds = cache.load_compounds(db.default_url(), cache.scope_key(scope))
        names = dict(zip(compounds["id"].astype(int), compounds["name"]))
        with st.form("ar_check_form"):
            a, b, c2 = st.columns(3)
            cid = a.selectbox(t("ar_check_compound"), list(names), format_func=names.get, key="ar_check_compound")
            day = b.date_input(t("ar_check_date"), date.today(), key="ar_check_date")
            mode = c2.radio(t("ar_check_mode"), reg.CHECK_MODES, horizontal=True, key="ar_check_mode")
            revisit = a.checkbox(t("ar_check_revisit"), key="ar_check_revisit")
            result = b.text_input(t("ar_check_result"), key="ar_check_result")
            if st.form_submit_button(t("ar_check_save")) and cid is not None:
                try:
                    reg.record_check(engine, scope, cid, day, actor=state.current_user(), mode=mode,
                                     revisit=revisit, result=result or None)
                    cache_version.clear_all()  # the record panels and to-do lists read the register too
                    st.success(t("ar_check_saved"))
                except (ValueError, PermissionError, ScopeError) as exc:
                    st.error(str(exc))

with tab_scores:
    st.caption(t("ar_scores_caption"))
    ui.table(reg.scores(engine), ["quarter", "unit_kind", "unit_name", "score", "rank", "recorded_by"],
             name="考核成绩", key="ar_scores")
    if state.can(permissions.EDIT_EVALUATIONS):
        with st.form("ar_score_form"):
            a, b, c3, d = st.columns(4)
            kind = a.selectbox(t("ar_score_kind"), ("镇街", "部门"), key="ar_score_kind")
            unit = b.text_input(t("ar_score_unit"), key="ar_score_unit")
            quarter = c3.text_input(t("ar_score_quarter"), ui.periods_of(month)[1], key="ar_score_quarter")
            value = d.number_input(t("ar_score_value"), 0.0, 100.0, 80.0, 0.5, key="ar_score_value")
            if st.form_submit_button(t("ar_score_save")):
                try:
                    reg.record_score(engine, kind, unit.strip(), quarter, str(value), actor=state.current_user())
                    cache_version.clear_all()  # the record panels and to-do lists read the register too
                    st.success(t("ar_score_saved"))
                except (ValueError, PermissionError) as exc:
                    st.error(str(exc))
