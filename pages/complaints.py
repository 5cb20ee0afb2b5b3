"""诉求分析: the monthly top-N ranking ladder, township accountability (monthly and quarterly),
progress toward the reduction goal, trend and breakdowns, masked work orders (Excel, Open311 JSON)
and the duty matrix (category → department), editable by administrators."""
from __future__ import annotations

import streamlit as st

from data import db
from data.importers.open311 import dumps_open311
from data.queries.duties import set_duty
from data.queries.reveal import RevealRefused, reveal_complainant
from data.scope import Period
from ui import cache as cache
from ui import cache_complaints as cc
from ui import linked
from ui import state as state
from ui import matching as matching
from ui import setup as setup
from ui.text import md_escape, t, tf
from policy import ladders

url = db.default_url()
scope = state.scope()
skey = cache.scope_key(scope)
st.title(t("cp_title"))
setup.guard("pages/complaints.py")  # an empty county: what to import next

months = cache.load_months(url)
if not months:  # no work orders yet: say where they come from; the category table can be set first
    setup.missing("cp_none_yet")
    matching.show_category_map(url)
    st.stop()
period = state.period() or Period.months(ladders.shift_month(months[-1], -11), months[-1])
pkey = cache.period_key(period)
rules = cc.load_settings(url)
goal = float(rules["complaint_reduction_target"])
options = cc.load_options(url, skey, pkey)

c = st.columns([1, 2, 2, 1])
month = c[0].selectbox(t("cp_month"), months[::-1], key="cp_month")
flt = (tuple(c[1].multiselect(t("cp_categories"), options["categories"], key="cp_categories",
                              placeholder=t("cp_all"))),
       tuple(c[2].multiselect(t("cp_departments"), options["departments"], key="cp_departments",
                              placeholder=t("cp_all"))),
       tuple(c[3].multiselect(t("cp_statuses"), options["statuses"], key="cp_statuses",
                              placeholder=t("cp_all"))))

kpi = cc.load_month_target(url, skey, month, flt)
ranking = cc.load_ranking(url, skey, month)
k = st.columns(4)
k[0].metric(t("cp_kpi_month").format(month=month), f"{kpi['complaints']:,}", delta=cc.pct(kpi["change"]),
            delta_color="inverse", delta_description=t("cp_kpi_yoy"), border=True, height="stretch")
k[1].metric(t("cp_kpi_last_year"), f"{kpi['last_year']:,}", border=True, height="stretch")
k[2].metric(t("cp_kpi_ytd"), cc.pct(kpi["ytd_change"]) or "—",
            delta=None if kpi["gap"] is None else (t("cp_target_met") if kpi["met"] else t("cp_target_gap"))
            .format(target=cc.pct(goal, sign=False), gap=kpi["gap"]),
            delta_color="green" if kpi["met"] else "orange", delta_arrow="off", border=True, height="stretch")
k[3].metric(t("cp_kpi_listed"), len(ranking), help=t("cp_kpi_listed_help").format(n=rules["ranking_top_n"]),
            border=True, height="stretch")
if not kpi["comparable"] or not kpi["ytd_comparable"]:  # 不可比: say which and why
    st.warning(t("not_comparable_note").format(
        months="、".join(x for x, ok in ((month, kpi["comparable"]), (t("cp_kpi_ytd"), kpi["ytd_comparable"]))
                        if not ok), start=kpi["data_from"]), icon=":material/block:")
if kpi["progress"] is None:
    st.caption(t("cp_target_none"))
else:
    st.progress(kpi["progress"], text=t("cp_target_progress").format(
        done=cc.pct(kpi["done"], sign=False), target=cc.pct(goal, sign=False)))

tabs = st.tabs([t("cp_tab_ladder"), t("cp_tab_trend"), t("cp_tab_records"), t("cp_tab_duties"), t("cp_tab_heat")])
with tabs[0]:
    city_lists = bool(cache.ladder_cities(url, skey))  # a city or province deployment publishes 全市 lists
    n = rules["city_ranking_top_n" if city_lists else "ranking_top_n"]
    st.subheader(t("cp_ranking").format(month=month, n=n))
    st.caption(t("cp_ranking_rule_city" if city_lists else "cp_ranking_rule").format(
        n=n, m=rules["ranking_months_replace_manager"], c=rules["ranking_months_replace_company"]))
    if len(ranking):
        st.markdown(t("cp_ranking_summary").format(total=len(ranking), parts=cc.action_summary(ranking)))
    towns = cc.load_township_ladder(url, skey, month)
    towns = towns.assign(yoy_pct=(towns["yoy_pct"] * 100).round(1))
    # a row of either table zooms the map beside it to the compound or township and opens its record
    view = linked.LinkedView("cp_ladder", [linked.Source("cp_ranking", ranking.reset_index(drop=True), "project_id"),
                                           linked.Source("cp_townships", towns.reset_index(drop=True), "township_id",
                                                         kind="township")],
                             url=url, scope_key=skey, period_key=pkey, map_height=480)
    lists, where = st.columns([3, 2])
    with lists:
        # beside the map the table is narrow: what follows from the rank comes before who and where
        view.table("cp_ranking", ["rank", "compound", "complaints", "consecutive_months", "action_label",
                                  "township", "community", "company", "manager"], name=f"投诉排名_{month}", prefix="cp_",
                   empty=t("no_data"), height=420, title=t("cp_ranking").format(month=month, n=n))
        # the action words sit next to the township's name: the column a reader looks for first
        st.subheader(t("cp_township").format(month=month))
        st.caption(t("cp_township_rule"))
        view.table("cp_townships", ["township", "action_label", "complaints", "last_year", "yoy_change", "yoy_pct",
                                    "consecutive_rises"], name=f"镇街问责_{month}", prefix="cp_", empty=t("no_data"))
    with where:
        st.markdown(f"**{t('lv_map')}**")
        view.show_map()
        view.show_record()
    quarter = ladders.last_complete_quarter(month)
    st.subheader(t("cp_quarter").format(quarter=quarter))
    st.caption(t("cp_quarter_rule"))
    q = cc.load_quarter_ladder(url, skey, quarter)
    q = q.assign(last_place=q["last_place"].map({True: "是", False: ""}))
    basis = q["basis"].iloc[0] if len(q) else ladders.BASIS_NONE
    st.caption(t(f"cp_quarter_basis_{basis}"))
    cc.table(q, ["township", "action_label", "score", "complaints", "last_year", "yoy_change", "last_place",
                 "times_last"], name=f"季度倒数_{quarter}", key="cp_quarter")

