"""小区地图 / 小区档案: compounds coloured by a mode, search, and the selected compound's record.

The view is shareable: ``?compound=<id>&mode=<colour mode>&lat=…&lon=…&z=…`` in the
URL reopens it (``ui.mapview``); a mode change keeps the map where it is.
"""
from __future__ import annotations

import folium
import streamlit as st

from data import db, settings
from data.scope import ScopeError
from layers.basemaps import BASEMAPS, for_basemap
from layers.boundaries import build_boundary_layer
from layers.colours import MODES
from layers.compounds import build_compound_layer, build_point_layer, build_selection_layer
from layers.maps import make_map
from ui import cache as cache
from ui.cache_inspection import viewer_key
from ui import mapview
from ui import state as state
from ui.record import record_sheets, show_full_record, show_record_summary
from ui import setup as setup
from ui.text import legend_in_language, mode_label, t



MAP_PX = 720  # as tall as the search, mode and record summary beside it
url = db.default_url()
scope, period = state.scope(), state.period()
skey = cache.scope_key(scope)
pkey = cache.period_key(period) if period else None
PAGE = "cmp"
# the URL is read once per visit, then widgets and clicks own the state
if mapview.restore(PAGE, modes=MODES) & {"compound", "view"} == {"compound"}:
    st.session_state["cmp_move"] = True  # a link to a compound without a view: show the compound

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
                mapview.select(PAGE, int(pick))
                st.session_state["cmp_move"] = True  # a searched compound: the map goes to it
    mode = st.selectbox(t("colour_mode"), list(MODES), format_func={k: mode_label(k) for k in MODES}.get,
                        key="cmp_mode")
    basemap = st.selectbox(t("basemap"), list(BASEMAPS), format_func=lambda k: BASEMAPS[k].label,
                           key="cmp_basemap")
    tile_key = settings.get(state.engine(), "tianditu_key") if basemap == "tianditu" else ""
    if basemap == "tianditu" and not tile_key:
        st.warning(t("basemap_needs_key"))
        basemap = "none"

selected = mapview.selected(PAGE)
chosen = compounds[compounds["id"] == selected] if selected is not None else compounds.iloc[0:0]

with left:
    comp_json, entries, legend_title = cache.load_compound_geojson(url, skey, pkey, mode, basemap)
    towns_json, towns = cache.load_outline_geojson(url, "township", skey, basemap)
    # the base map keeps one script (fitted to the scope); mode and selection are swapped in
    m = make_map(tuple(towns.total_bounds), basemap=basemap, tianditu_key=tile_key,
                 custom_url=settings.get(state.engine(), "custom_tile_url"), height_px=MAP_PX)
    build_boundary_layer(towns_json, level="township", name=t("layer_townships")).add_to(m)
    comm_json, _ = cache.load_outline_geojson(url, "community", skey, basemap)
    build_boundary_layer(comm_json, level="community", name=t("layer_communities"),
                         show=scope.township_id is not None).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    layers = [build_compound_layer(comp_json, name=t("layer_compounds"), legend=legend_in_language(legend_title, entries))]
    if len(chosen):
        shown = cache.load_compound_outline(url, skey, int(selected), basemap)
        if shown is not None:
            layers.append(build_selection_layer(shown, name=t("cmp_selected")))
            if st.session_state.pop("cmp_move", False):
                mapview.move_to_bounds(PAGE, cache.compound_bounds(url, skey, int(selected), basemap,
                                                                   margin_m=500), height_px=MAP_PX)
        if period and state.can("complaint_points"):  # exact points: the complaint handlers only
            points = for_basemap(cache.load_compound_points(url, skey, int(selected), pkey), basemap)
            layers.append(build_point_layer(points, name=t("cmp_points")))
    out = mapview.show(m, PAGE, layers=layers, height=MAP_PX, base_signature=(basemap, skey))

clicked = mapview.clicked_properties(out, PAGE)
if clicked.get("id") is not None:
    mapview.select(PAGE, int(clicked["id"]))
    st.rerun()

mapview.write_url(PAGE, mode=mode)
with right:
    st.subheader(t("record"))
    if selected is None:
        st.caption(t("click_hint"))
    elif chosen.empty:
        st.warning(t("cmp_out_of_scope"))
    else:
        show_record_summary(compounds, int(selected))
    mapview.share_button(PAGE)

if selected is not None and len(chosen) and period:
    try:
        record = cache.load_record(url, skey, int(selected), pkey, viewer_key(state.current_user()))
    except ScopeError:
        st.warning(t("cmp_out_of_scope"))
    else:
        show_full_record(record)
        state.download_xlsx(t("cmp_download_record"), record_sheets(record), title=record.profile["name"],
                            file_name=f"小区档案_{record.profile['name']}.xlsx", key="dl_record")
