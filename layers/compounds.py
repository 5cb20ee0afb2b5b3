"""Compounds as one vector layer, filled by the colour mode, with a name tooltip."""
from __future__ import annotations

import folium

from layers.vector import VectorLayer

FILL = "_fill"
STYLE = {"color": "#424242", "weight": 0.8, "fillOpacity": 0.75, "fillColor": "#bdbdbd"}
HIGHLIGHT = {"weight": 3, "color": "#0d47a1"}


def build_compound_layer(geojson: str, *, name: str = "住宅小区",
                         tooltip_fields: tuple[str, ...] = ("name",),
                         tooltip_aliases: tuple[str, ...] = ("小区",)) -> folium.FeatureGroup:
    """``geojson`` must carry ``id``, the tooltip fields (already escaped) and ``_fill``.

    Compounds registered only by location (points) draw as small circles.
    """
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style=STYLE, fill_property=FILL, highlight=HIGHLIGHT,
                tooltip=tuple(zip(tooltip_fields, tooltip_aliases))).add_to(group)
    return group


def build_selection_layer(selected, *, name: str) -> folium.FeatureGroup:
    """A thick outline around the selected compound(s) (a GeoDataFrame, WGS-84 or shifted)."""
    from layers.geojson import to_geojson

    group = folium.FeatureGroup(name=name)
    VectorLayer(to_geojson(selected, properties=[]),
                style={"color": "#0d47a1", "weight": 4, "fill": False}, interactive=False).add_to(group)
    return group


def build_point_layer(points, *, name: str) -> folium.FeatureGroup:
    """Exact complaint locations of one compound: category and date as the tooltip, nothing personal."""
    from layers.geojson import to_geojson

    group = folium.FeatureGroup(name=name)
    VectorLayer(to_geojson(points, properties=["category", "date"], text=("category",)),
                style={"color": "#b71c1c", "weight": 1, "fillColor": "#e53935", "fillOpacity": 0.9},
                point_radius=4, tooltip=(("category", "类别"), ("date", "日期"))).add_to(group)
    return group
