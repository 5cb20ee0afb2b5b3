"""Open enforcement cases (执法联动案件) as points coloured by the step they have reached."""
from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from layers.geojson import to_geojson
from layers.vector import VectorLayer
from policy.cases import STEPS

# early steps warm (action still needed on site), later steps cool; closed green
STEP_COLOURS = {"发现": "#d73027", "拍照": "#f46d43", "制止": "#fdae61", "呈报": "#74add1",
                "处理": "#4575b4", "结案": "#1a9850"}
TEXT = ("case_no", "compound", "category", "department", "step")
STYLE = {"color": "#222222", "weight": 1, "fillOpacity": 0.9, "fillColor": "#999999"}


def cases_geojson(frame: pd.DataFrame) -> str:
    """GeoJSON of the cases with coordinates (``lon``/``lat``, WGS-84); every text escaped."""
    pts = frame.dropna(subset=["lon", "lat"]).copy()
    pts["_fill"] = pts["step"].map(STEP_COLOURS).fillna("#999999")
    for column in TEXT:
        if column not in pts:
            pts[column] = None
    gdf = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs="EPSG:4326")
    return to_geojson(gdf, properties=["id", *TEXT, "_fill"], text=TEXT)


def legend_entries(steps=STEPS) -> list[tuple[str, str]]:
    return [(STEP_COLOURS[s], s) for s in steps if s in STEP_COLOURS]


def build_case_layer(geojson: str, *, name: str = "执法案件") -> folium.FeatureGroup:
    """A point layer from :func:`cases_geojson`, tooltip: number, compound, category, department, step."""
    group = folium.FeatureGroup(name=name)
    VectorLayer(geojson, style=STYLE, fill_property="_fill", point_radius=7,
                highlight={"weight": 3, "color": "#000000"},
                tooltip=(("case_no", "案件编号"), ("compound", "小区"), ("category", "类别"),
                         ("department", "责任部门"), ("step", "环节"))).add_to(group)
    return group
