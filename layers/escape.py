"""Escaping of data text for folium popups, tooltips, labels and legends.

folium inserts such text raw into HTML and into JavaScript template strings:
``<img onerror>`` runs, ``${...}`` runs even with ``parse_html``, and a backtick
ends the template. HTML-escape first, then neutralise the template characters.
"""
from __future__ import annotations

import html
import math

_TEMPLATE = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def escape_text(value) -> str:
    """Text safe inside HTML and inside a JS template string; None/NaN → empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_TEMPLATE)
