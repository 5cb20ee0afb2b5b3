"""错时停车 map layers: compounds by parking shortage, shared resources by capacity, assignment lines.

Three GeoJSON builders (WGS-84 in, text escaped, styles as feature
properties) and three ``build_*_layer`` functions that draw them with Leaflet
on the map's canvas: no folium.Marker/Icon, no plugin, no CDN. Every text from
data is escaped by :func:`layers.geojson.to_geojson` before it reaches a
tooltip or label; styles and numbers are computed here, never read from data.
"""
from __future__ import annotations

import math

import folium
import geopandas as gpd
import pandas as pd
import shapely
from shapely.ops import nearest_points

from geo.projection import WGS84
from layers.colours import NO_DATA, quantile_classes
from layers.geojson import to_geojson
from layers.vector import VectorLayer
from policy.parking import ROAD_KIND, hours_label

KIND_COLOURS = {"机关": "#1f78b4", "企业": "#6a3d9a", "事业单位": "#33a02c", "商业配建": "#ff7f00",
                ROAD_KIND: "#e31a1c"}
UNUSED = "#9e9e9e"        # a resource that takes no car in this plan
LINE_COLOUR = "#08306b"
OUT_OF_PLAN = "#eeeeee"   # compounds without shortage or left out of this plan
COMPOUND_TEXT = ("name", "community")
RESOURCE_TEXT = ("name", "owner_kind", "hours", "weekend_hours", "status", "note", "label")
LINE_TEXT = ("compound", "resource", "walk")


# --------------------------------------------------------------------------- GeoJSON
def shortage_fills(shortage: pd.Series, planned: pd.Series) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Fill colours by shortage (quantile classes, darker = more cars short) for planned compounds.

    Compounds outside the plan (no shortage, or not chosen) are pale grey.
    """
    v = pd.to_numeric(shortage, errors="coerce").where(planned.astype(bool))
    fills, entries = quantile_classes(v.where(v > 0))
    fills = fills.where(planned.astype(bool) & (v > 0), OUT_OF_PLAN)
    entries = [e for e in entries if e[0] != NO_DATA] + [(OUT_OF_PLAN, "无缺口或未纳入本次规划")]
    return fills, entries


def compounds_geojson(frame: gpd.GeoDataFrame, result) -> tuple[str, list[tuple[str, str]]]:
    """Compounds (``id, name, community, shortage`` + polygons, WGS-84) with this plan's numbers.

    Returns the GeoJSON text (``shortage, placed, unplaced, _style``) and the legend entries.
    """
    planned = frame["id"].isin(result.shortage.index)
    placed = result.assignments.groupby("compound_id")["cars"].sum()
    out = frame[["id", *COMPOUND_TEXT, "shortage", "geometry"]].copy()
    out["shortage"] = out["shortage"].astype(object).where(out["shortage"].notna(), None)  # 未填报 stays empty
    out["placed"] = out["id"].map(placed).fillna(0).astype(int)
    out["unplaced"] = out["id"].map(result.unplaced).fillna(0).astype(int)
    fills, entries = shortage_fills(out["shortage"], planned)
    out["_style"] = [{"fillColor": f, "fillOpacity": 0.85 if p else 0.45, "weight": 1 if p else 0.5}
                     for f, p in zip(fills, planned)]
    props = ["id", *COMPOUND_TEXT, "shortage", "placed", "unplaced", "_style"]
    return to_geojson(gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs), properties=props,
                      text=COMPOUND_TEXT, simplify_tolerance_m=2), entries


def radius_px(capacity) -> float:
    """Circle radius in pixels: area grows with capacity (30 spaces ≈ 7 px, 100 ≈ 9 px, 500 ≈ 15 px)."""
    cap = max(0.0, float(capacity or 0))
    return round(min(18.0, 4.0 + 0.5 * math.sqrt(cap)), 1)


def anchor_point(geom):
    """Where a resource is drawn and lines end: a point itself, a road's midpoint, a car park's inside."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "MultiLineString"):
        return shapely.line_interpolate_point(shapely.line_merge(geom), 0.5, normalized=True) \
            if geom.geom_type == "LineString" else geom.representative_point()
    return geom if geom.geom_type == "Point" else geom.representative_point()


