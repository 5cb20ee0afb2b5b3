"""Page smoke tests with streamlit.testing.v1.AppTest on a small demo database.

The map arrives as a ``component_instance`` whose ``json_args`` carry the
Leaflet script and its JS/CSS links: the place to check that nothing would be
fetched from the internet and that the compounds are in the payload.
"""
from __future__ import annotations

import json

import pytest

from data import db
from tests import apptest



@pytest.fixture(scope="module")
def demo_url(page_demo):
    return page_demo("pages")


@pytest.fixture
def open_app(demo_url, monkeypatch):
    """Open the app as a demo user (default the county leader) with some session state preset.

    Sidebar widgets are preset rather than clicked: under AppTest the sidebar
    of an ``st.navigation`` app is not re-rendered on a rerun (a quirk of the
    test harness; the browser tests cover the real sidebar).
    """
    monkeypatch.setenv("DATABASE_URL", demo_url)

    def _open(user: str | None = "leader", **state):
        return apptest.open_page(user=user, **state)

    return _open


@pytest.fixture
def app(open_app):
    return open_app()


_map_args = apptest.map_args


def _compounds(script: str) -> int:
    """Compounds drawn by the map: the packed layer's features (outlines are plain GeoJSON)."""
    return len(apptest.packed_features(script))


def test_home_shows_the_county_map_offline(app):
    assert "金乡县" in app.title[0].value
    assert any("演示数据（合成）" in i.value for i in app.info)
    args = _map_args(app)
    links = args["js_links"] + args["css_links"]
    assert links and not [u for u in links if u.startswith(("http:", "https:", "//"))], links
    assert any(u.endswith("leaflet/leaflet.js") for u in links)
    assert _compounds(args["script"]) == 300


def test_home_metrics_and_township_table(app):
    labels = [m.label for m in app.metric]
    assert "住宅小区" in labels and any(label.startswith("本月诉求") for label in labels)
    assert int(app.metric[0].value.replace(",", "")) == 300
    table = app.dataframe[0].value
    assert {"镇街", "小区数", "诉求数", "每百户诉求"} <= set(table.columns)
    assert len(table) >= 10


@pytest.mark.parametrize("mode", ["complaints", "class", "management"])
def test_colour_modes_change_the_legend(app, mode):
    app.selectbox(key="home_mode").set_value(mode).run()
    assert not app.exception
    script = _map_args(app)["script"]
    from layers.colours import MODES

    assert json.dumps(MODES[mode].label, ensure_ascii=False)[1:-1] in script


def test_township_scope_narrows_the_map(app, open_app, demo_url):
    from data import queries
    from data.scope import Scope

    full = _compounds(_map_args(app)["script"])
    options = app.selectbox(key="township_id").options
    towns = queries.townships(db.make_engine(demo_url), Scope())
    app = open_app(township_id=int(towns["id"].iloc[0]))
    narrowed = _compounds(_map_args(app)["script"])
    assert 0 < narrowed < full
    assert len(app.dataframe[0].value) == 1
    assert options[0] == "全县"


def test_english_switch(open_app):
    app = open_app(lang="en")
    assert any(m.label == "Compounds" for m in app.metric)


def test_data_page_renders(open_app):
    app = open_app(user="housing")
    app.switch_page("pages/data.py").run()
    assert not app.exception, [e.value for e in app.exception]


def test_compound_page_opens_the_record_from_the_url(open_app, demo_url):
    from data import queries
    from data.scope import Scope

    frame = queries.compounds(db.make_engine(demo_url), Scope())
    cid, name = int(frame["id"].iloc[5]), frame["name"].iloc[5]
    app = open_app()
    app.query_params["compound"] = str(cid)
    app.query_params["mode"] = "governance"
    app.switch_page("pages/compounds.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any(name in m.value for m in app.markdown)
    assert app.selectbox(key="cmp_mode").value == "governance"
    assert any(t.label == "考评与信用" for t in app.tabs)
    script = _map_args(app)["script"]
    assert "#0d47a1" in script  # the selection outline


def test_compound_search_finds_by_partial_name(open_app, demo_url):
    app = open_app()
    app.switch_page("pages/compounds.py").run()
    app.text_input(key="cmp_search").input("家园").run()
    assert not app.exception
    options = app.selectbox(key="cmp_pick").options
    assert options and any("家园" in o for o in options)



def test_compound_without_complaints_opens(open_app, demo_url, tmp_path, monkeypatch):
    """A quiet compound is the ordinary case, not an error: its record and map still show."""
    import shutil

    from sqlalchemy import delete, select

    from data import queries
    from data.schema import Complaint, Compound
    from data.scope import Period, Scope

    path = tmp_path / "quiet.sqlite"
    shutil.copy(demo_url[len("sqlite:///"):], path)
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cid, name = conn.execute(select(Compound.id, Compound.name).order_by(Compound.id).limit(1)).one()
        conn.execute(delete(Complaint).where(Complaint.compound_id == cid))
    empty = queries.complaints(engine, Scope(), Period.months("2026-10"), compound_id=cid)
    assert empty.empty and empty["received_at"].dtype.kind == "M"
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    app = open_app()
    app.query_params["compound"] = str(cid)
    app.switch_page("pages/compounds.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any(name in m.value for m in app.markdown)


@pytest.mark.parametrize("user, shown", [("leader", True), ("jinxiang_jd", True), ("jinxiang_sq1", False)])
def test_exact_complaint_points_only_for_the_handlers(open_app, demo_url, user, shown):
    from data import auth, queries
    from data.scope import Period

    engine = db.make_engine(demo_url)
    scope = auth.get_account(engine, user).scope
    located = queries.complaints(engine, scope, Period.months("2025-11", "2026-10")).dropna(subset=["lon"])
    cid = int(located["compound_id"].value_counts().index[0])  # the sidebar's default period
    engine.dispose()
    app = open_app(user=user)
    app.query_params["compound"] = str(cid)
    app.switch_page("pages/compounds.py").run()
    assert not app.exception, [e.value for e in app.exception]
    script = _map_args(app)["script"]
    from layers.compounds import POINT_STYLE

    # the point layer, swapped in beside the compounds: its style is its mark
    assert (json.dumps(POINT_STYLE) in script) is shown
