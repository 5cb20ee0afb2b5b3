"""总览: KPI tiles, township alerts in words, the county map, and the tables behind them.

Figures come from ``data.queries.overview`` (cached per scope and period in
``ui/cache.py``); the tiles, alerts and tables are drawn by ``ui/overview.py``.
"""
from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from data import db, settings
from layers.basemaps import BASEMAPS
from layers.boundaries import build_boundary_layer, build_label_layer
from layers.colours import MODES
from layers.compounds import build_compound_layer
from layers.heat import build_heat_layer
from layers.legend import build_legend
from layers.maps import make_map
from ui import cache as cache
from ui import overview as panels
from ui import state as state
from ui.record import show_record_summary
from ui.text import t

url = db.default_url()
scope, period = state.scope(), state.period()
skey = cache.scope_key(scope)
pkey = cache.period_key(period) if period else None

st.title(f"{t('app_title')} · {settings.get(state.engine(), 'county_name')}")
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")

compounds = cache.load_compound_table(url, skey, pkey)
ov = cache.load_overview(url, skey, pkey) if period else None
panels.show_tiles(compounds, ov, period, top_n=int(settings.get(state.engine(), "ranking_top_n")))
register = panels.register_frames(ov.month) if ov is not None else None
if ov is not None:
    panels.show_alerts(ov)
    panels.show_register_line(register[0], ov.month)

left, right = st.columns([3, 1])
with right:
    mode = st.selectbox(t("colour_mode"), list(MODES), format_func=lambda k: MODES[k].label,
                        key="colour_mode")
    basemap = st.selectbox(t("basemap"), list(BASEMAPS), format_func=lambda k: BASEMAPS[k].label,
                           key="basemap")
    key = settings.get(state.engine(), "tianditu_key") or st.secrets.get("tianditu_key", "") \
        if basemap == "tianditu" else ""
    if basemap == "tianditu" and not key:
        st.warning(t("basemap_needs_key"))
        basemap = "none"

with left:
    county = cache.load_outline(url, "county", (None, None), basemap)
    towns, comms, grids = (cache.load_outline(url, level, skey, basemap)
                           for level in ("township", "community", "grid"))
    comp_json, entries, legend_title = cache.load_compound_geojson(url, skey, pkey, mode, basemap)
    in_town = scope.township_id is not None
    m = make_map(towns.bounds if in_town or county.bounds is None else county.bounds, basemap=basemap,
                 tianditu_key=key, custom_url=settings.get(state.engine(), "custom_tile_url"), height_px=620)
    if not in_town:
        build_boundary_layer(county.geojson, level="county", name=t("layer_county")).add_to(m)
    build_boundary_layer(towns.geojson, level="township", name=t("layer_townships")).add_to(m)
    # every level switchable; the finer ones start hidden at county scope (they crowd the view)
    build_boundary_layer(comms.geojson, level="community", name=t("layer_communities"),
                         show=in_town).add_to(m)
    build_boundary_layer(grids.geojson, level="grid", name=t("layer_grids"), show=False).add_to(m)
    if period:
        heat_json, heat_entries = cache.load_heat_cells(url, skey, pkey, basemap)
        build_heat_layer(heat_json, name=t("cmp_heat"), m=m).add_to(m)
        build_legend(f"{t('cmp_heat')}（件/六边形）", heat_entries, position="bottomleft").add_to(m)
    build_compound_layer(comp_json, name=t("layer_compounds")).add_to(m)
    build_label_layer(towns.labels, name=t("layer_township_labels"), m=m).add_to(m)
    build_label_layer(comms.labels, name=t("layer_community_labels"), level="community", size_px=11,
                      m=m).add_to(m)
    build_legend(legend_title, entries).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    out = st_folium(m, key="home_map", height=620, use_container_width=True,
                    returned_objects=["last_active_drawing"])

with right:
    st.subheader(t("record"))
    clicked = (out or {}).get("last_active_drawing") or {}
    compound_id = (clicked.get("properties") or {}).get("id")
    if compound_id is None:
        st.caption(t("click_hint"))
    else:
        show_record_summary(compounds, int(compound_id))

st.subheader(t("overview_tables"))
if ov is None:
    st.caption(t("no_data"))
else:
    panels.show_tables(ov, compounds, register)
