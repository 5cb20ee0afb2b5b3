"""Map legends as Leaflet controls (not branca colormaps, which pull d3 from a CDN)."""
from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from layers.escape import escape_text


class Legend(MacroElement):
    """A legend box in a map corner; title and labels are escaped.

    It folds: the title is a ``<details>`` summary, open at first; a click on it leaves
    only the title (a small button in the corner), so the legend need not cover the
    compounds at street zoom. No script or asset beyond the browser's own. The choice
    is kept for the browser tab (``sessionStorage``), so a rerun that redraws the map
    (a colour-mode change) does not open it again. Clicks and wheel on it stay off the map.

    Added to a feature group, it shows only while that group is on the map (the
    layer control or a swap by ``st_folium`` removes both); with ``pane``, only
    while that zoom-ranged pane is shown (``layers.panes``).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'governance-legend');
                div.style.cssText = 'background:rgba(255,255,255,.85);padding:3px 8px;'
                    + 'border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:11px/1.45 sans-serif;'
                    + 'max-height:40vh;max-width:45vw;overflow:auto';
                div.innerHTML = {{ this.html_json }};
                var fold = div.querySelector('details'), KEY = 'governance-legend-folded';
                try { if (window.sessionStorage.getItem(KEY) === '1') { fold.open = false; } } catch (e) {}
                fold.addEventListener('toggle', function () {
                    try { window.sessionStorage.setItem(KEY, fold.open ? '0' : '1'); } catch (e) {}
                });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                {%- if this.pane %}
                div.setAttribute('data-pane', {{ this.pane|tojson }});
                {%- endif %}
                return div;
            };
            var owner = {{ this._parent.get_name() }};
            if (owner instanceof L.Map) {
                legend.addTo(owner);
            } else {
                owner.on('add', function () {
                    legend.addTo(owner._map);
                    if (owner._map._applyRangedPanes) { owner._map._applyRangedPanes(); }
                });
                owner.on('remove', function () { legend.remove(); });
                if (owner._map) { legend.addTo(owner._map); }
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, title: str, entries: list[tuple[str, str]], *, position: str = "bottomright",
                 pane: str | None = None):
        super().__init__()
        self._name = "Legend"
        self.position = position
        self.pane = pane
        html = entries_html(title, entries)
        # json.dumps makes a JS string literal; '</' is split so it cannot close a script tag
        self.html_json = json.dumps(html, ensure_ascii=False).replace("</", "<\\/")


def _swatch(colour: str) -> str:
    return (f'<i style="display:inline-block;width:14px;height:10px;margin-right:6px;'
            f'background:{escape_text(colour)};border:1px solid #555"></i>')


def entries_html(title: str, entries: list[tuple[str, str]]) -> str:
    """The legend's inner HTML: the title as the summary that folds it, then one entry a line
    (title and labels escaped)."""
    rows = "".join(f"<div>{_swatch(colour)}{escape_text(label)}</div>" for colour, label in entries)
    return (f'<details open><summary style="cursor:pointer;font-weight:bold;white-space:nowrap">'
            f"{escape_text(title)}</summary>{rows}</details>")


def legend_html(title: str, entries: list[tuple[str, str]]) -> str:
    """A legend to show beside the map rather than on it (``st.html``), so it never covers a
    feature or a hover label: the title, then the entries side by side, wrapping. Escaped."""
    rows = "".join(f'<span style="display:inline-block;margin:0 14px 2px 0;white-space:nowrap">'
                   f"{_swatch(colour)}{escape_text(label)}</span>" for colour, label in entries)
    return (f'<div class="governance-legend" style="font:13px/1.6 sans-serif;color:#31333f">'
            f'<b style="margin-right:10px">{escape_text(title)}</b>{rows}</div>')


def build_legend(title: str, entries: list[tuple[str, str]], **kwargs) -> Legend:
    return Legend(title, entries, **kwargs)
