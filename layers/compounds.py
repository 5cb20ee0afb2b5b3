"""Compounds as one vector layer, filled by the colour mode, with a name tooltip."""
from __future__ import annotations

import folium

from layers.vector import VectorLayer

FILL = "_fill"
STYLE = {"color": "#424242", "weight": 0.8, "fillOpacity": 0.75, "fillColor": "#bdbdbd"}
HIGHLIGHT = {"weight": 3, "color": "#0d47a1"}
POINT_STYLE = {"color": "#b71c1c", "weight": 1, "fillColor": "#e53935", "fillOpacity": 0.9}  # complaint points


def build_compound_layer(geojson: str, *, name: str = "住宅小区",
                         tooltip_fields: tuple[str, ...] = ("name",),
                         tooltip_aliases: tuple[str, ...] = ("小区",),
                         min_zoom: float | None = None, legend: tuple[str, list] | None = None
                         ) -> folium.FeatureGroup:
    """``geojson`` must carry ``id``, the tooltip fields (already escaped) and ``_fill``.

    Compounds registered only by location (points) draw as small circles. With
    ``min_zoom`` they show only from that zoom (below it a compound is a few pixels
    and the place choropleth of ``layers.areas`` stands in); ``legend`` (title,
    entries) then shows and hides with them.
    """
    from layers.legend import Legend
    from layers.panes import ZoomPane

    group = folium.FeatureGroup(name=name)
    pane = None
    if min_zoom is not None:
        pane = "compounds"
        ZoomPane(pane, min_zoom=min_zoom).add_to(group)
    VectorLayer(geojson, style=STYLE, fill_property=FILL, highlight=HIGHLIGHT, pane=pane,
                tooltip=tuple(zip(tooltip_fields, tooltip_aliases))).add_to(group)
    if legend is not None:
        Legend(*legend, pane=pane).add_to(group)
    return group


def build_selection_layer(selected, *, name: str) -> folium.FeatureGroup:
    """A thick outline around the selected compound(s) (a GeoDataFrame, WGS-84 or shifted)."""
    from layers.geojson import to_geojson

    from layers.panes import ZoomPane

    group = folium.FeatureGroup(name=name)
    # above the compounds and places, at every zoom; clicks go through it to the compounds
    ZoomPane("selection", interactive=False).add_to(group)
    VectorLayer(to_geojson(selected, properties=[]), pane="selection",
                style={"color": "#0d47a1", "weight": 4, "fill": False}, interactive=False).add_to(group)
    return group


def build_point_layer(points, *, name: str) -> folium.FeatureGroup:
    """Exact complaint locations of one compound: category and date as the tooltip, nothing personal."""
    from layers.geojson import to_geojson

    group = folium.FeatureGroup(name=name)
    VectorLayer(to_geojson(points, properties=["category", "date"], text=("category",)),
                style=POINT_STYLE,
                point_radius=4, tooltip=(("category", "类别"), ("date", "日期"))).add_to(group)
    return group
