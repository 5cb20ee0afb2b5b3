"""Layers: escaping, offline script links, compact GeoJSON, colour modes, legends."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from layers import offline
from layers.basemaps import for_basemap
from layers.boundaries import build_boundary_layer, build_label_layer
from layers.colours import (NO_DATA, SEQUENTIAL, categorical, colour_compounds, edge_labels,
                            quantile_classes)
from layers.compounds import build_compound_layer
from layers.escape import escape_text
from layers.geojson import to_geojson
from layers.legend import build_legend
from layers.maps import make_map

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`;alert(1);`", "a\\`b", "</script><script>alert(1)</script>"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_escape_text_neutralises_html_and_template_syntax(raw):
    out = escape_text(raw)
    for ch in "<>`$\\":
        assert ch not in out


@pytest.mark.parametrize("raw, expected", [("金城花园", "金城花园"), ("A&B", "A&amp;B"), (None, ""),
                                           (float("nan"), ""), (12, "12"), ('"q"', "&quot;q&quot;")])
def test_escape_text_plain_values(raw, expected):
    assert escape_text(raw) == expected


def _frame(names):
    geoms = [box(116.3 + i * 0.01, 35.0, 116.305 + i * 0.01, 35.005) for i in range(len(names))]
    return gpd.GeoDataFrame({"id": range(1, len(names) + 1), "name": names, "_fill": "#ff0000"},
                            geometry=geoms, crs="EPSG:4326")


def _scripts_and_html(m) -> str:
    return m.get_root().render()


def test_map_loads_only_served_assets():
    offline.ensure_static()
    m = make_map((116.1, 34.9, 116.5, 35.3))
    geo = to_geojson(_frame(["甲", "乙"]), properties=["id", "name", "_fill"], text=("name",))
    build_compound_layer(geo).add_to(m)
    build_boundary_layer(geo, level="township", name="镇街").add_to(m)
    build_label_layer(_frame(["甲"]), name="名称").add_to(m)
    build_legend("图例", [("#ff0000", "一类")]).add_to(m)
    html = _scripts_and_html(m)
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs, "no script or stylesheet links found"
    assert all(not s.startswith(("http:", "https:", "//")) for s in srcs), srcs
    assert any(s.endswith("leaflet/leaflet.js") for s in srcs)
    for rel in ("leaflet/leaflet.js", "leaflet/leaflet.css", "jquery/jquery.min.js",
                "leaflet/images/marker-icon.png"):
        assert (offline.STATIC_DIR / rel).exists(), rel


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_names_never_reach_the_page_raw(raw):
    frame = _frame([raw])
    m = make_map((116.1, 34.9, 116.5, 35.3))
    geo = to_geojson(frame, properties=["id", "name", "_fill"], text=("name",))
    build_compound_layer(geo).add_to(m)
    build_label_layer(frame, name="名称").add_to(m)
    build_legend(raw, [("#fff", raw)]).add_to(m)
    html = _scripts_and_html(m)
    assert raw not in html
    for live in ("<img", "${alert", "`;alert", "<script>alert"):
        assert live not in html


def test_geojson_is_compact_and_keeps_only_asked_properties():
    frame = _frame(["金城花园"]).assign(secret="13812341234")
    frame.loc[0, "geometry"] = box(116.123456789, 35.0, 116.2, 35.11111111)
    text = to_geojson(frame, properties=["id", "name"], text=("name",))
    data = json.loads(text)
    assert data["features"][0]["properties"] == {"id": 1, "name": "金城花园"}
    assert "13812341234" not in text
    assert "116.12346" in text and "116.123456789" not in text


def test_geojson_refuses_other_crs():
    with pytest.raises(ValueError):
        to_geojson(_frame(["a"]).to_crs(3857), properties=["id"])


def test_geojson_skips_missing_geometry():
    frame = _frame(["a", "b"])
    frame.loc[1, "geometry"] = None
    assert len(json.loads(to_geojson(frame, properties=["id"]))["features"]) == 1


def test_amap_basemap_shifts_to_gcj02_and_others_do_not():
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(116.31, 35.07)], crs="EPSG:4326")
    assert for_basemap(frame, "none") is frame
    shifted = for_basemap(frame, "amap").geometry.iloc[0]
    dx, dy = shifted.x - 116.31, shifted.y - 35.07
    assert 0.002 < abs(dx) + abs(dy) < 0.01  # hundreds of metres
    assert frame.geometry.iloc[0].x == 116.31  # input untouched


def test_categorical_colours_are_stable_and_mark_missing():
    fills, entries = categorical(pd.Series(["b", "a", None]), ("a", "b"))
    assert fills[0] != fills[1] and fills[2] == NO_DATA
    assert entries[-1] == (NO_DATA, "未登记")


def test_quantile_classes_darker_for_more():
    values = pd.Series([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, np.nan])
    fills, entries = quantile_classes(values)
    assert fills[10] == SEQUENTIAL[-1]
    assert fills[1] == SEQUENTIAL[0]
    assert fills[11] == NO_DATA and fills[0] == "#f7f7f7"
    assert entries[0][1] == "0"


def test_quantile_classes_constant_values():
    fills, entries = quantile_classes(pd.Series([2.0, 2.0, 2.0]))
    assert len(set(fills)) == 1 and len(entries) == 1


@pytest.mark.parametrize("mode", ["complaints", "class", "management"])
def test_every_mode_colours_every_compound(mode):
    df = pd.DataFrame({"compound_class": ["商品房", "老旧小区"], "management_mode": ["无物业", "业主自管"],
                       "complaint_density": [0.5, 3.0]})
    fills, entries, title = colour_compounds(df, mode)
    assert fills.notna().all() and entries and title


@pytest.mark.parametrize("edges, labels", [
    ([0, 1, 2], ["0", "1", "2"]),
    ([0.02, 0.07, 0.12, 4.3], ["0.02", "0.07", "0.12", "4.30"]),  # not 0.0 / 0.1 / 0.1
    ([0.5, 1.25], ["0.5", "1.2"]),                                # not 0 / 1
    ([3.0, 12.0, 40.0], ["3", "12", "40"]),
])
def test_edge_labels_use_just_enough_decimals(edges, labels):
    assert edge_labels(edges) == labels


@pytest.mark.parametrize("mode, owners, branch, gaps", [
    ("专业化物业", "业主委员会", True, []),
    ("专业化物业", "无", True, ["无业主组织"]),
    ("无物业", "无", False, ["无物业服务", "无业主组织", "无小区党支部"]),
    ("国有企业兜底", "居委会代行", False, ["无小区党支部"]),
])
def test_governance_gaps(mode, owners, branch, gaps):
    from policy.coverage import governance_gaps

    row = {"management_mode": mode, "owners_body": owners, "party_branch": branch}
    assert governance_gaps(row) == gaps
    fills, entries, _ = colour_compounds(pd.DataFrame([row]), "governance")
    assert entries[0][1] == ("健全" if not gaps else f"缺 {len(gaps)} 项")
    assert fills.iloc[0] == entries[0][0]


def test_heat_cells_are_compact_and_reassemble_the_hexagons():
    import json as _json

    from layers.heat import heat_cells, heat_frame

    rng = np.random.default_rng(1)
    points = pd.DataFrame({"lon": 116.3 + rng.normal(0, 0.01, 5000),
                           "lat": 35.07 + rng.normal(0, 0.01, 5000), "count": 1})
    hexes = heat_frame(points, radius_m=250)
    text, entries = heat_cells(hexes)
    payload = _json.loads(text)
    assert len(payload["cells"]) == len(hexes) and len(payload["offsets"]) == 6
    assert len(text) < 40 * len(hexes)           # ~20 bytes per cell, not ~200 per polygon
    assert [c for c, _ in entries] == payload["colours"]
    # centre + offsets rebuild the server's hexagon to within a metre or so
    first = np.asarray(hexes.geometry.iloc[0].exterior.coords)[:6]
    cx, cy = payload["cells"][0][:2]
    rebuilt = np.array([[cx + dx, cy + dy] for dx, dy in payload["offsets"]])
    assert np.abs(rebuilt - first).max() < 2e-5  # degrees (~2 m)
    assert sum(hexes["count"]) == 5000


def test_vector_layer_embeds_text_once_and_cannot_close_the_script():
    import folium as _folium

    from layers.compounds import build_compound_layer

    nasty = "</script><img src=x onerror=alert(1)>`${alert(1)}`"
    gdf = gpd.GeoDataFrame({"id": [1], "name": [nasty], "_fill": ["#ff0000"]},
                           geometry=[box(116.3, 35.0, 116.31, 35.01)], crs="EPSG:4326")
    text = to_geojson(gdf, properties=["id", "name", "_fill"], text=("name",))
    m = _folium.Map(tiles=None)
    build_compound_layer(text).add_to(m)
    html = m.get_root().render()
    assert "</script><img" not in html and "onerror=alert(1)>" not in html
    assert html.count("#ff0000") == 1          # no per-feature style switch
    assert "L.geoJson(null" in html


# --------------------------------------------------------------------------- scale-aware map
def test_area_values_leave_unknowns_out_of_shares_and_densities():
    from layers.colours import area_values

    df = pd.DataFrame({
        "township_id": [1, 1, 1, 2, 2],
        "management_mode": ["专业化物业", "无物业", None, None, None],
        "complaint_density": [1.0, 3.0, float("nan"), 2.0, float("nan")],
        "households": [100, 300, None, 50, None],
    })
    shares = area_values(df, "management", by="township_id").set_index("township_id")
    assert shares.loc[1, "value"] == pytest.approx(50.0)  # 1 of the 2 known, not 1 of 3
    assert shares.loc[1, "known"] == 2
    assert pd.isna(shares.loc[2, "value"]) and shares.loc[2, "known"] == 0  # unknown, not 0 %
    density = area_values(df, "complaints", by="township_id").set_index("township_id")
    assert density.loc[1, "value"] == pytest.approx((1 * 100 + 3 * 300) / 400)  # weighted by households
    assert density.loc[2, "value"] == pytest.approx(2.0)


def test_place_shares_are_classed_by_their_own_spread():
    """Small shares still differ in colour (all under 10 % once came out in one colour)."""
    from layers.colours import SHARE_RAMP, area_classes

    shares = pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 8.0])
    fills, entries = area_classes(shares, "evaluation")
    ramp = list(SHARE_RAMP)
    shades = [ramp.index(f) if f in ramp else -1 for f in fills]
    assert shades == sorted(shades) and len(set(fills)) >= 4  # darker for more, and distinguishable
    assert fills.iloc[-1] == SHARE_RAMP[-1]
    assert all(label.endswith("%") for _, label in entries)


def test_unknown_place_is_grey_and_said_so():
    from layers.colours import NO_DATA, area_classes

    fills, entries = area_classes(pd.Series([20.0, float("nan")]), "evaluation")
    assert fills.iloc[1] == NO_DATA and (NO_DATA, "无已知数据") in entries


@pytest.mark.parametrize("width_m, zoom", [(100, 13.5), (50, 14.5), (400, 11.5), (2000, 11.0), (5, 15.0)])
def test_compounds_show_from_the_zoom_where_the_median_is_eight_pixels_wide(width_m, zoom):
    from layers.panes import visible_zoom

    assert visible_zoom([width_m] * 3, lat=35.0) == zoom


def test_heat_has_its_own_ramp_apart_from_the_compound_colours():
    from layers.colours import CATEGORICAL, FEE_STATUS_COLOURS, HEAT_RAMP, SEQUENTIAL

    assert not set(HEAT_RAMP) & (set(SEQUENTIAL) | set(CATEGORICAL) | set(FEE_STATUS_COLOURS.values()))


def test_place_shares_use_their_own_single_hue():
    from layers.colours import CATEGORICAL, FEE_STATUS_COLOURS, HEAT_RAMP, SHARE_RAMP

    assert not set(SHARE_RAMP) & (set(HEAT_RAMP) | set(CATEGORICAL) | set(FEE_STATUS_COLOURS.values()))


def test_a_legend_in_a_swapped_layer_follows_it_on_and_off():
    import folium

    from layers.compounds import build_compound_layer
    from layers.maps import make_map

    m = make_map((116.2, 35.0, 116.4, 35.1))
    fc = '{"type":"FeatureCollection","features":[]}'
    build_compound_layer(fc, name="住宅小区", min_zoom=13, legend=("图例", [("#fff", "一类")])).add_to(m)
    html = m.get_root().render()
    assert "owner.on('remove'" in html and 'data-pane' in html and '"compounds"' in html
    assert "_rangedPanes" in html


@pytest.mark.parametrize("px, levels", [(100, 1.0), (200, 1.75), (50, 0.5)])
def test_one_wheel_notch_is_one_zoom_level(px, levels):
    """Leaflet's own wheel arithmetic (ScrollWheelZoom._performZoom) with the maps' setting."""
    from layers.maps import wheel_levels

    assert wheel_levels(px) == levels
    assert wheel_levels(100, px_per_level=60) == 1.25  # Leaflet's default: a notch and a quarter


def test_every_map_has_the_one_level_wheel():
    from layers.maps import WHEEL_PX_PER_ZOOM_LEVEL, make_map

    html = make_map((116.2, 35.0, 116.4, 35.1)).get_root().render()
    assert f'"wheelPxPerZoomLevel": {WHEEL_PX_PER_ZOOM_LEVEL}' in html


def test_outlines_let_clicks_through_to_the_places_beneath():
    """With canvas rendering the outlines' canvas covered the filled places: a click on a township (or a
    city of a province) did nothing. The outlines are drawn in a pane that takes no pointer events."""
    m = make_map((116.1, 34.9, 116.5, 35.3))
    geo = to_geojson(_frame(["甲"]), properties=["id", "name"], text=("name",))
    build_boundary_layer(geo, level="township", name="镇街").add_to(m)
    html = _scripts_and_html(m)
    assert re.search(r'\(map_\w+, "outlines", 400, 0\.0, 30\.0, true\)', html), "no passive outlines pane"
    assert re.search(r'L\.geoJson\(null, \{\s*interactive: false,\s*pane: "outlines"', html)


def test_a_map_legend_folds_to_its_title_and_keeps_clicks_off_the_map():
    """The in-map legend is a ``<details>`` open at first (its title the summary that folds it), remembered
    for the tab, with clicks and wheel stopped at it; escaped like every legend text."""
    from layers.legend import entries_html

    html = entries_html("诉求<数量>", [("#fff", "一类&二类")])
    assert html.startswith("<details open><summary") and html.endswith("</details>")
    assert "诉求&lt;数量&gt;</summary>" in html and "一类&amp;二类" in html
    m = make_map((116.2, 35.0, 116.4, 35.1))
    build_legend("图例", [("#fff", "一类")]).add_to(m)
    script = m.get_root().render()
    for piece in ("L.DomEvent.disableClickPropagation(div)", "L.DomEvent.disableScrollPropagation(div)",
                  "sessionStorage.getItem(KEY)", "addEventListener('toggle'"):
        assert piece in script, piece
