"""物业费: compounds by fee-adjustment status, the owners' vote calculator, fee-reduction
candidates, and status changes through the state machine with their history."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from data import db, settings
from data.queries.fees import record_fee_status, status_counts
from ui import cache as cache
from ui import cache_evaluation as ec
from ui import state as state
from ui import setup as setup
from ui.text import md_escape, t, tf
from policy import fees as machine
from policy import votes

url = db.default_url()
scope = state.scope()
skey = cache.scope_key(scope)
engine = state.engine()
st.title(t("fee_title"))
setup.guard("pages/fees.py")  # an empty county: what to import next

overview = ec.load_fee_overview(url, skey)
counts = status_counts(overview)
cols = st.columns(len(counts))
for col, row in zip(cols, counts.itertuples(index=False)):
    col.metric(md_escape(row.fee_status), f"{row.compounds:,}")

left, right = st.columns([3, 1])
with left:
    st.subheader(t("fee_map"))
    ec.show_map(url, skey, "fee_status", key="fee_map", height=560, tooltip_label="调价状态")
with right:
    st.subheader(t("fee_status_counts"))
    ec.table(counts, ["fee_status", "compounds"], name="调价状态统计", key="fee_counts")
    st.caption(t("fee_machine"))

tabs = st.tabs([t("fee_tab_vote"), t("fee_tab_candidates"), t("fee_tab_change"), t("fee_tab_history")])

with tabs[0]:
    st.caption(t("fee_vote_rule"))
    matter = st.radio(t("fee_matter"), list(votes.MATTERS), horizontal=True, key="fee_matter",
                      format_func=lambda m: f"{votes.MATTERS[m][0]}（{votes.MATTERS[m][1]}）")
    a, b, c = st.columns(3)
    total_area = a.text_input(t("fee_total_area"), "12000", key="fee_total_area")
    part_area = b.text_input(t("fee_part_area"), "8000", key="fee_part_area")
    yes_area = c.text_input(t("fee_yes_area"), "4500", key="fee_yes_area")
    total_owners = a.number_input(t("fee_total_owners"), 1, 100_000, 120, key="fee_total_owners")
    part_owners = b.number_input(t("fee_part_owners"), 0, 100_000, 80, key="fee_part_owners")
    yes_owners = c.number_input(t("fee_yes_owners"), 0, 100_000, 45, key="fee_yes_owners")
    try:
        result = votes.decide(matter, total_area=total_area, total_owners=total_owners,
                              participating_area=part_area, participating_owners=part_owners,
                              approving_area=yes_area, approving_owners=yes_owners)
    except ValueError as exc:
        st.error(md_escape(str(exc)))
    else:
        show = st.success if result.passed else st.warning if result.valid else st.error
        show(md_escape(result.verdict))
        for line in result.reasons:
            st.markdown(f"- {md_escape(line)}")
        st.caption(t("fee_use_vote"))

quarters = ec.load_quarters(url)
with tabs[1]:
    if quarters:
        quarter = st.columns(4)[0].selectbox(t("ev_quarter"), quarters[::-1], key="fee_quarter")
        many = settings.get(engine, "fee_reduction_complaints_per_100")
        st.caption(t("fee_candidates_rule").format(many=many))
        found = ec.load_candidates(url, skey, quarter)
        ec.table(found, ["compound", "reasons", "fee_status", "township", "company", "fee_price", "score",
                         "complaints", "complaints_per_100"],
                 name=f"降费管理候选_{quarter}", key="fee_candidates")
    else:
        st.info(t("ev_no_quarters"))

with tabs[2]:
    labels = dict(zip(overview["id"], overview["name"] + " · " + overview["township"] + " · "
                      + overview["fee_status"]))
    pick = st.selectbox(t("fee_pick"), list(labels), format_func=labels.get, key="fee_pick")
    if st.session_state.get("fee_flash"):
        st.success(st.session_state.pop("fee_flash"))
    if pick is not None:
        current = overview.loc[overview["id"] == pick, "fee_status"].iloc[0]
        st.markdown(tf("fee_current", status=current))
        if not state.can("edit_fees"):
            st.caption(t("acc_read_only"))
        else:
            with st.form("fee_form"):
                new = st.selectbox(t("fee_new_status"), machine.allowed_next(current), key="fee_new",
                                   format_func=lambda s: f"{s}（{machine.HINTS[(current, s)]}）"
                                   if (current, s) in machine.HINTS else s)
                reason = st.text_area(t("fee_reason"), key="fee_reason", max_chars=300)
                when = st.date_input(t("fee_date"), key="fee_date")
                deadline = st.date_input(t("fee_deadline"), value=None, key="fee_deadline",
                                         help=t("fee_deadline_help"))  # used for 限期整改 only
                if st.form_submit_button(t("fee_submit")):
                    try:
                        at = datetime.combine(when, datetime.now().time()) if when else None
                        record_fee_status(engine, scope, int(pick), new, actor=state.current_user(),
                                          reason=reason, at=at,
                                          deadline=deadline if new == machine.RECTIFY else None)
                    except (ValueError, PermissionError) as exc:  # ScopeError is a PermissionError
                        st.error(md_escape(str(exc)))
                    else:
                        ec.clear()
                        st.session_state["fee_flash"] = t("fee_done").format(old=current, new=new)
                        st.rerun()
        st.markdown(f"**{t('fee_compound_history')}**")
        ec.table(ec.load_fee_history(url, skey, int(pick)), ["changed_at", "status", "actor", "reason"],
                 name=f"调价记录_{labels[pick].split(' · ')[0]}", key="fee_one_history")

with tabs[3]:
    ec.table(ec.load_fee_history(url, skey), ["compound", "changed_at", "status", "actor", "reason"],
             name="物业费调价记录", key="fee_history", height=420)
