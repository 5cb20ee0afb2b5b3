"""Map panes shown only within a zoom range: how the map stays readable at every scale.

At county zoom a compound is a few pixels wide and its colour cannot be read, so
the township choropleth stands in for it; zoomed in, the compounds take over. Labels
and heat cells are ranged the same way. :class:`ZoomPane` creates its pane when its
script runs (also inside a layer that ``st_folium`` swaps in with
``feature_group_to_add``) and keeps one ``zoomend`` handler per map for every
ranged pane, so swapping layers on each rerun adds no handlers.

A legend tied to a pane (``layers.legend.Legend(pane=…)``) shows and hides with it,
so the legend never describes what is not on the map.
"""
from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

# The z-order of the dynamic panes (Leaflet: tiles 200, overlays 400, markers 600)
Z_INDEX = {"areas": 380, "heat": 390, "compounds": 410, "selection": 420}


def map_of(element) -> folium.Map:
    """The map an element was added to, through any feature groups between them."""
    node = element
    while node is not None and not isinstance(node, folium.Map):
        node = getattr(node, "_parent", None)
    if node is None:
        raise ValueError("the element is not on a map")
    return node


RANGE_JS = """
(function (map, name, zIndex, minZoom, maxZoom, passive) {
    var pane = map.getPane(name) || map.createPane(name);
    pane.style.zIndex = zIndex;
    if (passive) { pane.style.pointerEvents = 'none'; }
    map._rangedPanes = map._rangedPanes || {};
    map._rangedPanes[name] = [minZoom, maxZoom];
    if (!map._applyRangedPanes) {
        map._applyRangedPanes = function () {
            var z = map.getZoom();
            Object.keys(map._rangedPanes).forEach(function (n) {
                var r = map._rangedPanes[n], shown = z >= r[0] && z <= r[1];
                var p = map.getPane(n);
                if (p) { p.style.display = shown ? '' : 'none'; }
                map.getContainer().querySelectorAll('[data-pane="' + n + '"]').forEach(function (el) {
                    el.style.display = shown ? '' : 'none';
                });
            });
        };
        map.on('zoomend', map._applyRangedPanes);
    }
    map.whenReady(map._applyRangedPanes);
})(MAP, NAME, ZINDEX, MINZOOM, MAXZOOM, PASSIVE);
"""


class ZoomPane(MacroElement):
    """Create pane ``name`` (if missing) and show it only from ``min_zoom`` to ``max_zoom``.

    ``interactive=False``: the pane lets every click through to the panes under it. With canvas
    rendering a pane's canvas covers the whole map, so an outline drawn above the compounds
    would otherwise swallow every click on them (the selection outline did).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.js }}
        {% endmacro %}
    """)

    def __init__(self, name: str, *, min_zoom: float = 0, max_zoom: float = 30, z_index: int | None = None,
                 interactive: bool = True):
        super().__init__()
        self.interactive = interactive
        self._name = "ZoomPane"
        self.pane = name
        self.min_zoom, self.max_zoom = float(min_zoom), float(max_zoom)
        self.z_index = int(z_index if z_index is not None else Z_INDEX.get(name, 400))

    def render(self, **kwargs):
        import json

        self.js = (RANGE_JS.replace("MAP", map_of(self).get_name()).replace("NAME", json.dumps(self.pane))
                   .replace("ZINDEX", str(self.z_index)).replace("MINZOOM", repr(self.min_zoom))
                   .replace("MAXZOOM", repr(self.max_zoom))
                   .replace("PASSIVE", "false" if self.interactive else "true"))
        super().render(**kwargs)


def visible_zoom(widths_m, *, lat: float, min_px: float = 8, lowest: float = 11, highest: float = 15) -> float:
    """The zoom from which the median compound is at least ``min_px`` wide (Web Mercator).

    ``widths_m``: compound widths in metres (square root of the area; points count
    as nothing). One pixel at zoom z spans 40,075,016 · cos(lat) / (256 · 2^z) metres.
    """
    import math

    import numpy as np

    w = np.asarray([x for x in widths_m if x and x > 0], dtype=float)
    if w.size == 0:
        return lowest
    zoom = math.log2(min_px * 40_075_016 * math.cos(math.radians(lat)) / (256 * float(np.median(w))))
    return float(min(highest, max(lowest, math.ceil(zoom * 4) / 4)))
