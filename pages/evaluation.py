"""考核评价: quarterly red/black lists, company blacklist and credit grades, half-yearly assessment,
entry and import of evaluation results."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import db
from data.importers.evaluations import import_evaluations
from data.queries.evaluation import rules, save_evaluation
from ui import cache as cache
from ui import cache_evaluation as ec
from ui import linked
from ui import state as state
from ui.imports import show_report
from ui import setup as setup
from ui.record import show_register_items
from ui.text import md_escape, t
from policy import ratings

url = db.default_url()
scope = state.scope()
skey = cache.scope_key(scope)
engine = state.engine()
st.title(t("ev_title"))
setup.guard("pages/evaluation.py")  # an empty county: what to import next

quarters = ec.load_quarters(url)
if quarters:
    quarter = st.columns(4)[0].selectbox(t("ev_quarter"), quarters[::-1], key="ev_quarter")
    r = rules(engine)
    lists = ec.load_lists(url, skey, quarter)
    companies = ec.load_company_status(url, skey, quarter)
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(t("ev_kpi_evaluated"), len(lists))
    k2.metric(t("ev_kpi_red"), int((lists["list"] == ratings.RED).sum()))
    k3.metric(t("ev_kpi_black"), int((lists["list"] == ratings.BLACK).sum()))
    k4.metric(t("ev_kpi_blacklisted"), int(companies["blacklisted"].sum()))
    st.caption(t("ev_rules").format(red=r.red_min, black=r.black_below, window=r.window))
else:
    quarter = None
    st.info(t("ev_no_quarters"))

editor = state.can("edit_evaluations")
tabs = st.tabs([t("ev_tab_lists"), t("ev_tab_companies"), t("ev_tab_half")] + ([t("ev_tab_entry")] if editor else []))
LIST_COLS = ["compound", "township", "community", "company", "score", "satisfaction", "list",
             "black_count", "consequence"]

if quarter:
    with tabs[0]:  # a row of either list zooms the map to its compound and opens its record
        view = linked.LinkedView("ev_lists", [
            linked.Source("ev_red", lists[lists["list"] == ratings.RED].reset_index(drop=True), "compound_id"),
            linked.Source("ev_black", lists[lists["list"] == ratings.BLACK].sort_values("score")
                          .reset_index(drop=True), "compound_id")], url=url, scope_key=skey, map_height=520)
        left, right = st.columns([3, 2])
        with right:
            st.subheader(t("ev_red_table"))
            view.table("ev_red", LIST_COLS[:6], name=f"红榜_{quarter}", prefix="ev_", empty=t("ev_none"),
                       height=240)
            st.subheader(t("ev_black_table"))
            view.table("ev_black", LIST_COLS, name=f"黑榜_{quarter}", prefix="ev_", empty=t("ev_none"), height=240)
        with left:
            st.subheader(t("ev_map_lists"))
            view.show_map(compound_layer=lambda base: ec.coloured_layer(url, skey, "evaluation", base, quarter,
                                                                        tooltip_label="榜单"),
                          bounds=ec.focus_bounds(url, skey, "evaluation", ec.basemap(engine)[0], quarter))
            view.show_record()

    with tabs[1]:
        st.subheader(t("ev_company_table"))
        ec.table(companies.sort_values(["blacklisted", "black_share"], ascending=False),
                 ["company", "projects_in_scope", "projects", "black_projects", "black_share", "blacklisted",
                  "grade", "credit_score", "tier", "incentive"], name=f"物业企业_{quarter}", key="ev_companies")
        names = dict(zip(companies["company_id"], companies["company"]))
        pick = st.selectbox(t("ev_company_pick"), list(names), format_func=names.get, key="ev_company")
        if pick is not None:
            view = ec.load_company_view(url, skey, int(pick), quarter)
            left, right = st.columns([3, 2])
            with left:
                st.markdown(f"**{t('ev_portfolio')} · {md_escape(view.name)}**")
                ec.show_map(url, skey, "evaluation", key="ev_company_map", quarter=quarter,
                            company_id=int(pick), height=420, tooltip_label="榜单")
            with right:
                st.markdown(f"**{t('ev_consequences')}**")
                for line in view.consequences or [t("ev_no_consequence")]:
                    st.markdown(f"- {md_escape(line)}")
                show_register_items("company", int(pick))  # 问责台账: were they carried out?
                st.markdown(f"**{t('ev_credit_chart')}**")
                credit = view.credit.assign(credit_score=pd.to_numeric(view.credit["score"]))
                st.altair_chart(ec.credit_chart(credit, r.grades), width="stretch")
                ec.table(credit, ["quarter", "grade", "credit_score", "tier", "incentive"],
                         name=f"信用等级_{view.name}", key="ev_credit")
            ec.table(view.portfolio.rename(columns={"name": "compound"}),
                     ["compound", "township", "community", "score", "list", "black_count", "consequence"],
                     name=f"服务项目_{view.name}_{quarter}", key="ev_portfolio")

    with tabs[2]:
        halves = sorted({ratings.half_year(q) for q in quarters}, reverse=True)
        half = st.selectbox(t("ev_half"), halves, key="ev_half_pick")
        mine = ec.load_half_year(url, skey, half)
        if len(mine):
            st.caption(t("ev_quota").format(n=mine["assessed_total"].iloc[0], q=mine["quota"].iloc[0]))
        ec.table(mine, ["rank", "company", "assessed_projects", "mean_score", "excellent"],
                 name=f"半年考核_{half}", key="ev_half_table")

if editor:  # entry and import only for roles that may edit evaluations (the data layer checks again)
    with tabs[3]:
        st.subheader(t("ev_edit"))
        frame = cache.load_compounds(url, skey)
        labels = dict(zip(frame["id"], frame["name"] + " · " + frame["township"]))
        with st.form("ev_form"):
            c1, c2 = st.columns(2)
            compound = c1.selectbox(t("ev_compound"), list(labels), format_func=labels.get, key="ev_form_compound")
            q = c2.text_input(t("ev_quarter"), value=quarter or "", key="ev_form_quarter")
            score = c1.number_input(t("ev_score"), 0.0, 100.0, 80.0, 0.5, key="ev_form_score")
            sat = c2.number_input(t("ev_satisfaction"), 0.0, 100.0, 80.0, 0.5, key="ev_form_sat")
            evaluator = c1.text_input(t("ev_evaluator"), key="ev_form_evaluator")
            if st.form_submit_button(t("ev_save")):
                try:
                    outcome = save_evaluation(engine, scope, int(compound), q.strip(), str(score),
                                              satisfaction=str(sat), evaluator=evaluator.strip() or None,
                                              actor=state.current_user())
                except (ValueError, PermissionError) as exc:  # ScopeError is a PermissionError
                    st.error(md_escape(str(exc)))
                else:
                    ec.clear()
                    st.success(t("ev_saved").format(outcome={"created": "新建", "updated": "已修改",
                                                             "unchanged": "未变"}[outcome]))
        st.subheader(t("ev_import"))
        st.caption(t("ev_import_help"))
        upload = st.file_uploader(t("ev_import"), type=["xlsx", "csv", "txt"], key="ev_upload",
                                  label_visibility="collapsed")
        if upload is not None:
            b1, b2 = st.columns(2)
            dry = b1.button(t("ev_check"), key="ev_check")
            run = b2.button(t("ev_do_import"), key="ev_run", type="primary")
            if dry or run:
                with st.spinner(t("ev_check")):
                    report = import_evaluations(engine, upload.getvalue(), filename=upload.name, dry_run=dry,
                                                scope=scope, actor=state.current_user())
                if report.ok and not dry:
                    ec.clear()
                show_report(report, "季度考评", key="dl_ev_errors")
