"""小区地图 / 小区档案: compounds coloured by a mode, search, and the selected compound's record.

The view is shareable: ``?compound=<id>&mode=<colour mode>`` in the URL reopens it.
"""
from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from data import db, settings
from data.scope import ScopeError
from layers.basemaps import BASEMAPS, for_basemap
from layers.boundaries import build_boundary_layer
from layers.colours import MODES
from layers.compounds import build_compound_layer, build_point_layer, build_selection_layer
from layers.legend import build_legend
from layers.maps import make_map
from ui import cache as cache
from ui import state as state
from ui.record import record_sheets, show_full_record, show_record_summary
from ui import setup as setup
from ui.text import t



MAP_PX = 720  # as tall as the search, mode and record summary beside it
url = db.default_url()
scope, period = state.scope(), state.period()
skey = cache.scope_key(scope)
pkey = cache.period_key(period) if period else None
params = st.query_params

# the URL is read once per visit, then widgets and clicks own the state
if "cmp_selected" not in st.session_state:
    wanted = params.get("compound", "")
    st.session_state["cmp_selected"] = int(wanted) if wanted.isdigit() else None
    if params.get("mode") in MODES:
        st.session_state["cmp_mode"] = params["mode"]

st.title(t("cmp_title"))
setup.guard("pages/compounds.py")  # an empty county: what to import next
compounds = cache.compound_frame(url, skey, pkey)

left, right = st.columns([3, 2])
with right:
    query = st.text_input(t("cmp_search"), key="cmp_search", placeholder=t("cmp_search_hint"))
    if query.strip():
        hits = cache.find_compounds(url, skey, query)
        if hits.empty:
            st.caption(t("cmp_no_hits"))
        else:
            labels = dict(zip(hits["id"], hits["name"] + " · " + hits["township"] + " · "
                              + hits["community"]))
            pick = st.selectbox(t("cmp_pick"), list(labels), format_func=labels.get, index=None,
                                placeholder=t("cmp_pick"), key="cmp_pick")
            if pick is not None and pick != st.session_state.get("cmp_picked"):
                st.session_state["cmp_picked"] = pick
                st.session_state["cmp_selected"] = int(pick)
    mode = st.selectbox(t("colour_mode"), list(MODES), format_func=lambda k: MODES[k].label,
                        key="cmp_mode")
    basemap = st.selectbox(t("basemap"), list(BASEMAPS), format_func=lambda k: BASEMAPS[k].label,
                           key="cmp_basemap")
    tile_key = settings.get(state.engine(), "tianditu_key") if basemap == "tianditu" else ""
    if basemap == "tianditu" and not tile_key:
        st.warning(t("basemap_needs_key"))
        basemap = "none"

selected = st.session_state.get("cmp_selected")
chosen = compounds[compounds["id"] == selected] if selected is not None else compounds.iloc[0:0]

with left:
    comp_json, entries, legend_title = cache.load_compound_geojson(url, skey, pkey, mode, basemap)
    towns_json, towns = cache.load_outline_geojson(url, "township", skey, basemap)
    shown = for_basemap(chosen, basemap)
    area = shown.to_crs(3857).buffer(500).to_crs(4326) if len(shown) else towns
    m = make_map(tuple(area.total_bounds), basemap=basemap, tianditu_key=tile_key,
                 custom_url=settings.get(state.engine(), "custom_tile_url"), height_px=MAP_PX)
    build_boundary_layer(towns_json, level="township", name=t("layer_townships")).add_to(m)
    if scope.township_id is not None or len(chosen):
        comm_json, _ = cache.load_outline_geojson(url, "community", skey, basemap)
        build_boundary_layer(comm_json, level="community", name=t("layer_communities")).add_to(m)
    build_compound_layer(comp_json, name=t("layer_compounds")).add_to(m)
    if len(shown):
        build_selection_layer(shown, name=t("cmp_selected")).add_to(m)
        if period and state.can("complaint_points"):  # exact points: the complaint handlers only
            points = for_basemap(cache.load_compound_points(url, skey, int(selected), pkey), basemap)
            build_point_layer(points, name=t("cmp_points")).add_to(m)
    build_legend(legend_title, entries).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    out = st_folium(m, key="cmp_map", height=MAP_PX, use_container_width=True,
                    returned_objects=["last_active_drawing"])

clicked = ((out or {}).get("last_active_drawing") or {}).get("properties") or {}
if clicked.get("id") is not None and clicked["id"] != st.session_state.get("cmp_clicked"):
    st.session_state["cmp_clicked"] = clicked["id"]
    st.session_state["cmp_selected"] = int(clicked["id"])
    st.rerun()

params["mode"] = mode
with right:
    st.subheader(t("record"))
    if selected is None:
        params.pop("compound", None)
        st.caption(t("click_hint"))
    elif chosen.empty:
        st.warning(t("cmp_out_of_scope"))
    else:
        params["compound"] = str(selected)
        show_record_summary(compounds, int(selected))

if selected is not None and len(chosen) and period:
    try:
        record = cache.load_record(url, skey, int(selected), pkey)
    except ScopeError:
        st.warning(t("cmp_out_of_scope"))
    else:
        show_full_record(record)
        state.download_xlsx(t("cmp_download_record"), record_sheets(record), title=record.profile["name"],
                            file_name=f"小区档案_{record.profile['name']}.xlsx", key="dl_record")
