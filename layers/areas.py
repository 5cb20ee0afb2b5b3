"""Places (townships or communities) filled by a colour mode's indicator: the map at coarse zoom."""
from __future__ import annotations

import folium

from layers.legend import Legend
from layers.panes import ZoomPane
from layers.vector import VectorLayer

STYLE = {"color": "#37474f", "weight": 1, "fillOpacity": 0.7, "fillColor": "#bdbdbd"}
HIGHLIGHT = {"weight": 3, "color": "#0d47a1"}


def build_area_layer(geojson: str, *, name: str, legend_title: str, entries: list[tuple[str, str]],
                     max_zoom: float) -> folium.FeatureGroup:
    """``geojson`` carries ``place_id``, ``name`` and ``value_text`` (escaped) and ``_fill``.

    Shown up to ``max_zoom``, where the compounds take over; a click on a place
    zooms the map into it (``place_id``, never a compound ``id``).
    """
    group = folium.FeatureGroup(name=name)
    ZoomPane("areas", max_zoom=max_zoom).add_to(group)
    VectorLayer(geojson, style=STYLE, fill_property="_fill", highlight=HIGHLIGHT, pane="areas",
                tooltip=(("name", ""), ("value_text", ""))).add_to(group)
    Legend(legend_title, entries, pane="areas").add_to(group)
    return group