with tabs[1]:
    first, last = period.start.strftime("%Y-%m"), period.last_month().start.strftime("%Y-%m")
    st.subheader(t("cp_trend").format(first=first, last=last))
    trend = cc.load_trend(url, skey, pkey, flt)
    st.altair_chart(cc.trend_chart(trend, goal), width="stretch")
    cc.table(trend, ["month", "complaints", "last_year", "goal"], name=f"诉求趋势_{first}_{last}", key="cp_trend")
    left, right = st.columns(2)
    for col, by, key in ((left, "category", "cp_by_category"), (right, "department", "cp_by_department")):
        with col:
            st.subheader(t(key))
            cc.table(cc.load_breakdown(url, skey, pkey, by, flt),
                     [by, "complaints", "share", "closed", "dissatisfied"],
                     name=f"{t(key)}_{first}_{last}", key=key)

with tabs[2]:
    records = cc.load_records(url, skey, cc.month_key(month), flt)
    st.subheader(t("cp_records").format(month=month, n=len(records)))
    if len(records) >= cc.RECORD_LIMIT:
        st.caption(t("cp_records_cap").format(limit=cc.RECORD_LIMIT))
    cc.table(records, ["order_no", "received_at", "category", "content", "address", "township", "community",
                       "compound", "match_method", "match_confidence", "department", "status", "status_notes",
                       "closed_at", "satisfaction",
                       "complainant_name", "complainant_phone"], name=f"诉求工单_{month}", key="cp_records",
             height=420)
    queued = len(cc.load_unmatched(url, skey))
    if queued:  # never dropped: the orders no compound was found for wait on the data page
        st.caption(t("cp_unmatched").format(n=queued))
        if state.current_user() is not None and state.current_user().can_open("pages/data.py"):
            st.page_link("pages/data.py", label=t("cp_unmatched_link"), icon=":material/link:")
    state.download(t("cp_open311"), lambda: dumps_open311(records), file_name=f"诉求工单_{month}.open311.json",
                   mime="application/json", key="dl_cp_open311", rows=len(records))
    if state.can("reveal_personal") and len(records):  # the handler only, one order, a reason, logged
        with st.expander(t("acc_reveal")), st.form("cp_reveal"):
            order = st.selectbox(t("cp_reveal_order"), list(records["order_no"]), key="cp_reveal_order")
            reason = st.text_input(t("acc_reveal_reason"), key="cp_reveal_reason", max_chars=200)
            if st.form_submit_button(t("acc_reveal_go")):
                try:
                    who = reveal_complainant(state.engine(), state.current_user(), order, reason)
                except RevealRefused as exc:
                    st.error(md_escape(str(exc)))
                else:  # shown once, in this run only: never cached, never in session state
                    st.info(tf("cp_revealed", order=order, name=who["complainant_name"] or "—",
                               phone=who["complainant_phone"] or "—"))

with tabs[3]:
    st.caption(t("cp_duties_help"))
    duties = cc.load_duties(url)
    if not state.can("edit_settings"):
        st.caption(t("cp_duties_readonly"))
        cc.table(duties, ["category", "duty_department"], name="职责分工", key="cp_duties")
    else:
        st.caption(t("cp_duties_edit_help"))
        edited = st.data_editor(cc.labelled(duties, ["category", "duty_department"]), key="cp_duty_editor",
                                num_rows="add", hide_index=True, width="stretch", height=420)
        reassign = st.checkbox(t("cp_duties_reassign"), key="cp_duties_reassign", help=t("cp_duties_reassign_help"))
        if st.button(t("cp_duties_save"), type="primary", key="cp_duties_save"):
            moved = 0
            try:
                changes = cc.duty_changes(duties, edited)
                for category, department in changes:
                    moved += set_duty(state.engine(), category, department, actor=state.current_user(),
                                      reassign_open=reassign)
            except ValueError as exc:
                st.error(md_escape(str(exc)))
            else:
                st.success(t("cp_duties_saved").format(n=len(changes)) if changes else t("cp_duties_nochange"))
                if reassign and changes:
                    st.info(t("cp_duties_reassigned").format(n=moved))
            if moved:  # moved complaints change the department breakdowns and records
                cc.clear()
            else:
                cc.load_duties.clear()
        state.download_xlsx(t("download_xlsx"), edited, file_name="职责分工.xlsx", key="dl_cp_duties_edit")
    matching.show_category_map(url)  # 12345 category names → these categories (住建局 and 管理员 edit)

with tabs[4]:  # last: Leaflet in a tab hidden at load starts with no size, so a user opens it first
    st.caption(t("cp_heat_help").format(period=period.label()))
    cc.heat_map(url, skey, pkey, flt[0], key="cp_heat_map")
