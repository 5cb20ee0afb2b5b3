"""The open-case map layer: points coloured by step, every data string escaped, nothing from a CDN."""
from __future__ import annotations

import json

import pandas as pd

from layers.cases import STEP_COLOURS, build_case_layer, cases_geojson, legend_entries
from layers.maps import make_map


def test_case_points_are_coloured_by_step_and_escaped():
    frame = pd.DataFrame({
        "id": [1, 2, 3], "case_no": ["LD-1", "LD-2", "LD-3"],
        "compound": ["<img src=x onerror=alert(1)>", "`${alert(2)}`", "无坐标小区"],
        "category": ["违法建设", "电动车充电", "违法建设"], "department": ["综合行政执法局", "消防救援大队", "x"],
        "step": ["发现", "呈报", "处理"], "lon": [116.3, 116.31, None], "lat": [35.07, 35.08, None]})
    data = json.loads(cases_geojson(frame))
    assert len(data["features"]) == 2  # no coordinates, no point
    props = [f["properties"] for f in data["features"]]
    assert [p["_fill"] for p in props] == [STEP_COLOURS["发现"], STEP_COLOURS["呈报"]]
    assert "<img" not in props[0]["compound"] and "&lt;img" in props[0]["compound"]
    assert "`" not in props[1]["compound"] and "$" not in props[1]["compound"]
    m = make_map((116.2, 35.0, 116.4, 35.1))
    build_case_layer(cases_geojson(frame)).add_to(m)
    html = m.get_root().render()
    assert "<img src=x" not in html and "`${alert" not in html
    assert [label for _, label in legend_entries(("发现", "结案"))] == ["发现", "结案"]
