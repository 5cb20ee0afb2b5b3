"""错时停车 map layers: hostile names escaped everywhere they reach the page, styles from the plan,
nothing loaded from a CDN."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from layers import offline
from layers import parking as pl
from layers.escape import escape_text
from layers.legend import build_legend, legend_html
from layers.maps import make_map
from policy import parking as rules

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`;alert(1);`", "</script><script>alert(1)</script>",
           "\\u003cimg src=x\\u003e"]
X0, Y0 = 116.28, 35.08
DEG_PER_M = 1 / 111_000  # good enough at 35°N for the few hundred metres used here


def _frames(name: str, *, kind: str = "机关"):
    compounds = gpd.GeoDataFrame(
        {"id": [1, 2, 3], "name": [name, "老城家属院", "新城花园"], "community": [name, "一社区", "一社区"],
         "shortage": [60, 20, 0]},
        geometry=[box(X0, Y0, X0 + 0.0008, Y0 + 0.0008), box(X0 + 0.002, Y0, X0 + 0.0028, Y0 + 0.0008),
                  box(X0, Y0 + 0.01, X0 + 0.0008, Y0 + 0.0108)], crs="EPSG:4326")
    road = LineString([(X0 - 0.001, Y0 + 0.002), (X0 + 0.001, Y0 + 0.002)])
    resources = gpd.GeoDataFrame(
        {"id": [10, 11, 12], "name": [name, f"{name}路夜间临时泊位", "远处停车场"],
         "owner_kind": [kind, rules.ROAD_KIND, "企业"], "capacity": [40, 30, 100],
         "weekday_opens": ["18:00", "19:00", "18:00"], "weekday_closes": ["07:30", "07:30", "07:30"],
         "weekend_opens": ["00:00", "19:00", None], "weekend_closes": ["23:59", "08:30", None],
         "status": ["可用", "待审批", "可用"], "contact": [name, None, None]},
        geometry=[Point(X0 + 0.001, Y0 - 0.001), road, Point(X0 + 0.05, Y0 + 0.05)], crs="EPSG:4326")
    plan_in = gpd.GeoDataFrame({"compound_id": [1, 2], "shortage": [60, 20]},
                               geometry=compounds.geometry[:2].to_numpy(), crs="EPSG:4326")
    offers = gpd.GeoDataFrame({"resource_id": resources["id"], "capacity": resources["capacity"],
                               "opens": resources["weekday_opens"], "closes": resources["weekday_closes"]},
                              geometry=resources.geometry.to_numpy(), crs="EPSG:4326")
    return compounds, resources, rules.plan(plan_in, offers)


def _map(name: str):
    compounds, resources, result = _frames(name)
    comp_json, entries = pl.compounds_geojson(compounds, result)
    m = make_map(pl.plan_bounds(compounds, resources, result))
    pl.build_shortage_layer(comp_json).add_to(m)
    pl.build_assignment_layer(pl.assignment_lines_geojson(compounds, resources, result)).add_to(m)
    pl.build_resource_layer(pl.resources_geojson(resources, result)).add_to(m)
    build_legend(name, [*entries, ("#fff", name)]).add_to(m)
    build_legend("共享停车资源", pl.resource_legend_entries(), position="bottomleft").add_to(m)
    return m, result


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_names_never_reach_the_page_raw(raw):
    m, result = _map(raw)
    assert result.placed > 0  # the lines carrying the name were drawn, not skipped
    html = m.get_root().render()
    assert raw not in html
    for live in ("<img", "${alert", "`;alert", "<script>alert", "\\u003cimg"):
        assert live not in html, live
    shown = escape_text(raw)
    # escaped, the name is there: in compound and resource tooltips, line tooltips and the legend
    assert html.count(shown) >= 4, html.count(shown)


def test_map_script_links_only_served_files():
    offline.ensure_static()
    m, _ = _map("幸福小区")
    html = m.get_root().render()
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs and not [s for s in srcs if s.startswith(("http:", "https:", "//"))], srcs
    assert re.search(r'"?preferCanvas"?:\s*true', html)


def _features(text: str) -> list[dict]:
    return json.loads(text)["features"]


def test_compounds_coloured_by_shortage_and_numbers_from_the_plan():
    compounds, _, result = _frames("幸福小区")
    text, entries = pl.compounds_geojson(compounds, result)
    props = {f["properties"]["id"]: f["properties"] for f in _features(text)}
    assert props[1]["shortage"] == 60 and props[1]["placed"] + props[1]["unplaced"] == 60
    assert props[3]["_style"]["fillColor"] == pl.OUT_OF_PLAN  # no shortage: out of the plan
    assert props[1]["_style"]["fillColor"] != props[2]["_style"]["fillColor"]  # 60 darker than 20
    assert entries[-1] == (pl.OUT_OF_PLAN, "无缺口或未纳入本次规划")


def test_resources_sized_by_capacity_and_road_bays_drawn_as_lines():
    compounds, resources, result = _frames("幸福小区")
    feats = _features(pl.resources_geojson(resources, result))
    points = {f["properties"]["id"]: f for f in feats if not f["properties"]["_line"]}
    lines = [f for f in feats if f["properties"]["_line"]]
    assert set(points) == {10, 11, 12}
    assert points[12]["properties"]["_style"]["radius"] > points[11]["properties"]["_style"]["radius"]
    assert [p["properties"]["label"] for p in points.values()] == ["40位", "30位", "100位"]
    assert points[12]["properties"]["cars"] == 0 and points[12]["properties"]["_style"]["fillColor"] == pl.UNUSED
    assert points[10]["properties"]["_style"]["fillColor"] == pl.KIND_COLOURS["机关"]
    assert len(lines) == 1 and lines[0]["geometry"]["type"] == "LineString"
    assert lines[0]["properties"]["_style"]["dashArray"]  # 待审批: dashed
    assert "综合执法局" in points[11]["properties"]["note"]
    assert points[11]["properties"]["hours"] == "19:00—次日07:30"


def test_assignment_lines_weighted_by_cars():
    compounds, resources, result = _frames("幸福小区")
    feats = _features(pl.assignment_lines_geojson(compounds, resources, result))
    assert len(feats) == len(result.assignments) >= 2
    by_cars = sorted(feats, key=lambda f: f["properties"]["cars"])
    assert by_cars[0]["properties"]["_style"]["weight"] < by_cars[-1]["properties"]["_style"]["weight"]
    assert all(f["properties"]["walk"].endswith("米") for f in feats)
    assert pl.line_weight(1, 1) == 10.0 and pl.line_weight(0, 0) == 2.0


def test_with_a_network_the_lines_follow_the_roads_and_the_roads_are_drawn():
    compounds, resources, _ = _frames("幸福小区")
    start = compounds.geometry.iloc[0].centroid
    bend = (start.x + 0.003, start.y)  # east along one street, then north up another to the car park
    park = Point(bend[0], start.y + 0.003)
    streets = gpd.GeoSeries([LineString([(start.x, start.y), bend]), LineString([bend, (park.x, park.y)])],
                            crs="EPSG:4326")
    resources = resources.iloc[:1].assign(geometry=[park])
    plan_in = gpd.GeoDataFrame({"compound_id": [1], "shortage": [10]}, geometry=compounds.geometry[:1].to_numpy(),
                               crs="EPSG:4326")
    offers = gpd.GeoDataFrame({"resource_id": [10], "capacity": [40], "opens": ["18:00"], "closes": ["07:30"]},
                              geometry=[park], crs="EPSG:4326")
    result = rules.plan(plan_in, offers, network=streets, walk_limit_m=1000)
    routes = rules.walking_routes(plan_in, offers, result.assignments, streets)
    straight, = _features(pl.assignment_lines_geojson(compounds, resources, result))
    along, = _features(pl.assignment_lines_geojson(compounds, resources, result, routes))
    assert len(straight["geometry"]["coordinates"]) == 2
    assert len(along["geometry"]["coordinates"]) >= 3
    assert any(abs(x - bend[0]) < 1e-5 and abs(y - bend[1]) < 1e-5 for x, y in along["geometry"]["coordinates"])
    drawn = _features(pl.network_geojson(streets))
    assert len(drawn) == 2 and all(f["geometry"]["type"] == "LineString" for f in drawn)
    m = make_map(pl.plan_bounds(compounds, resources, result))
    pl.build_network_layer(pl.network_geojson(streets)).add_to(m)
    html = m.get_root().render()
    assert pl.NETWORK_STYLE["color"] in html and html.count('"type":"LineString"') + html.count(
        '"type": "LineString"') >= 2


def test_empty_plan_draws_no_lines():
    compounds, resources, _ = _frames("幸福小区")
    far = gpd.GeoDataFrame({"compound_id": [1], "shortage": [5]}, geometry=[Point(X0 + 1, Y0 + 1)], crs="EPSG:4326")
    none = rules.plan(far, gpd.GeoDataFrame({"resource_id": [10], "capacity": [5], "opens": ["18:00"],
                                             "closes": ["07:30"]}, geometry=[Point(X0, Y0)], crs="EPSG:4326"))
    assert none.placed == 0
    assert _features(pl.assignment_lines_geojson(compounds, resources, none)) == []
    assert pl.plan_bounds(compounds, resources, none) is not None


# --------------------------------------------------------------------------- labels and legend
def test_capacity_labels_are_placed_by_priority_with_no_new_script():
    """The resource layer's labels carry their capacity as priority and one inline script places
    them (no plugin, nothing fetched): the map's script links are the same as without labels."""
    offline.ensure_static()
    compounds, resources, result = _frames("幸福小区")

    def render(labels: bool) -> str:
        m = make_map(pl.plan_bounds(compounds, resources, result))
        pl.build_resource_layer(pl.resources_geojson(resources, result), labels=labels).add_to(m)
        return m.get_root().render()

    with_labels, without = render(True), render(False)
    links = lambda html: re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)  # noqa: E731
    assert links(with_labels) == links(without)
    assert not [s for s in links(with_labels) if s.startswith(("http:", "https:", "//"))]
    assert with_labels.count("_labels.push(") == 1 and "_labels.push(" not in without
    assert 'Number(p["capacity"]) || 0' in with_labels  # larger capacity first; 未填报 last
    assert "map._placeLabels" in with_labels and "'zoomend moveend resize overlayadd overlayremove'" in with_labels
    assert "style.visibility = 'hidden'" in with_labels  # no free spot: hidden, the tooltip says it
    assert "_placeLabels" not in without


@pytest.mark.parametrize("raw", HOSTILE)
def test_legend_under_the_map_escapes_its_text(raw):
    html = legend_html(raw, [("#ff0000", raw), ('"><img src=x>', "乙")])
    assert raw not in html and "<img" not in html
    for live in ("${alert", "`;alert", "<script>alert"):
        assert live not in html, live
    assert html.count(escape_text(raw)) == 2 and html.startswith('<div class="governance-legend"')
