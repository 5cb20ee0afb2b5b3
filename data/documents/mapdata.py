"""The maps each document embeds, built from the same scoped reads the pages draw.

- :func:`case_map` — the 呈报表's location: the compound, its neighbours, the case point and photo points;
- :func:`parking_map` — the proposal's assignments: compounds short of spaces, the resources used,
  a line (or the walking route, when one is given) from each compound to each resource;
- :func:`heat_map` — the briefing's complaint heat: hexagon cells (``geo.binning.hex_bins``, the
  same 250 m bins as the overview page) over the township outlines;
- :func:`yoy_map` — the briefing's township choropleth of year-on-year change.

Each returns a :class:`~data.documents.maps.StaticMap`; :func:`data.documents.maps.render` draws it.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import queries
from data.documents.maps import StaticMap, classify
from data.schema import Township
from data.scope import Period, Scope
from geo.binning import hex_bins
from geo.projection import WGS84, to_metric

HEX_RADIUS_M = 250  # the overview page's heat cells
NEAR_M = 600  # the 呈报表's map shows compounds this close to the case


def is_synthetic(engine: Engine) -> bool:
    """Demo data (any township marked synthetic): maps and documents carry the 演示数据 mark."""
    with Session(engine) as s:
        return bool(s.scalar(select(Township.id).where(Township.synthetic.is_(True)).limit(1)))


def _points(rows: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in rows], crs=WGS84)


def case_map(engine: Engine, fields: dict, *, synthetic: bool | None = None) -> StaticMap:
    """Where the case is: its compound (red outline), compounds within ~600 m, case and photo points."""
    synthetic = is_synthetic(engine) if synthetic is None else synthetic
    scope = Scope(fields.get("township_id"))
    m = StaticMap(title="", synthetic=synthetic, height_cm=9.5)
    compounds = queries.compounds(engine, scope)
    target = compounds[compounds["id"] == fields.get("compound_id")]
    centre = None
    if fields.get("lon") is not None and fields.get("lat") is not None:
        centre = Point(fields["lon"], fields["lat"])
    elif len(target) and target.geometry.iloc[0] is not None:
        centre = target.geometry.iloc[0].centroid
    if centre is None:
        return m
    located = compounds[compounds.geometry.notna()]
    metric = to_metric(located) if len(located) else located
    here = gpd.GeoSeries([centre], crs=WGS84).to_crs(metric.crs).iloc[0] if len(located) else None
    near = located[(metric.distance(here) < NEAR_M).to_numpy()] if len(located) else located
    m.outline(queries.communities(engine, scope).clip(near.total_bounds) if len(near) else None,
              colour="#9e9ac8", width=0.8, label="社区界")
    m.polygons(near[near["id"] != fields.get("compound_id")], face="#e0e0e0", edge="#9e9e9e", width=0.4,
               label="周边小区", labels="name")
    m.polygons(target, face="#fcbba1", edge="#cb181d", width=1.5, label=fields.get("compound") or "所在小区",
               labels="name")
    photos = [(p["lon"], p["lat"]) for p in fields.get("photos") or [] if p.get("lon") is not None]
    if photos:
        m.points(_points(photos), colour="#2171b5", size=18, marker="^", label="照片拍摄点")
    m.points(_points([(centre.x, centre.y)]), colour="#cb181d", size=60, marker="*", label="违法违规位置")
    return m


def parking_map(engine: Engine, proposal: dict, *, routes: gpd.GeoSeries | None = None,
                synthetic: bool | None = None) -> StaticMap:
    """The proposal's assignments over its township: who parks where, and how far they walk."""
    synthetic = is_synthetic(engine) if synthetic is None else synthetic
    content = proposal.get("content") or {}
    scope = Scope(proposal.get("township_id"))
    assignments = pd.DataFrame(content.get("assignments") or [],
                               columns=["compound_id", "resource_id", "cars", "walk_m"])
    compound_ids = [c["compound_id"] for c in content.get("compounds") or []]
    compounds = queries.compounds(engine, scope, ids=compound_ids)
    from data.queries.parking import resources as resource_frame

    res = resource_frame(engine, scope)
    res = res[res["id"].isin(assignments["resource_id"])]
    m = StaticMap(synthetic=synthetic, height_cm=13, legend_title="图例")
    m.outline(queries.townships(engine, scope), colour="#636363", width=1.2, label="镇街界")
    unplaced = {c["compound_id"] for c in content.get("compounds") or [] if c.get("unplaced")}
    m.polygons(compounds[~compounds["id"].isin(unplaced)], face="#fdae6b", edge="#a63603", width=0.6,
               label="缺口已全部安排的小区")
    m.polygons(compounds[compounds["id"].isin(unplaced)], face="#de2d26", edge="#67000d", width=0.6,
               label="仍有缺口的小区")
    if routes is not None and len(routes):
        m.lines(gpd.GeoDataFrame(geometry=list(routes), crs=WGS84), colour="#2171b5", width=1.0,
                label="步行路线")
    else:
        centres = compounds.set_index("id").geometry.representative_point()
        located = res[res.geometry.notna()]
        spots = located.set_index("id").geometry.representative_point()  # road bays are lines, car parks areas
        lines = [LineString([centres[a.compound_id], spots[a.resource_id]]) for a in assignments.itertuples()
                 if a.compound_id in centres.index and a.resource_id in spots.index]
        m.lines(gpd.GeoDataFrame(geometry=lines, crs=WGS84), colour="#2171b5", width=0.9, label="车辆安排（直线）")
    road = res["owner_kind"].astype(str).str.contains("道路")
    m.polygons(res[~road & res.geom_type.isin(["Polygon", "MultiPolygon"])], face="#a1d99b", edge="#31a354",
               width=0.6)
    m.lines(res[road & res.geom_type.isin(["LineString", "MultiLineString"])], colour="#756bb1", width=2.5)
    spots = res.assign(geometry=res.geometry.representative_point())
    m.points(spots[~road], colour="#31a354", size=28, marker="s", label="共享停车场（库）", labels="name")
    m.points(spots[road], colour="#756bb1", size=28, marker="D", label="道路夜间临时泊位")
    return m