def resources_geojson(frame: gpd.GeoDataFrame, result) -> str:
    """Resources (``id, name, owner_kind, capacity, weekday_/weekend_ opens/closes, status``, WGS-84)
    as points sized by capacity and labelled with it, coloured by owner kind; grey when unused.

    Road bays also get their line (``_line`` True) so the stretch of road shows.
    """
    used = result.assignments.groupby("resource_id")["cars"].sum()
    reasons = result.reasons
    rows = []
    for r in frame.itertuples(index=False):
        point = anchor_point(r.geometry)
        if point is None:
            continue
        cars = int(used.get(r.id, 0))
        colour = KIND_COLOURS.get(r.owner_kind, UNUSED) if cars else UNUSED
        road = r.owner_kind == ROAD_KIND
        note = reasons.get(r.id) if r.id in reasons.index else "不在可规划状态（暂停）"
        if road and r.status != "可用":
            note = "需报县综合执法局审批" + (f"；{note}" if note else "")
        known = not pd.isna(r.capacity)  # a capacity not reported is shown as such, never as 0
        base = {"id": int(r.id), "name": r.name, "owner_kind": r.owner_kind,
                "capacity": int(r.capacity) if known else "未填报",
                "cars": cars, "hours": hours_label(r.weekday_opens, r.weekday_closes),
                "weekend_hours": hours_label(r.weekend_opens, r.weekend_closes), "status": r.status,
                "note": (note or "") if known else "可共享车位未填报，未纳入规划",
                "label": f"{int(r.capacity)}位" if known else "?位"}
        rows.append({**base, "_line": False, "geometry": point,
                     "_style": {"radius": radius_px(r.capacity if known else 0), "fillColor": colour,
                                "color": "#ffffff" if cars else "#616161", "weight": 1.5 if cars else 1,
                                "fillOpacity": 0.9 if cars else 0.25}})
        if road and r.geometry.geom_type in ("LineString", "MultiLineString"):
            rows.append({**base, "label": "", "_line": True, "geometry": r.geometry,
                         "_style": {"color": colour, "weight": 5, "opacity": 0.8,
                                    "dashArray": None if r.status == "可用" else "6 4"}})
    columns = ["id", "name", "owner_kind", "capacity", "cars", "hours", "weekend_hours", "status", "note", "label",
               "_line", "_style"]
    gdf = gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)
    gdf = gdf.sort_values("_line", ascending=False, kind="stable")  # lines first, circles on top
    return to_geojson(gdf, properties=columns, text=RESOURCE_TEXT)


def line_weight(cars: int, most: int) -> float:
    """Line width in pixels: 2 px for one car up to 10 px for the largest assignment (area-like)."""
    return round(2.0 + 8.0 * math.sqrt(max(cars, 0) / most), 1) if most > 0 else 2.0


def assignment_lines_geojson(compounds: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, result,
                             routes: gpd.GeoSeries | None = None) -> str:
    """One line per assignment, from the compound's centroid to the nearest point of the resource.

    ``compounds``/``resources`` as for the other builders (WGS-84); width grows with cars.
    ``routes`` (``policy.parking.walking_routes``, same datum as the frames): the walk
    along the road network the plan measured, drawn instead of the straight line.
    """
    a = result.assignments
    if a.empty:
        return to_geojson(gpd.GeoDataFrame({"compound": [], "resource": [], "cars": [], "walk": [],
                                            "_style": []}, geometry=[], crs=WGS84),
                          properties=["compound", "resource", "cars", "walk", "_style"], text=LINE_TEXT)
    comp = compounds.set_index("id")
    res = resources.set_index("id")
    most = int(a["cars"].max())
    rows = []
    for row in a.itertuples(index=False):
        if row.compound_id not in comp.index or row.resource_id not in res.index:
            continue
        pair = (row.compound_id, row.resource_id)
        if routes is not None and pair in routes.index:
            line = routes.loc[pair]
        else:
            start = comp.geometry.loc[row.compound_id].centroid
            target = res.geometry.loc[row.resource_id]
            end = anchor_point(target) if target.geom_type == "Point" else nearest_points(start, target)[1]
            line = shapely.LineString([start, end])
        walk = "—" if pd.isna(row.walk_m) else f"{row.walk_m:.0f} 米"
        rows.append({"compound": comp.loc[row.compound_id, "name"], "resource": res.loc[row.resource_id, "name"],
                     "cars": int(row.cars), "walk": walk, "geometry": line,
                     "_style": {"weight": line_weight(int(row.cars), most), "color": LINE_COLOUR,
                                "opacity": 0.85, "dashArray": "6 5" if row.locked else None}})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).sort_values("cars", kind="stable")
    return to_geojson(gdf, properties=["compound", "resource", "cars", "walk", "_style"], text=LINE_TEXT)


