"""Linked views (``ui/linked.py``) under AppTest: a row picked on 考核评价, 问责台账 or 诉求分析 opens
that compound's record and outlines that compound (or township) on the page's map; the URL
keeps the selection and a reload selects the row again."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from shapely.geometry import shape

from data import db, queries
from data.queries import complaint_stats as cs
from data.queries import evaluation as ev
from data.queries import register as reg
from data.scope import COUNTY
from policy import ratings
from tests import apptest
from ui.linked import Source


@pytest.fixture(scope="module")
def demo(page_demo):
    url = page_demo("linked")
    engine = db.make_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def open_page(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo[0])

    def _open(path: str, user: str = "housing", query: dict | None = None):
        return apptest.open_page(path, user=user, timeout=180, query=query)

    return _open


def _table_key(at, source: str) -> str:
    """The widget key of a linked table (``<source>_<digest of its rows>``)."""
    keys = [k for k in at.session_state._state._state.filtered_state
            if str(k).startswith(f"{source}_") and len(str(k)) == len(source) + 11]
    assert len(keys) == 1, keys
    return keys[0]


def _pick(at, source: str, row: int):
    """Select ``row`` of the table as a click would (the selection arrives in session state)."""
    at.session_state[_table_key(at, source)] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, apptest.failures(at)
    return at


def _selected_rows(at, source: str) -> list[int]:
    """The rows the browser is told to show selected: set by the app on this run, else the widget's value
    (the user's click, or the default of a new table)."""
    key = _table_key(at, source)
    frames = [el for el in at.main if getattr(el, "type", "") == "dataframe" and el.proto.id.endswith(key)]
    assert frames, f"no table {source}"
    if frames[0].proto.selection_state:
        return json.loads(frames[0].proto.selection_state)["selection"]["rows"]
    return list(at.session_state[key]["selection"]["rows"])


def _outlines(at) -> list:
    """Every shape of the map's selection layer (``layers.compounds.build_selection_layer``)."""
    script = apptest.map_args(at)["script"].replace("<\\/", "</")
    found, start = [], script.find('pane: "selection"')
    decoder = json.JSONDecoder()
    while start >= 0:
        data_at = script.find(".addData(", start) + len(".addData(")
        data, _ = decoder.raw_decode(script, data_at)
        found.extend(shape(f["geometry"]) for f in data["features"])
        start = script.find('pane: "selection"', data_at)
    return found


def _compound(engine, compound_id: int):
    frame = queries.compounds(engine, COUNTY)
    return frame[frame["id"] == compound_id].iloc[0]


def _record_title(at) -> list[str]:
    return [m.value[5:] for m in at.markdown if m.value.startswith("#### ")]


def _assert_outlined(at, geometry) -> None:
    shapes = _outlines(at)
    assert len(shapes) == 1, f"{len(shapes)} outlines"
    assert geometry.contains(shapes[0].representative_point()), "outlined the wrong place"


def test_a_black_list_row_opens_its_record_and_outlines_it(open_page, demo):
    _, engine = demo
    at = open_page("pages/evaluation.py")
    assert not _outlines(at) and not _record_title(at)  # nothing selected yet
    quarter = at.selectbox(key="ev_quarter").value
    black = ev.quarter_lists(engine, COUNTY, quarter)
    black = black[black["list"] == ratings.BLACK].sort_values("score").reset_index(drop=True)
    assert len(black) >= 2
    _pick(at, "ev_black", 1)
    chosen = _compound(engine, int(black.loc[1, "compound_id"]))
    assert chosen["name"] in _record_title(at)
    assert any(link.label == "打开完整小区档案" for link in at.get("page_link"))
    _assert_outlined(at, chosen.geometry)
    assert at.query_params["compound"] == str(chosen["id"])
    assert _selected_rows(at, "ev_black") == [1]


def test_a_red_list_row_clears_the_black_list_row(open_page, demo):
    _, engine = demo
    at = open_page("pages/evaluation.py")
    quarter = at.selectbox(key="ev_quarter").value
    red = ev.quarter_lists(engine, COUNTY, quarter)
    red = red[red["list"] == ratings.RED].reset_index(drop=True)
    _pick(at, "ev_black", 0)
    _pick(at, "ev_red", 0)
    chosen = _compound(engine, int(red.loc[0, "compound_id"]))
    assert chosen["name"] in _record_title(at)
    _assert_outlined(at, chosen.geometry)
    at.run()  # the black list's row is cleared on the run after
    assert _selected_rows(at, "ev_black") == [] and _selected_rows(at, "ev_red") == [0]


def test_the_url_reopens_the_selection(open_page, demo):
    _, engine = demo
    at = open_page("pages/evaluation.py")
    quarter = at.selectbox(key="ev_quarter").value
    black = ev.quarter_lists(engine, COUNTY, quarter)
    black = black[black["list"] == ratings.BLACK].sort_values("score").reset_index(drop=True)
    cid = int(black.loc[2, "compound_id"])
    again = open_page("pages/evaluation.py", query={"compound": str(cid)})
    chosen = _compound(engine, cid)
    assert chosen["name"] in _record_title(again)
    _assert_outlined(again, chosen.geometry)
    assert _selected_rows(again, "ev_black") == [2]


def test_an_accountability_item_opens_its_compound(open_page, demo):
    _, engine = demo
    at = open_page("pages/register.py")
    items = reg.items(engine, COUNTY)
    # the page shows this month's periods by default
    periods = at.multiselect(key="ar_periods").value
    shown = items[items["period"].isin(periods)].reset_index(drop=True) if periods else items
    row = int((shown["subject_kind"] == "compound").to_numpy().nonzero()[0][-1])
    _pick(at, "ar_items", row)
    chosen = _compound(engine, int(shown.loc[row, "subject_id"]))
    assert chosen["name"] in _record_title(at)
    _assert_outlined(at, chosen.geometry)
    assert at.selectbox(key="ar_pick").value == int(shown.loc[row, "id"])  # the item to record, ready


def test_an_item_of_a_company_has_no_place(open_page, demo):
    _, engine = demo
    at = open_page("pages/register.py")
    items = reg.items(engine, COUNTY)
    periods = at.multiselect(key="ar_periods").value
    shown = items[items["period"].isin(periods)].reset_index(drop=True) if periods else items
    places = shown["subject_kind"].isin(["compound", "township"]).to_numpy()
    if places.all():
        pytest.skip("every item of the demo month has a place")  # not in the seed-7 demo
    _pick(at, "ar_items", int((~places).nonzero()[0][0]))
    assert not _outlines(at) and not _record_title(at)
    assert any("地图上没有对应" in c.value for c in at.caption)


def test_the_complaint_ranking_and_the_township_ladder_select(open_page, demo):
    url, engine = demo
    at = open_page("pages/complaints.py", user="leader")
    month = at.selectbox(key="cp_month").value
    ranking = cs.complaint_ranking(engine, COUNTY, month)
    _pick(at, "cp_ranking", 3)
    chosen = _compound(engine, int(ranking.iloc[3]["project_id"]))
    assert chosen["name"] in _record_title(at)
    _assert_outlined(at, chosen.geometry)

    towns = cs.township_ranking(engine, COUNTY, month)
    _pick(at, "cp_townships", 1)
    town = queries.townships(engine, COUNTY).set_index("id").loc[int(towns.iloc[1]["township_id"])]
    assert town["name"] in _record_title(at)
    _assert_outlined(at, town.geometry)
    assert at.query_params["township"] == str(int(towns.iloc[1]["township_id"]))
    assert "compound" not in at.query_params
    at.run()
    assert _selected_rows(at, "cp_ranking") == []


# --------------------------------------------------------------------------- rows and targets
FRAME = pd.DataFrame({"subject_kind": ["compound", "township", "company", "compound", "county"],
                      "subject_id": [7.0, 2.0, 5.0, None, None]})


@pytest.mark.parametrize("row, target", [(0, ("compound", 7)), (1, ("township", 2)), (2, None), (3, None),
                                         (4, None), (5, None), (-1, None)])
def test_what_a_row_shows_on_the_map(row, target):
    assert Source("x", FRAME, "subject_id", kind_column="subject_kind").target(row) == target


@pytest.mark.parametrize("target, row", [(("compound", 7), 0), (("township", 2), 1), (("township", 7), None),
                                         (("compound", 5), None), (None, None)])
def test_which_row_shows_a_selection(target, row):
    assert Source("x", FRAME, "subject_id", kind_column="subject_kind").row_of(target) == row


def test_new_rows_are_a_new_table():
    """A keyed table keeps its row number when its rows change: the key must change with them."""
    a = Source("x", FRAME, "subject_id", kind_column="subject_kind")
    b = Source("x", FRAME.iloc[::-1].reset_index(drop=True), "subject_id", kind_column="subject_kind")
    assert a.widget_key != b.widget_key and a.widget_key == Source("x", FRAME.copy(), "subject_id",
                                                                   kind_column="subject_kind").widget_key


def test_the_selection_outline_lets_clicks_through_to_the_compounds():
    """Its canvas pane lies over the compounds' pane: without this, no other compound could be clicked."""
    import geopandas as gpd
    from shapely.geometry import box

    from layers.compounds import build_compound_layer, build_selection_layer
    from layers.maps import make_map

    m = make_map((116.3, 35.0, 116.4, 35.1))
    build_compound_layer('{"type": "FeatureCollection", "features": []}', name="c", min_zoom=14).add_to(m)
    build_selection_layer(gpd.GeoDataFrame(geometry=[box(116.31, 35.01, 116.32, 35.02)], crs="EPSG:4326"),
                          name="s").add_to(m)
    script = m.get_root().render()
    calls = {name: passive for name, passive in
             re.findall(r'\(map_\w+, "(\w+)", \d+, [\d.]+, [\d.]+, (true|false)\);', script)}
    assert calls == {"compounds": "false", "selection": "true"}
    assert "pane.style.pointerEvents = 'none'" in script
