"""The drill-down's requests (``ui.drill``) as the sidebar applies them, on a small city demo (AppTest).

A place clicked on 总览's map becomes the sidebar's choice on the next run; the sidebar re-checks it
against the user's jurisdiction, so a request for a place outside it (a forged or stale one) changes
nothing. The click itself is in ``tests/browser/test_drill_down.py``.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from apptest import failures, open_page
from data import db
from data.demo import build_demo
from data.schema import Township
from data.scope import Scope
from tests.places import small_city

JINING, JINXIANG, RENCHENG = "370800", "370828", "370811"


@pytest.fixture(scope="module")
def city_url(tmp_path_factory):
    return small_city(tmp_path_factory.mktemp("city"))


@pytest.fixture
def city(city_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", city_url)
    return db.make_engine(city_url)


def _town(engine, county: str) -> int:
    with Session(engine) as s:
        return s.scalars(select(Township.id).where(Township.county_adcode == county).order_by(Township.id)).first()


def test_a_county_clicked_by_a_city_user_becomes_the_scope(city):
    at = open_page(None, user=f"c{JINING}_leader", drill_to=("county", JINXIANG))
    assert at.session_state["scope"] == Scope(county=JINXIANG, city=JINING)
    assert at.session_state["county_adcode"] == JINXIANG
    # the deployment is the city: its name first, no province above it
    assert "当前位置：济宁市 › **金乡县**" in [m.value for m in at.markdown], [m.value for m in at.markdown]


def test_then_a_township(city):
    """(Back up is the browser test's: AppTest does not re-render the sidebar after the first run.)"""
    town = _town(city, JINXIANG)
    at = open_page(None, user=f"c{JINING}_leader", county_adcode=JINXIANG, drill_to=("township", str(town)))
    assert at.session_state["scope"] == Scope(town, county=JINXIANG, city=JINING)
    assert [b for b in at.button if b.key == "drill_up"]


@pytest.mark.parametrize("user, request_, stays", [
    (f"x{JINXIANG}_leader", ("county", RENCHENG), Scope(county=JINXIANG)),     # another county
    (f"x{JINXIANG}_leader", ("city", "370100"), Scope(county=JINXIANG)),       # a city at all
    (f"c{JINING}_leader", ("county", "370102"), Scope(city=JINING)),           # a county of 济南
    (f"c{JINING}_leader", ("township", "999999"), Scope(city=JINING)),         # no such township
])
def test_a_request_outside_the_users_jurisdiction_changes_nothing(city, user, request_, stays):
    at = open_page(None, user=user, drill_to=request_)
    assert at.session_state["scope"] == stays


def test_a_township_of_another_county_is_refused(city):
    at = open_page(None, user=f"x{JINXIANG}_leader", drill_to=("township", str(_town(city, RENCHENG))))
    assert at.session_state["scope"] == Scope(county=JINXIANG)


# --------------------------------------------------------------------------- a province's first view
@pytest.fixture(scope="module")
def province_url(tmp_path_factory):
    from data import settings

    url = f"sqlite:///{tmp_path_factory.mktemp('province') / 'province.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, scale="province", seed=5, compounds_per_county=6, complaints_per_county=30)
    settings.set_value(engine, "map_all_compounds_max", 500)  # 816 compounds: the bounded map, as at full size
    engine.dispose()
    return url


def test_a_province_opens_on_its_cities_with_a_bounded_map(province_url, monkeypatch):
    import json

    from apptest import map_args, packed_features

    monkeypatch.setenv("DATABASE_URL", province_url)
    at = open_page(None, user="admin")
    args = map_args(at)
    script = args["script"].replace("<\\/", "</")
    features = packed_features(script)
    decoder, start = json.JSONDecoder(), script.find(".addData(")
    while start >= 0:  # the plain GeoJSON layers (places, outlines)
        try:
            data, end = decoder.raw_decode(script, start + len(".addData("))
            features += data.get("features", [])
        except json.JSONDecodeError:  # a packed layer's (decoded above)
            end = start + 1
        start = script.find(".addData(", end)
    places = [f["properties"] for f in features if "place_id" in f["properties"]]
    assert len(places) == 16 and {p["place_id"] for p in places} >= {JINING, "370100"}
    assert not [f for f in features if "id" in f["properties"]]  # no compound while the province is in view
    assert len(args["script"]) < 1_500_000, len(args["script"])
    assert "济宁市" in args["script"] and "城区街道" not in args["base_script"]  # no township outlines drawn


def test_a_city_deployment_publishes_and_says_its_city_list(city):
    """The top list of a city deployment is the 全市 one (001 §3(3)): the page says so and uses its size."""
    at = open_page("pages/complaints.py", user=f"c{JINING}_leader")
    captions = " ".join(c.value for c in at.caption)
    assert "每月通报全市投诉量前 50 名" in captions and "全县" not in captions


def test_a_city_user_of_a_province_sees_the_whole_path(province_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", province_url)
    at = open_page(None, user=f"c{JINING}_leader", drill_to=("county", JINXIANG))
    assert at.session_state["scope"] == Scope(county=JINXIANG, city=JINING)
    assert "当前位置：山东省 › 济宁市 › **金乡县**" in [m.value for m in at.markdown], [m.value for m in at.markdown]
    at = open_page(None, user="admin", drill_to=("city", JINING))
    assert "当前位置：山东省 › **济宁市**" in [m.value for m in at.markdown]
