"""Boundary outlines (city, county, township, community, grid) and their name labels."""
from __future__ import annotations

import json

import folium
import folium.map
import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template

from layers.escape import escape_text
from layers.vector import ScriptElement, VectorLayer

STYLES = {
    "city": {"color": "#111111", "weight": 3.5, "fill": False},
    "county": {"color": "#222222", "weight": 3, "fill": False},
    "township": {"color": "#3949ab", "weight": 2, "fill": False, "dashArray": None},
    "community": {"color": "#5c6bc0", "weight": 1, "fill": False, "dashArray": "4 3"},
    "grid": {"color": "#9fa8da", "weight": 0.7, "fill": False, "dashArray": "2 3"},
}


def build_boundary_layer(geojson: str, *, level: str, name: str, show: bool = True) -> folium.FeatureGroup:
    """Outlines of one level as a non-interactive layer: clicks go to the places and compounds beneath.

    In their own passive pane: with canvas rendering a pane's canvas covers the whole map, and the
    overlay pane's canvas (z 400) swallowed every click meant for the filled places under it (z 380),
    so a click on a township or a city at coarse zoom did nothing."""
    from layers.panes import ZoomPane

    style = STYLES[level]
    group = folium.FeatureGroup(name=name, show=show)
    ZoomPane("outlines", z_index=400, interactive=False).add_to(group)
    VectorLayer(geojson, style={k: v for k, v in style.items() if v is not None},
                interactive=False, pane="outlines").add_to(group)
    return group


def zoom_range(pane: str, min_zoom: float, max_zoom: float, *, z_index: int = 650) -> MacroElement:
    """Create map pane ``pane`` and show it only from ``min_zoom`` to ``max_zoom`` (add it to the map)."""
    from layers.panes import ZoomPane

    return ZoomPane(pane, min_zoom=min_zoom, max_zoom=max_zoom, z_index=z_index)


LABEL_ZOOMS = {"city": (5, 9), "county": (7, 11), "township": (9, 14), "community": (13, 18), "grid": (15, 19)}


class _Labels(ScriptElement):
    """Name labels drawn in JS from one compact array ``[[lat, lon, text], …]``.

    One ``folium.Marker`` + ``DivIcon`` per label repeats the same style and three
    variable declarations for every name (about 900 bytes each); this sends the
    style once and ~30 bytes per label. Texts must already be escaped.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (group, rows) {
            var opts = {interactive: false, keyboard: false{% if this.pane %}, pane: {{ this.pane|tojson }}{% endif %}};
            rows.forEach(function (r) {
                var icon = L.divIcon({className: 'pm-label', iconSize: [0, 0],
                    html: '<div style="{{ this.css }}">' + r[2] + '</div>'});
                L.marker([r[0], r[1]], Object.assign({icon: icon}, opts)).addTo(group);
            });
        })({{ this._parent.get_name() }}, {{ this.rows_js }});
        {% endmacro %}
    """)

    def __init__(self, rows: list, *, size_px: int, pane: str | None):
        super().__init__()
        self._name = "Labels"
        self.rows_js = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        self.pane = pane
        self.css = (f"font:600 {int(size_px)}px sans-serif;color:#283593;white-space:nowrap;"
                    "transform:translate(-50%,-50%);text-shadow:0 0 3px #fff,0 0 3px #fff")


def label_rows(gdf: gpd.GeoDataFrame, column: str = "name") -> list[list]:
    """``[[lat, lon, escaped text], …]`` at each polygon's representative point (cacheable)."""
    frame = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    return [[round(p.y, 5), round(p.x, 5), escape_text(label)]
            for label, p in zip(frame[column], frame.geometry.representative_point())]


def build_label_layer(gdf: gpd.GeoDataFrame | list, *, name: str, column: str = "name",
                      show: bool = True, size_px: int = 13, level: str = "township",
                      m: folium.Map | None = None) -> folium.FeatureGroup:
    """Name labels at each polygon's representative point (always inside it).

    With the map ``m`` given, the labels live in their own pane shown only at the
    zoom levels of :data:`LABEL_ZOOMS` for ``level`` (township names at county
    zoom, community names once zoomed in), so they neither crowd nor vanish.
    The layer is listed in the layer control under ``name``, so it can be switched.
    ``gdf`` may also be the :func:`label_rows` of one, computed (and cached) earlier.
    """
    group = folium.FeatureGroup(name=name, show=show)
    pane = None
    if m is not None:
        pane = f"labels_{level}"
        zoom_range(pane, *LABEL_ZOOMS[level]).add_to(m)
    rows = gdf if isinstance(gdf, list) else label_rows(gdf, column)
    _Labels(rows, size_px=size_px, pane=pane).add_to(group)
    return group
