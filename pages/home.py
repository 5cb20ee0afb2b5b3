"""总览: KPI tiles, township alerts in words, the county map, and the tables behind them.

Figures come from ``data.queries.overview`` (cached per scope and period in
``ui/cache.py``); the tiles, alerts and tables are drawn by ``ui/overview.py``.
"""
from __future__ import annotations

import folium
import streamlit as st

from data import db, settings
from layers.basemaps import BASEMAPS
from layers.boundaries import build_boundary_layer, build_label_layer
from layers.colours import MODES
from layers.areas import build_area_layer
from layers.compounds import build_compound_layer, build_selection_layer
from layers.heat import build_heat_layer
from layers.legend import build_legend
from layers import viewport
from layers.maps import make_map
from ui import cache as cache
from ui import drill
from ui import mapview
from ui import overview as panels
from ui import setup as setup
from ui import state as state
from ui import todo as todo
from ui.record import show_record_summary
from ui.text import legend_in_language, mode_label, t

url = db.default_url()
scope, period = state.scope(), state.period()
skey = cache.scope_key(scope)
pkey = cache.period_key(period) if period else None

st.title(f"{t('app_title')} · {setup.county_name()}")
setup.guard("pages/home.py")  # an empty county: what to import next
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")
todo.show("home")  # 待办: open for a township officer (their landing), folded for the county's roles

compounds = cache.load_compound_table(url, skey, pkey)
ov = cache.load_overview(url, skey, pkey) if period else None
period_total = cache.load_period_total(url, skey, pkey) if period else None
coverage_figures = cache.load_coverage(url, skey, panels.coverage_key())
panels.show_tiles(compounds, ov, period, top_n=int(settings.get(state.engine(), "ranking_top_n")),
                  period_total=period_total, coverage_figures=coverage_figures)
register = panels.register_frames(ov.month) if ov is not None else None
if ov is not None:
    panels.show_alerts(ov)
    panels.show_briefing(state.engine(), scope, ov.month)
    panels.show_register_line(register[0], ov.month)

PAGE = "home"
mapview.restore(PAGE, modes=MODES)
pick = panels.take_pick(ov)
if pick is not None:  # a table row: zoom the map to it, open its record
    kind, picked_id = pick
    if kind == "compound":
        mapview.select(PAGE, picked_id)
    bounds = (cache.compound_bounds(url, skey, picked_id, st.session_state.get("basemap", "none"))
              if kind == "compound" else
              cache.place_bounds(url, skey, "township", picked_id, st.session_state.get("basemap", "none")))
    if bounds is not None:
        mapview.move_to_bounds(PAGE, bounds)

drill.path(scope, state.user_scope(), top=setup.county_name(),
           counties=cache.load_counties(url, state.user_scope().args()), townships=cache.load_townships(url, skey))
left, right = st.columns([3, 1])
with right:
    mode = st.selectbox(t("colour_mode"), list(MODES), format_func={k: mode_label(k) for k in MODES}.get,
                        key="home_mode")
    heat = st.toggle(t("heat_view"), key="home_heat", help=t("heat_view_help"), disabled=period is None)
    basemap = st.selectbox(t("basemap"), list(BASEMAPS), format_func=lambda k: BASEMAPS[k].label,
                           key="basemap")
    key = settings.get(state.engine(), "tianditu_key") or st.secrets.get("tianditu_key", "") \
        if basemap == "tianditu" else ""
    if basemap == "tianditu" and not key:
        st.warning(t("basemap_needs_key"))
        basemap = "none"

