"""A lean GeoJSON layer: the cached GeoJSON text goes into the page as is, styled in JS.

``folium.GeoJson`` parses a GeoJSON string back into Python, runs the style
function once per feature, writes a ``switch`` with one ``case`` per feature id
and dumps everything again with ASCII escapes (a Chinese name costs 18 bytes
instead of 6). For a few thousand compounds that doubles the payload and
dominates every rerun. :class:`VectorLayer` embeds the text once and lets
Leaflet read the fill colour from a feature property.

Text in the features must already be escaped (``layers.geojson.to_geojson``
with ``text=``); tooltips are built from those escaped properties. Packed
features (``layers.packed.pack_features``) are accepted too and unpacked in
the browser.

:class:`ScriptElement` is the base of every layer here that embeds data: it
renders its script straight into the page. ``MacroElement.render`` wraps the
rendered script in a new ``Element``, which compiles it as a Jinja template —
lexing every byte of the embedded GeoJSON (0.25 s per rerun for 5,000
compounds) to find no template in it.
"""
from __future__ import annotations

import json

from branca.element import Element, MacroElement
from jinja2 import Template

from layers.escape import escape_text
from layers.packed import DECODER_JS, is_packed


def _js(value) -> str:
    """A JS literal for ``value`` that cannot close the surrounding script tag."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


class _Rendered(Element):
    """Text that is already the final script (no Jinja pass over it)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class ScriptElement(MacroElement):
    """A MacroElement with only a ``script`` macro, rendered without re-templating its output."""

    def render(self, **kwargs):
        module = self._template.module.__dict__
        if "header" in module or "html" in module or "script" not in module:
            return super().render(**kwargs)
        self.get_root().script.add_child(_Rendered(module["script"](self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


# Permanent labels only where they can be read. On every zoom, move and resize the labels of
# all labelled layers on the map are placed in order of priority (larger first): to the right
# of their circle, else left, above or below, in the first spot that touches no label already
# placed, no circle and no map control; a label with no free spot is hidden (its circle's
# tooltip still says it in full). Placement is done in container pixels from Leaflet's own
# positions, then applied as the icon's margins, so the page is laid out once per pass.
DECLUTTER_JS = """function (owner, labels) {
    function install(map) {
        if (!map._labelSets) {
            map._labelSets = [];
            var hit = function (a, b) { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1; };
            var place = function () {
                var size = map.getSize(), box = map.getContainer().getBoundingClientRect(), items = [];
                map._labelSets.forEach(function (set) { set.forEach(function (it) {
                    if (it.marker._icon && map.hasLayer(it.marker)) {
                        it.at = map.layerPointToContainerPoint(map.latLngToLayerPoint(it.marker.getLatLng()).round());
                        items.push(it);
                    }
                }); });
                if (items.some(function (it) { return !it.marker._icon.offsetWidth; })) {
                    // not laid out yet (the frame is still hidden or sizing): try again shortly
                    if ((map._labelTries = (map._labelTries || 0) + 1) < 60) { setTimeout(map._placeLabels, 250); }
                    return;
                }
                if (map._labelSizes) { items.forEach(function (it) { map._labelSizes.observe(it.marker._icon); }); }
                items.sort(function (a, b) { return b.priority - a.priority; });
                var circles = items.map(function (it) {
                    return {x0: it.at.x - it.r, y0: it.at.y - it.r, x1: it.at.x + it.r, y1: it.at.y + it.r, it: it};
                });
                var taken = [].slice.call(map.getContainer().querySelectorAll('.leaflet-control')).map(function (c) {
                    var b = c.getBoundingClientRect();
                    return {x0: b.left - box.left - 2, y0: b.top - box.top - 2, x1: b.right - box.left + 2,
                            y1: b.bottom - box.top + 2};
                });
                items.forEach(function (it) {
                    var el = it.marker._icon, w = el.offsetWidth, h = el.offsetHeight, g = it.r + 2, spot = null;
                    var inside = it.at.x > -g && it.at.y > -g && it.at.x < size.x + g && it.at.y < size.y + g;
                    var spots = [[g, -Math.round(h / 2)], [-g - w, -Math.round(h / 2)],
                                 [-Math.round(w / 2), -g - h], [-Math.round(w / 2), g]];
                    for (var i = 0; inside && i < spots.length && !spot; i++) {
                        var s = spots[i], x = it.at.x + Math.round(s[0]), y = it.at.y + Math.round(s[1]);
                        var rect = {x0: x - 1, y0: y - 1, x1: x + w + 1, y1: y + h + 1};
                        if (taken.some(function (o) { return hit(o, rect); })) continue;
                        if (circles.some(function (o) { return o.it !== it && hit(o, rect); })) continue;
                        spot = s; taken.push(rect);
                    }
                    if (spot) {
                        el.style.marginLeft = Math.round(spot[0]) + 'px';
                        el.style.marginTop = Math.round(spot[1]) + 'px';
                        el.style.visibility = '';
                    } else {
                        el.style.visibility = 'hidden';
                    }
                });
            };
            var queued = false;
            map._placeLabels = function () {
                if (queued) { return; }
                queued = true;
                L.Util.requestAnimFrame(function () { queued = false; place(); });
            };
            map.on('zoomend moveend resize overlayadd overlayremove', map._placeLabels);
            map.whenReady(map._placeLabels);
            if (window.ResizeObserver) {  // the frame sized late, a font arriving late: place again
                map._labelSizes = new ResizeObserver(map._placeLabels);
                map._labelSizes.observe(map.getContainer());
            }
            if (document.fonts && document.fonts.addEventListener) {
                document.fonts.addEventListener('loadingdone', map._placeLabels);
            }
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(map._placeLabels); }
        }
        if (map._labelSets.indexOf(labels) < 0) { map._labelSets.push(labels); }
        map._placeLabels();
    }
    if (owner instanceof L.Map) { install(owner); return; }
    owner.on('add', function () { install(owner._map); });
    if (owner._map) { install(owner._map); }
}"""


class VectorLayer(ScriptElement):
    """GeoJSON (plain or packed) drawn on the canvas, styled in JS: one style, per-feature overrides in
    ``properties._style``, a fill colour from ``fill_property``; escaped tooltips; optional permanent
    labels beside point features (``label_property``, escaped upstream) and a white casing under lines."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {%- if this.label_js %}
        var {{ this.get_name() }}_labels = [];
        {%- endif %}
        var {{ this.get_name() }} = L.geoJson(null, {
            interactive: {{ this.interactive }},
            {%- if this.pane %}
            pane: {{ this.pane_js }},
            {%- endif %}
            style: function (f) {
                var s = Object.assign({}, {{ this.style_js }}, (f.properties || {})._style || {});
                if (s.dashArray === null) { delete s.dashArray; }
                {%- if this.fill_property %}
                if (f.properties && f.properties[{{ this.fill_property_js }}]) {
                    s.fillColor = f.properties[{{ this.fill_property_js }}];
                }
                {%- endif %}
                {%- if this.casing %}
                s = {color: '#ffffff', opacity: 0.9, weight: (s.weight || 2) + 3, lineCap: 'round'};
                {%- endif %}
                return s;
            },
            pointToLayer: function (f, latlng) {
                var r = ((f.properties || {})._style || {}).radius || {{ this.point_radius }};
                return L.circleMarker(latlng, {radius: r{% if this.pane %}, pane: {{ this.pane_js }}{% endif %}});
            },
            onEachFeature: function (f, layer) {
                var p = f.properties || {};
                {%- if this.tooltip_js %}
                layer.bindTooltip({{ this.tooltip_js }}, {sticky: true});
                {%- endif %}
                {%- if this.label_js %}
                if (f.geometry && f.geometry.type === 'Point' && p[{{ this.label_js }}]) {
                    var r = ((p._style || {}).radius || {{ this.point_radius }});
                    var lm = L.marker(layer.getLatLng(), {interactive: false, keyboard: false, icon: L.divIcon({
                        className: 'map-label', iconSize: null, iconAnchor: [-r - 2, 8],
                        html: '<span style="display:block;font:600 12px/16px sans-serif;color:#212121;white-space:nowrap;'
                            + 'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff">'
                            + p[{{ this.label_js }}] + '<\\/span>'})
                    }).addTo({{ this._parent.get_name() }});
                    {{ this.get_name() }}_labels.push({marker: lm, r: r,
                        priority: {% if this.priority_js %}Number(p[{{ this.priority_js }}]) || 0{% else %}0{% endif %}});
                }
                {%- endif %}
                {%- if this.highlight_js %}
                layer.on('mouseover', function () { layer.setStyle({{ this.highlight_js }}); });
                layer.on('mouseout', function () { {{ this.get_name() }}.resetStyle(layer); });
                {%- endif %}
            }
        });
        {{ this.get_name() }}.addData({{ this.data_js }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- if this.label_js %}
        ({{ this.declutter_js }})({{ this._parent.get_name() }}, {{ this.get_name() }}_labels);
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, geojson: str, *, style: dict, fill_property: str | None = None,
                 interactive: bool = True, tooltip: tuple[tuple[str, str], ...] = (),
                 highlight: dict | None = None, point_radius: float = 5, label_property: str | None = None,
                 casing: bool = False, pane: str | None = None, label_priority: str | None = None):
        super().__init__()
        self._name = "VectorLayer"
        self.pane, self.pane_js = pane, _js(pane)
        self.label_js = _js(label_property) if label_property else ""
        self.priority_js = _js(label_priority) if label_priority else ""  # larger first when labels collide
        self.declutter_js = DECLUTTER_JS
        self.casing = casing  # a white halo under each line, so it reads on dark fills
        text = geojson.strip()
        if not text.startswith("{"):
            raise ValueError("VectorLayer expects GeoJSON text (a FeatureCollection)")
        self.data_js = text.replace("</", "<\\/")
        if is_packed(text):
            self.data_js = f"({DECODER_JS})({self.data_js})"
        self.style_js = _js(style)
        self.fill_property = fill_property
        self.fill_property_js = _js(fill_property)
        self.interactive = "true" if interactive else "false"
        self.point_radius = float(point_radius)
        self.highlight_js = _js(highlight) if highlight else ""
        # "<b>alias</b> " + p["field"] (+ "<br>" …): aliases escaped here, values escaped upstream
        parts = [f'{_js("<b>" + escape_text(alias) + "</b>&nbsp;")} + (p[{_js(field)}] ?? "")'
                 for field, alias in tooltip]
        self.tooltip_js = ' + "<br>" + '.join(parts)
