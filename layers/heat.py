"""Complaint heat as server-side hexagon bins: the payload grows with the area, not the points.

Points are pre-aggregated in SQL (``data.queries.complaint_point_counts``),
binned into hexagons in metres (``geo.binning.hex_bins``) and classed by
quantiles here. Every hexagon has the same shape, so the browser gets the six
vertex offsets once and then only ``[lon, lat, class]`` per cell (about 20
bytes instead of 200 for a polygon): a million complaints cost the page the
same as a thousand.
"""
from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Template

from geo.binning import hex_bins
from layers.colours import HEAT_RAMP, quantile_classes
from layers.vector import ScriptElement

OPACITY = 0.6


def heat_frame(points: pd.DataFrame, *, radius_m: float = 250) -> gpd.GeoDataFrame:
    """Hexagons (WGS-84) with ``count`` from ``lon``/``lat``/``count`` rows."""
    if points.empty:
        return gpd.GeoDataFrame({"count": []}, geometry=[], crs="EPSG:4326")
    polygons, counts = hex_bins(points["lon"].to_numpy(), points["lat"].to_numpy(),
                                radius_m=radius_m, weights=points["count"].to_numpy())
    return gpd.GeoDataFrame({"count": counts.astype(int)}, geometry=list(polygons), crs="EPSG:4326")


def heat_cells(hexes: gpd.GeoDataFrame) -> tuple[str, list[tuple[str, str]]]:
    """The compact JSON the heat layer draws (offsets, colours, cells) and the legend entries."""
    fills, entries = quantile_classes(hexes["count"], ramp=HEAT_RAMP)
    colours = [c for c, label in entries if label != "0"]
    if hexes.empty:
        return json.dumps({"offsets": [], "colours": [], "cells": []}), []
    coords = np.array([np.asarray(g.exterior.coords)[:6] for g in hexes.geometry])
    centre = coords.mean(axis=1)
    offsets = (coords[0] - centre[0]).round(6).tolist()
    index = {c: i for i, c in enumerate(colours)}
    cells = [[round(float(x), 5), round(float(y), 5), index[f]]
             for (x, y), f in zip(centre, fills) if f in index]
    payload = {"offsets": offsets, "colours": colours, "cells": cells}
    return json.dumps(payload, separators=(",", ":")), [e for e in entries if e[1] != "0"]


class HexLayer(ScriptElement):
    """Draws the cells of :func:`heat_cells` as non-interactive canvas polygons."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (group, d) {
            var style = {stroke: false, fillOpacity: {{ this.opacity }}, interactive: false
                         {%- if this.pane %}, pane: {{ this.pane|tojson }}{% endif %}};
            d.cells.forEach(function (c) {
                var ring = d.offsets.map(function (o) { return [c[1] + o[1], c[0] + o[0]]; });
                L.polygon(ring, Object.assign({fillColor: d.colours[c[2]]}, style)).addTo(group);
            });
        })({{ this._parent.get_name() }}, {{ this.data_js }});
        {% endmacro %}
    """)

    def __init__(self, cells_json: str, *, opacity: float = OPACITY, pane: str | None = None):
        super().__init__()
        self._name = "HexLayer"
        self.pane = pane
        json.loads(cells_json)  # refuse anything that is not plain JSON
        self.data_js = cells_json.replace("</", "<\\/")
        self.opacity = float(opacity)


def build_heat_layer(cells_json: str, *, name: str, show: bool = True,
                     max_zoom: float | None = 13.5) -> folium.FeatureGroup:
    """The hexagons as one layer; clicks fall through to the compounds beneath.

    With ``max_zoom``, the cells sit in their own pane under the compounds and
    show only up to that zoom: heat is for seeing where complaints gather across
    the county; zoomed in to compounds it would only veil their colours.
    """
    group = folium.FeatureGroup(name=name, show=show)
    pane = None
    if max_zoom is not None:
        from layers.panes import ZoomPane

        pane = "heat"
        ZoomPane(pane, max_zoom=max_zoom).add_to(group)  # z 390, below the compounds
    HexLayer(cells_json, pane=pane).add_to(group)
    return group