def plan_bounds(compounds: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, result, *,
                pad_deg: float = 0.002) -> tuple[float, float, float, float] | None:
    """Where the map opens: around the assignments (the lines are what a planner checks), else around
    the planned compounds and the resources, else all compounds; padded by ``pad_deg`` (~200 m)."""
    a = result.assignments
    for parts in ((compounds[compounds["id"].isin(a["compound_id"])], resources[resources["id"].isin(a["resource_id"])]),
                  (compounds[compounds["id"].isin(result.shortage.index)], resources),
                  (compounds,)):
        geoms = pd.concat([p.geometry for p in parts]).dropna()
        if len(geoms):
            minx, miny, maxx, maxy = geoms.total_bounds
            return (minx - pad_deg, miny - pad_deg, maxx + pad_deg, maxy + pad_deg)
    return None


def resource_legend_entries(*, network: bool = False) -> list[tuple[str, str]]:
    lines = "分配连线（沿路网，越粗车辆越多，虚线为锁定）" if network else "分配连线（越粗车辆越多，虚线为锁定）"
    return [*((c, k) for k, c in KIND_COLOURS.items()), (UNUSED, "本方案未安排车辆"), (LINE_COLOUR, lines),
            *([(NETWORK_STYLE["color"], "路网")] if network else [])]


# --------------------------------------------------------------------------- layers
COMPOUND_STYLE = {"color": "#424242", "weight": 1, "fillOpacity": 0.85, "fillColor": OUT_OF_PLAN}


def build_shortage_layer(geojson: str, *, name: str = "缺口小区") -> folium.FeatureGroup:
    """Compounds from :func:`compounds_geojson`: fill by shortage; tooltip with the plan's numbers."""
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style=COMPOUND_STYLE, highlight={"weight": 3, "color": "#0d47a1"},
                tooltip=(("name", "小区"), ("community", "社区"), ("shortage", "停车缺口（辆）"),
                         ("placed", "已安排（辆）"), ("unplaced", "仍缺（辆）"))).add_to(group)
    return group


def build_resource_layer(geojson: str, *, name: str = "共享停车资源", labels: bool = True) -> folium.FeatureGroup:
    """Resources from :func:`resources_geojson`: circles sized by capacity, capacity as a label.

    Labels never overlap each other, a circle or a map control: at each zoom they are placed
    larger capacity first, beside their circle where there is room, else hidden (the circle's
    tooltip gives the capacity in full)."""
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style={"color": "#ffffff", "weight": 1.5, "fillOpacity": 0.9, "fillColor": UNUSED},
                label_property="label" if labels else None, label_priority="capacity",
                tooltip=(("name", "停车资源"), ("owner_kind", "产权单位类型"), ("capacity", "可共享车位"),
                         ("cars", "本方案安排（辆）"), ("hours", "工作日开放"), ("weekend_hours", "节假日开放"),
                         ("status", "状态"), ("note", "说明"))).add_to(group)
    return group


NETWORK_STYLE = {"color": "#9e9e9e", "weight": 1.5, "opacity": 0.8, "fill": False}


def network_geojson(network: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """The uploaded road network (WGS-84 or the basemap's datum), geometry only, ~1 m simplified."""
    lines = network.geometry if isinstance(network, gpd.GeoDataFrame) else network
    return to_geojson(gpd.GeoDataFrame(geometry=lines.to_numpy(), crs=WGS84), properties=[],
                      simplify_tolerance_m=1)


def build_network_layer(geojson: str, *, name: str = "路网") -> folium.FeatureGroup:
    """The road network walking was measured along: thin grey lines under the plan, not interactive."""
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style=NETWORK_STYLE, interactive=False).add_to(group)
    return group


def build_assignment_layer(geojson: str, *, name: str = "车辆安排") -> folium.FeatureGroup:
    """Lines from :func:`assignment_lines_geojson`, width by cars; tooltip compound → resource."""
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style={"fill": False}, casing=True, interactive=False).add_to(group)
    VectorLayer(geojson, style={"color": LINE_COLOUR, "weight": 2, "opacity": 0.75, "fill": False},
                highlight={"color": "#d84315"},
                tooltip=(("compound", "小区"), ("resource", "安排至"), ("cars", "车辆（辆）"),
                         ("walk", "步行距离"))).add_to(group)
    return group
