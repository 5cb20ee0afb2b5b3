"""The map frame: a canvas-rendered folium.Map fitted to the data, with a basemap."""
from __future__ import annotations

import math

import folium
from branca.element import MacroElement
from jinja2 import Template

from layers.basemaps import add_basemap
from layers.offline import ICON_PATH, configure_folium


class _MapSetup(MacroElement):
    """Set the default icon path (else marker icons 404), a paper-like background, a metric scale bar."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.Icon.Default.imagePath = {{ this.icon_path|tojson }};
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.getContainer().style.background = '#f4f6f8';
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self.icon_path = ICON_PATH


def fit_zoom(bounds: tuple[float, float, float, float], *, width_px: int = 760,
             height_px: int = 600, snap: float = 0.25) -> float:
    """Web-Mercator zoom at which ``bounds`` (degrees) fill a ``width_px`` × ``height_px`` map.

    Computed here because Leaflet's fitBounds runs before the component iframe
    has its final width and then fits a much smaller box.
    """
    minx, miny, maxx, maxy = bounds
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    dx = max(maxx - minx, 1e-6) / 360
    dy = max(merc(maxy) - merc(miny), 1e-6) / (2 * math.pi)
    zoom = math.log2(min(width_px / (256 * dx), height_px / (256 * dy)))
    return max(3.0, min(18.0, math.floor(zoom / snap) * snap))


# One wheel notch (100 px) is one zoom level. Leaflet turns a wheel delta d into
# 4·log2(2 / (1 + e^(−d / (4·w)))) levels, then rounds up to the zoom snap (¼): with
# its default w = 60 a notch gave 1.25 levels (1.5 with two quick notches merged).
# Any w from 66 to 89 px gives a notch of just under 1, rounded up to exactly 1.
WHEEL_PX_PER_ZOOM_LEVEL = 80


def wheel_levels(delta_px: float, *, px_per_level: float = WHEEL_PX_PER_ZOOM_LEVEL, snap: float = 0.25) -> float:
    """Zoom levels Leaflet 1.9 moves for a wheel delta of ``delta_px`` (its ``ScrollWheelZoom``)."""
    d2 = delta_px / (px_per_level * 4)
    d3 = 4 * math.log(2 / (1 + math.exp(-abs(d2)))) / math.log(2)
    return math.ceil(d3 / snap) * snap if snap else d3


# a view of Shandong, for a map with nothing to fit yet (no county outline or township imported)
FALLBACK_BOUNDS = (114.8, 34.4, 122.7, 38.4)


def make_map(bounds: tuple[float, float, float, float] | None, *, basemap: str = "none",
             tianditu_key: str = "", custom_url: str = "", height_px: int = 600) -> folium.Map:
    """A map centred on ``bounds`` = (minx, miny, maxx, maxy), in the basemap's datum.

    ``bounds`` None or not finite (an empty layer): a view of Shandong, never an exception."""
    configure_folium()
    if bounds is None or not all(math.isfinite(float(v)) for v in bounds):
        bounds = FALLBACK_BOUNDS
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=fit_zoom(tuple(bounds), height_px=height_px - 40), zoom_snap=0.25, zoom_delta=0.5,
        wheel_px_per_zoom_level=WHEEL_PX_PER_ZOOM_LEVEL,
        tiles=None, prefer_canvas=True, control_scale=False,  # metric only: _MapSetup
        attribution_control=basemap != "none",
    )
    add_basemap(m, basemap, tianditu_key=tianditu_key, custom_url=custom_url)
    m.add_child(_MapSetup())
    return m
