"""错时停车: a township's staggered-parking plan — parameters, map, summary, tables and the proposal.

The plan is exact (``policy.parking.plan``: most cars placed, then least walking);
locking keeps a resource's assignment from the plan last shown, so a planner
can fix what was agreed with a unit and re-plan the rest.
"""
from __future__ import annotations

import hashlib
from datetime import time

import streamlit as st

from data import db, settings
from data.errors import user_message
from data.queries import parking as q
from data.queries.parking import PLANNABLE
from policy.parking import DAY_TYPES, WEEKDAY
from ui import cache_parking as cache
from ui import parking_panels as panels
from ui import state as state
from ui.cache import load_townships, scope_key
from ui import setup as setup
from ui.text import md_escape, t, tf

SHARES = ("", "3/4", "2/3", "1/2", "1/3", "1/4")

url, engine = db.default_url(), state.engine()
base = state.scope()
st.title(t("pk_title"))
setup.guard("pages/parking.py")  # an empty county: what to import next
st.caption(t("pk_caption"))
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")

towns = load_townships(url, scope_key(base))
names = {int(i): n for i, n in zip(towns["id"], towns["name"])}
if not names:
    st.info(t("no_data"))
    st.stop()
if st.session_state.get("pk_township") not in names:  # preset or stale: never wider than the user
    st.session_state.pop("pk_township", None)
top = st.columns([2, 1, 1, 1, 1])
township_id = top[0].selectbox(t("township"), list(names), format_func=names.get, key="pk_township",
                               disabled=len(names) == 1)
town = names[township_id]
scope = base.narrow(township_id=township_id)
skey = scope_key(scope)
walk = top[1].number_input(t("pk_walk"), 50, 3000, int(settings.get(engine, "parking_walk_limit_m")), step=50,
                           key="pk_walk")
detour = top[2].number_input(t("pk_detour"), 1.0, 3.0, float(settings.get(engine, "parking_detour_factor")),
                             step=0.05, key="pk_detour")
day_type = st.radio(t("pk_day_type"), list(DAY_TYPES), format_func=lambda d: t(f"pk_day_{d}"),
                    horizontal=True, key="pk_day_type")
night_setting = "parking_night_window" if day_type == WEEKDAY else "parking_weekend_night_window"
night_default = [time.fromisoformat(v) for v in settings.get(engine, night_setting)]
night_from = top[3].time_input(t("pk_night_from"), night_default[0], key="pk_night_from")
night_until = top[4].time_input(t("pk_night_until"), night_default[1], key="pk_night_until")
night = tuple((v or d).strftime("%H:%M") for v, d in zip((night_from, night_until), night_default))

demand, resources = cache.load_demand(url, skey), cache.load_resources(url, skey)
short = demand[(demand["shortage"].fillna(0) > 0).astype(bool)]
unknown_warning = q.unknown_message(q.unknown_inputs(demand, resources))
if unknown_warning:  # figures are never computed from what was not reported
    st.warning(t("pk_unknown_warning").format(what=md_escape(unknown_warning)), icon=":material/help:")
compound_names = {int(r.id): t("pk_compound_option").format(name=r.name, n=r.shortage) for r in short.itertuples()}
offers = resources[resources["status"].isin(PLANNABLE) & resources["capacity"].notna()]
offer_names = {int(r.id): t("pk_resource_option").format(name=r.name, n=r.capacity) for r in offers.itertuples()}

with st.expander(t("pk_adjust"), expanded=False, icon=":material/tune:"):
    a, b = st.columns(2)
    chosen = a.multiselect(t("pk_compounds"), list(compound_names), format_func=compound_names.get,
                           key=f"pk_compounds_{township_id}", placeholder=t("pk_all_compounds"))
    share = b.selectbox(t("pk_share"), SHARES, key="pk_share",
                        format_func=lambda s: t("pk_share_none") if not s else t("pk_share_at_most").format(s=s))
    exclude = a.multiselect(t("pk_exclude"), list(offer_names), format_func=offer_names.get,
                            key=f"pk_exclude_{township_id}", placeholder=t("pk_none_chosen"))
    lock = b.multiselect(t("pk_lock"), list(offer_names), format_func=offer_names.get, help=t("pk_lock_help"),
                         key=f"pk_lock_{township_id}", placeholder=t("pk_none_chosen"))
    lock = [r for r in lock if r not in exclude]  # excluding wins over keeping
    upload = None
    if state.can("edit_parking"):  # only roles that draft proposals upload a network (checked again below)
        upload = st.file_uploader(t("pk_network"), type=["geojson", "json", "gpkg", "zip"], key="pk_network",
                                  help=t("pk_network_help"))

network, digest = None, None
if upload is not None:
    data = upload.getvalue()
    try:
        network = cache.load_network(data, upload.name, url, state.role(), state.current_user())
        digest = hashlib.sha256(data).hexdigest()
        st.caption(t("pk_network_used").format(n=len(network)))
    except Exception as exc:  # noqa: BLE001 - never a traceback: a Chinese message with an error id (logged)
        st.error(user_message(exc, action=t("pk_network_action")))

last = st.session_state.get(f"pk_last_{township_id}")
kept = () if last is None else tuple(sorted(
    (int(c), int(r), int(n)) for c, r, n in last[["compound_id", "resource_id", "cars"]].itertuples(index=False)
    if r in lock))
key = cache.PlanKey(town, tuple(sorted(chosen)) or None, float(walk), float(detour), night,
                    tuple(sorted(exclude)), tuple(sorted(lock)), kept, share or None, digest, day_type,
                    int(settings.get(engine, "parking_shortage_min_cars")))
try:
    with st.spinner(t("pk_planning")):
        result, content = cache.load_plan(url, skey, key, network)
except ValueError as exc:  # a locked assignment that no longer fits, a bad time …
    st.error(tf("pk_plan_failed", error=str(exc)))
    st.stop()
st.session_state[f"pk_last_{township_id}"] = result.assignments

panels.summary(content)
panels.day_type_coverage(url, skey, key, network)
panels.plan_map(url, skey, key, network, engine)
st.caption(t("pk_map_hint"))
tabs = st.tabs([t("pk_tab_assignments"), t("pk_tab_compounds"), t("pk_tab_resources"), t("pk_tab_proposal"),
               t("pk_tab_edit")])
panels.tables(tabs, content, resources, result, town)
with tabs[4]:
    panels.edit_registers(engine, scope, demand, resources)
with tabs[3]:
    panels.proposals(url, engine, scope, skey, township_id, town, content)