with left:
    level = cache.place_level(url, skey)  # what the map fills at coarse zoom, and a click drills into
    county = cache.load_outline(url, "county", (None, None, scope.county, scope.city), basemap)
    wide = level in ("city", "county")  # a province or a city: no township outlines to load or draw
    towns = None if wide else cache.load_outline(url, "township", skey, basemap)
    in_town = scope.township_id is not None
    # the base map: frame, outlines, labels; the same script whatever the mode, heat or selection
    frame = towns.bounds if towns is not None and (in_town or county.bounds is None) else county.bounds
    m = make_map(frame, basemap=basemap, tianditu_key=key,
                 custom_url=settings.get(state.engine(), "custom_tile_url"), height_px=620)
    if wide:  # its cities' or counties' outlines, named
        wider = cache.load_outline(url, level, skey, basemap)
        build_boundary_layer(wider.geojson, level=level,
                             name=t("layer_cities" if level == "city" else "layer_counties")).add_to(m)
        build_label_layer(wider.labels, name=t("layer_place_labels"), level=level, m=m).add_to(m)
    else:
        comms, grids = (cache.load_outline(url, finer, skey, basemap) for finer in ("community", "grid"))
        if not in_town:
            build_boundary_layer(county.geojson, level="county", name=t("layer_county")).add_to(m)
        build_boundary_layer(towns.geojson, level="township", name=t("layer_townships")).add_to(m)
        # every level switchable; the finer ones start hidden at county scope (they crowd the view)
        build_boundary_layer(comms.geojson, level="community", name=t("layer_communities"),
                             show=in_town).add_to(m)
        build_boundary_layer(grids.geojson, level="grid", name=t("layer_grids"), show=False).add_to(m)
        build_label_layer(towns.labels, name=t("layer_township_labels"), m=m).add_to(m)
        build_label_layer(comms.labels, name=t("layer_community_labels"), level="community", size_px=11,
                          m=m).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)

    # what changes: places (coarse zoom) or compounds (once big enough to see), or heat; the selection
    places = cache.load_places(url, skey, pkey, mode, basemap)
    if len(compounds) <= int(settings.get(state.engine(), "map_all_compounds_max")):
        comp_json, entries, legend_title = cache.load_compound_geojson(url, skey, pkey, mode, basemap)
    else:  # a city or a province: only what is around the view, nothing while zoomed out (layers/viewport.py)
        now = mapview.view(PAGE)
        window = (viewport.window(viewport.view_bounds(*now))
                  if now is not None and now[2] >= places.visible_zoom else None)
        comp_json, entries, legend_title = cache.load_compounds_in_view(url, skey, pkey, mode, basemap, window)
    layers = []
    if heat and period:
        heat_json, heat_entries = cache.load_heat_cells(url, skey, pkey, basemap)
        heat_layer = build_heat_layer(heat_json, name=t("cmp_heat"), max_zoom=places.visible_zoom - 0.25)
        build_legend(t("heat_legend"), heat_entries, position="bottomleft", pane="heat").add_to(heat_layer)
        layers.append(heat_layer)
    else:
        area_title, area_entries = legend_in_language(places.title, places.entries)
        layers.append(build_area_layer(places.geojson, name=t("layer_places"), legend_title=area_title,
                                       entries=area_entries, max_zoom=places.visible_zoom - 0.25))
    layers.append(build_compound_layer(comp_json, name=t("layer_compounds"), min_zoom=places.visible_zoom,
                                       legend=legend_in_language(legend_title, entries)))
    chosen = mapview.selected(PAGE)
    if chosen is not None:
        outline = cache.load_compound_outline(url, skey, chosen, basemap)
        if outline is not None:
            layers.append(build_selection_layer(outline, name=t("cmp_selected")))
    out = mapview.show(m, PAGE, layers=layers, height=620, base_signature=(basemap, skey))
    st.caption(t(f"zoom_hint_{places.level}").format(zoom=places.visible_zoom))

props = mapview.clicked_properties(out, PAGE)
if props.get("id") is not None:
    mapview.select(PAGE, int(props["id"]))
    st.rerun()
if props.get("place_id") is not None:  # a place at coarse zoom: drill into it (a community: zoom)
    if places.level == "community":
        bounds = cache.place_bounds(url, skey, "community", int(props["place_id"]), basemap)
        if bounds is not None:
            mapview.move_to_bounds(PAGE, bounds)
    else:
        drill.request(places.level, props["place_id"])
    st.rerun()
mapview.write_url(PAGE, mode=mode, heat=heat)

with right:
    st.subheader(t("record"))
    chosen = mapview.selected(PAGE)
    if chosen is None:
        st.caption(t("click_hint"))
    else:
        show_record_summary(compounds, int(chosen))
        st.page_link("pages/compounds.py", label=t("open_full_record"), icon=":material/apartment:",
                     query_params={"compound": str(chosen), "mode": mode})
    mapview.share_button(PAGE)

st.subheader(t("overview_tables"))
panels.follow_selection(ov, mapview.selected(PAGE))  # a compound picked on the map: its row too
if ov is None:
    st.caption(t("no_data"))
else:
    panels.show_tables(ov, compounds, register, coverage_figures)
