"""Map legends as Leaflet controls (not branca colormaps, which pull d3 from a CDN)."""
from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from layers.escape import escape_text


class Legend(MacroElement):
    """A legend box in a map corner; title and labels are escaped."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'governance-legend');
                div.style.cssText = 'background:rgba(255,255,255,.92);padding:6px 10px;'
                    + 'border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.5 sans-serif;'
                    + 'max-height:45vh;overflow:auto';
                div.innerHTML = {{ this.html_json }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, title: str, entries: list[tuple[str, str]], *, position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.position = position
        rows = "".join(
            f'<div><i style="display:inline-block;width:14px;height:10px;margin-right:6px;'
            f'background:{escape_text(colour)};border:1px solid #555"></i>{escape_text(label)}</div>'
            for colour, label in entries
        )
        html = f"<b>{escape_text(title)}</b>{rows}"
        # json.dumps makes a JS string literal; '</' is split so it cannot close a script tag
        self.html_json = json.dumps(html, ensure_ascii=False).replace("</", "<\\/")


def build_legend(title: str, entries: list[tuple[str, str]], **kwargs) -> Legend:
    return Legend(title, entries, **kwargs)