def heat_map(engine: Engine, scope: Scope, period: Period, *, synthetic: bool | None = None,
             title: str = "") -> StaticMap:
    """Complaints of the period binned in 250 m hexagons over the township outlines."""
    synthetic = is_synthetic(engine) if synthetic is None else synthetic
    points = queries.complaint_point_counts(engine, scope, period)
    m = StaticMap(title=title, synthetic=synthetic, height_cm=9.5, legend_title="诉求（件/六边形）")
    if scope.township_id is None:
        m.outline(queries.county(engine, scope), colour="#252525", width=1.4)
    if len(points):
        polygons, counts = hex_bins(points["lon"].to_numpy(), points["lat"].to_numpy(), radius_m=HEX_RADIUS_M,
                                    weights=points["count"].to_numpy())
        cells = gpd.GeoDataFrame({"count": counts.astype(int)}, geometry=list(polygons), crs=WGS84)
        cells = cells[cells["count"] > 0]
        colours, entries = classify(cells["count"], unit="")
        m.polygons(cells, face=colours, edge="none", width=0)
        m.legend([e for e in entries if not e[1].startswith("0")])
    m.outline(queries.townships(engine, scope), colour="#636363", width=0.7, labels="name")
    return m


def yoy_map(engine: Engine, scope: Scope, townships: pd.DataFrame, *, synthetic: bool | None = None,
            title: str = "") -> StaticMap:
    """Townships coloured by the month's year-on-year change (``yoy_pct``; no year-earlier data grey)."""
    synthetic = is_synthetic(engine) if synthetic is None else synthetic
    shapes = queries.townships(engine, scope)
    frame = shapes.merge(townships[["township_id", "yoy_pct"]], left_on="id", right_on="township_id", how="left")
    colours, entries = classify(frame["yoy_pct"], diverging=True, percent=True)
    m = StaticMap(title=title, synthetic=synthetic, height_cm=9.5, legend_title="诉求同比变化")
    m.polygons(frame, face=colours, edge="#525252", width=0.6, labels="name")
    m.legend(entries)
    return m


__all__ = ["case_map", "parking_map", "heat_map", "yoy_map", "is_synthetic"]
