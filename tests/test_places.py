"""Places above the county (issue 17): city and county scopes, city/county users, the 全市 top list.

One deployment, two cities: 济宁市 (370800) with 金乡县 (370828) and 嘉祥县 (370829), and
泰安市 (370900) with 泰山区 (370902). Each county has one township with one community and
two compounds; complaints are counted so that the city list interleaves the counties.
Both backends (fixture ``db_url``).
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data import auth, db, permissions, queries
from data.queries import complaint_stats as cs
from data.schema import Community, Complaint, Compound, County, Region, Township
from data.scope import COUNTY, Period, Scope, ScopeError

JINING, TAIAN = "370800", "370900"
JINXIANG, JIAXIANG, TAISHAN = "370828", "370829", "370902"
CITY_OF = {JINXIANG: JINING, JIAXIANG: JINING, TAISHAN: TAIAN}
# complaints in 2026-10 per compound: the city list of 济宁 is 金乡A 10, 嘉祥A 9, 嘉祥B 8, 金乡B 7
COUNTS = {(JINXIANG, "A"): 10, (JINXIANG, "B"): 7, (JIAXIANG, "A"): 9, (JIAXIANG, "B"): 8,
          (TAISHAN, "A"): 20, (TAISHAN, "B"): 1}
MONTH = "2026-10"


# --------------------------------------------------------------------------- scope rules
@pytest.mark.parametrize("base, ask, expected", [
    (COUNTY, {"city": JINING}, Scope(city=JINING)),
    (COUNTY, {"county": JINXIANG}, Scope(county=JINXIANG)),
    (Scope(city=JINING), {}, Scope(city=JINING)),
    (Scope(city=JINING), {"city": JINING}, Scope(city=JINING)),
    (Scope(city=JINING), {"county": JIAXIANG}, Scope(county=JIAXIANG, city=JINING)),
    (Scope(city=JINING), {"county": JINXIANG, "township_id": 3}, Scope(3, county=JINXIANG, city=JINING)),
    (Scope(county=JINXIANG), {"county": JINXIANG}, Scope(county=JINXIANG)),
    (Scope(county=JINXIANG), {"city": JINING}, Scope(county=JINXIANG, city=JINING)),
    (Scope(county=JINXIANG), {"township_id": 3, "community_id": 7}, Scope(3, 7, county=JINXIANG)),
    (Scope(3, county=JINXIANG), {"community_id": 7}, Scope(3, 7, county=JINXIANG)),
])
def test_narrowing_keeps_every_constraint(base, ask, expected):
    assert base.narrow(**ask) == expected


@pytest.mark.parametrize("base, ask", [
    (Scope(city=JINING), {"city": TAIAN}),                 # another city
    (Scope(city=JINING), {"county": TAISHAN}),             # a county of another city
    (Scope(county=JINXIANG), {"county": JIAXIANG}),        # another county of the same city
    (Scope(county=JINXIANG), {"city": TAIAN}),             # the county lies in 济宁
    (Scope(3, county=JINXIANG), {"county": JIAXIANG}),
    (Scope(3, county=JINXIANG), {"township_id": 4}),
])
def test_widening_to_another_city_or_county_is_refused(base, ask):
    with pytest.raises(ScopeError):
        base.narrow(**ask)


@pytest.mark.parametrize("kwargs", [
    {"county": "37082"}, {"city": "济宁"}, {"county": JINXIANG, "city": TAIAN},
])
def test_malformed_or_inconsistent_scopes_are_refused(kwargs):
    with pytest.raises(ValueError):
        Scope(**kwargs)


def test_keys_are_distinct_per_level_and_round_trip():
    scopes = [Scope(), Scope(city=JINING), Scope(city=TAIAN), Scope(county=JINXIANG),
              Scope(county=JINXIANG, city=JINING), Scope(3), Scope(3, county=JINXIANG), Scope(3, 7)]
    keys = [s.key() for s in scopes]
    assert len(set(keys)) == len(keys)
    assert Scope().key() == "county/*/*" and Scope(3, 7).key() == "county/3/7"  # one county: unchanged
    assert [Scope.from_key(k) for k in keys] == scopes
    assert [Scope(*s.args()) for s in scopes] == scopes
    assert [s.level for s in scopes[:5]] == ["county", "city", "city", "county", "county"]


# --------------------------------------------------------------------------- a two-city deployment
def _deployment(engine) -> dict:
    """The places, compounds and complaints above; ``{(county, "A"|"B"): compound_id, county: township_id}``."""
    ids: dict = {}
    with Session(engine) as s, s.begin():
        s.add(Region(adcode="370000", name="山东省", level="province"))
        s.flush()
        for code, name in ((JINING, "济宁市"), (TAIAN, "泰安市")):
            s.add(Region(adcode=code, name=name, level="city", parent_adcode="370000"))
        s.flush()
        for i, (code, name) in enumerate(((JINXIANG, "金乡县"), (JIAXIANG, "嘉祥县"), (TAISHAN, "泰山区"))):
            s.add(County(adcode=code, name=name, city_adcode=CITY_OF[code],
                         geometry=box(116 + i, 35, 116.5 + i, 35.5)))
            s.flush()
            t = Township(code=f"{code}001", name=f"{name}城区街道", kind="街道", county_adcode=code,
                         geometry=box(116 + i, 35, 116.4 + i, 35.4))
            s.add(t)
            s.flush()
            c = Community(code=f"{code}001001", township_id=t.id, name="中心社区", geometry=t.geometry)
            s.add(c)
            s.flush()
            ids[code] = t.id
            for j, tag in enumerate("AB"):
                comp = Compound(code=f"{code}-{tag}", name=f"{name}{tag}小区", township_id=t.id,
                                community_id=c.id, management_mode="专业化物业",
                                geometry=box(116.01 + i + 0.1 * j, 35.01, 116.05 + i + 0.1 * j, 35.05))
                s.add(comp)
                s.flush()
                ids[(code, tag)] = comp.id
                for k in range(COUNTS[(code, tag)]):
                    s.add(Complaint(order_no=f"{code}{tag}{k:03d}", received_at=datetime(2026, 10, 1 + k, 9),
                                    category="物业服务", compound_id=comp.id, township_id=t.id,
                                    community_id=c.id, match_method="坐标"))
                # 嘉祥A is in the city list in 2026-09 too: two months running
                if (code, tag) == (JIAXIANG, "A"):
                    for k in range(12):
                        s.add(Complaint(order_no=f"{code}{tag}S{k:03d}", received_at=datetime(2026, 9, 1 + k, 9),
                                        category="物业服务", compound_id=comp.id, township_id=t.id,
                                        community_id=c.id, match_method="坐标"))
    return ids


@pytest.fixture
def deployment(engine):
    return _deployment(engine)


def _user(engine, username, role, **kw) -> auth.Account:
    return auth.create_user(engine, username, username, role, password="Abcdef123456", **kw)


def test_a_city_user_and_a_county_user_each_see_exactly_their_own(engine, deployment):
    ids = deployment
    city = _user(engine, "jining", "city_leader", city_adcode=JINING).scope
    county = _user(engine, "jinxiang", "housing", county_adcode=JINXIANG).scope
    assert city == Scope(city=JINING) and county == Scope(county=JINXIANG)
    own = {city: {JINXIANG, JIAXIANG}, county: {JINXIANG}, COUNTY: {JINXIANG, JIAXIANG, TAISHAN}}
    oct_ = Period.months(MONTH)
    for scope, counties in own.items():
        expected = {ids[(c, tag)] for c in counties for tag in "AB"}
        assert set(queries.compounds(engine, scope)["id"]) == expected
        assert set(queries.townships(engine, scope)["id"]) == {ids[c] for c in counties}
        assert set(queries.communities(engine, scope)["township_id"]) == {ids[c] for c in counties}
        complaints = queries.complaints(engine, scope, oct_)
        assert set(complaints["compound_id"]) == expected
        assert len(complaints) == sum(COUNTS[(c, tag)] for c in counties for tag in "AB")
        by_town = queries.complaint_counts(engine, scope, oct_, by="township")
        assert set(by_town["township"]) == {ids[c] for c in counties}
        assert set(queries.county(engine, scope)["adcode"]) == counties
        assert set(queries.counties(engine, scope)["adcode"]) == counties
        # ladders: the county list cut to the scope, the township ladder, the city list
        assert set(cs.complaint_ranking(engine, scope, MONTH)["project_id"]) <= expected
        assert set(cs.township_ranking(engine, scope, MONTH)["township_id"]) == {ids[c] for c in counties}
        assert set(cs.city_ranking(engine, scope, MONTH)["project_id"]) <= expected
    # a county user narrowed to another county's township sees nothing, and cannot ask for that county
    assert queries.compounds(engine, county.narrow(township_id=ids[JIAXIANG])).empty
    with pytest.raises(ScopeError):
        county.narrow(county=JIAXIANG)
    with pytest.raises(ScopeError):
        city.narrow(county=TAISHAN)


def test_writes_are_checked_against_the_county_and_city(engine, deployment):
    ids = deployment
    county = _user(engine, "jinxiang", "housing", county_adcode=JINXIANG)
    with Session(engine) as s:
        assert queries.township_in_scope(s, county.scope, ids[JINXIANG])
        assert not queries.township_in_scope(s, county.scope, ids[JIAXIANG])
        assert queries.township_in_scope(s, Scope(city=JINING), ids[JIAXIANG])
        assert not queries.township_in_scope(s, Scope(city=JINING), ids[TAISHAN])
    permissions.authorize(county, permissions.EDIT_REGISTERS, county.scope.narrow(township_id=ids[JINXIANG]))
    with pytest.raises(ScopeError):
        permissions.authorize(county, permissions.EDIT_REGISTERS, Scope(county=JIAXIANG))
    with pytest.raises(ScopeError):
        permissions.authorize(county, permissions.EDIT_REGISTERS, COUNTY)  # wider than the county


def test_city_roles_mirror_the_county_roles_pages_and_need_their_city(engine, deployment):
    for city_role, county_role in permissions.MIRRORS.items():
        assert permissions.pages_for(city_role) == permissions.pages_for(county_role)
        assert not permissions.can(city_role, permissions.EDIT_REGISTERS)
    with pytest.raises(ValueError, match="须指定所属市"):  # said before anything is written
        _user(engine, "nocity", "city_housing")
    with pytest.raises(ValueError):
        _user(engine, "badcity", "city_housing", city_adcode="370999")
    with pytest.raises(ValueError):
        _user(engine, "badcounty", "housing", county_adcode="370999")
    assert _user(engine, "taian", "city_housing", city_adcode=TAIAN).scope == Scope(city=TAIAN)


def test_city_top_list_ranks_across_the_counties(engine, deployment):
    ids = deployment
    ladder = cs.city_ladder(engine, MONTH, JINING, top_n=3)
    ranked = dict(zip(ladder["project_id"], ladder["rank"]))
    assert ranked == {ids[(JINXIANG, "A")]: 1, ids[(JIAXIANG, "A")]: 2, ids[(JIAXIANG, "B")]: 3}
    # the ladder rules of the county list: 嘉祥A is listed two months running
    runs = dict(zip(ladder["project_id"], ladder["consecutive_months"]))
    assert runs[ids[(JIAXIANG, "A")]] == 2 and runs[ids[(JINXIANG, "A")]] == 1
    assert ids[(TAISHAN, "A")] not in ranked  # another city's compound is never in 济宁's list
    # each county sees its own compounds with their city rank
    jiaxiang = cs.city_ranking(engine, Scope(county=JIAXIANG), MONTH, top_n=3)
    assert dict(zip(jiaxiang["project_id"], jiaxiang["rank"])) == {ids[(JIAXIANG, "A")]: 2,
                                                                   ids[(JIAXIANG, "B")]: 3}
    assert set(jiaxiang["county"]) == {"嘉祥县"} and set(jiaxiang["city"]) == {JINING}
    jinxiang = cs.city_ranking(engine, Scope(county=JINXIANG), MONTH, top_n=3)
    assert jinxiang["rank"].tolist() == [1]  # 金乡B (7) is 4th in the city: not listed
    # … while in its own county's list 金乡B is 2nd
    own = cs.county_ladder(engine, MONTH, county=JINXIANG, top_n=3)
    assert dict(zip(own["project_id"], own["rank"]))[ids[(JINXIANG, "B")]] == 2
    # a province user sees each city's list, ranked within its city
    every = cs.city_ranking(engine, COUNTY, MONTH, top_n=3)
    assert set(every["city"]) == {JINING, TAIAN}
    assert every.loc[every["project_id"] == ids[(TAISHAN, "A")], "rank"].tolist() == [1]
    # the size of the list is the setting city_ranking_top_n (default 50)
    assert len(cs.city_ladder(engine, MONTH, JINING)) == 4
    # the deployment's published list (what the pages show) is the 全市 one, ranked within each city
    published = cs.county_ladder(engine, MONTH, top_n=3)
    assert dict(zip(published["project_id"], published["rank"]))[ids[(TAISHAN, "A")]] == 1
    assert dict(zip(published["project_id"], published["rank"]))[ids[(JIAXIANG, "B")]] == 3
    page = cs.complaint_ranking(engine, Scope(county=JIAXIANG), MONTH, top_n=3)
    assert dict(zip(page["project_id"], page["rank"])) == {ids[(JIAXIANG, "A")]: 2, ids[(JIAXIANG, "B")]: 3}


def test_townships_are_judged_within_their_county(engine, deployment):
    """The township ladder (001 §3(6)) is the county task force's: each county's townships among themselves.

    One complaint per township in 2025-09 and 2025-10. Year on year in 2026-10 金乡 +16, 嘉祥 +16,
    泰山 +20, the new 金乡鱼山街道 −1; in 2026-09 嘉祥 +11, the others −1. Across the deployment no
    township has the largest rise both months; within 嘉祥县 its township has (public commitment).
    """
    from policy import ladders

    ids = deployment
    with Session(engine, expire_on_commit=False) as s, s.begin():
        extra = Township(code="370828002", name="金乡鱼山街道", kind="街道", county_adcode=JINXIANG)
        s.add(extra)
        s.flush()
        for k, town in enumerate((ids[JINXIANG], ids[JIAXIANG], ids[TAISHAN], extra.id)):
            for month in (9, 10):
                s.add(Complaint(order_no=f"Y{k}{month}", received_at=datetime(2025, month, 3, 9),
                                category="物业服务", township_id=town, match_method="未匹配"))
    ladder = cs.township_ranking(engine, COUNTY, MONTH).set_index("township_id")
    assert len(ladder) == 4
    assert ladder.loc[ids[JIAXIANG], "largest_rise"]
    assert ladders.PUBLIC_COMMITMENT in ladder.loc[ids[JIAXIANG], "actions"]
    assert not ladder.loc[[ids[JINXIANG], ids[TAISHAN], extra.id], "largest_rise"].any()
    county_only = cs.township_ranking(engine, Scope(county=JINXIANG), MONTH)
    assert set(county_only["township_id"]) == {ids[JINXIANG], extra.id}
    # named with their county where the scope spans several (a province has dozens of 城区街道)
    assert ladder.loc[ids[JIAXIANG], "township"] == "嘉祥县·嘉祥县城区街道"
    assert set(county_only["township"]) == {"金乡县城区街道", "金乡鱼山街道"}
    city = cs.township_ranking(engine, Scope(city=JINING), MONTH).set_index("township_id")["township"]
    assert city[extra.id] == "金乡县·金乡鱼山街道"
    assert cs.township_ranking(engine, Scope(city=TAIAN), MONTH)["township"].tolist() == ["泰山区城区街道"]
    from data.queries.overview import township_table
    table = township_table(engine, COUNTY, Period.months("2026-10")).set_index("township_id")["township"]
    assert table[ids[TAISHAN]] == "泰山区·泰山区城区街道"
    # a narrower scope computes only its counties' ladders (one query for all): the same rows as the whole
    columns = ["township_id", "complaints", "yoy_change", "largest_rise", "consecutive_rises"]
    for scope in (Scope(county=JINXIANG), Scope(county=JIAXIANG), Scope(city=JINXIANG[:4] + "00"),
                  Scope(extra.id), Scope(ids[JIAXIANG])):
        mine = cs.township_ranking(engine, scope, MONTH).set_index("township_id")
        assert len(mine) and mine.index.isin(ladder.index).all()
        assert mine.reset_index()[columns].equals(ladder.loc[mine.index].reset_index()[columns]), scope
        assert all(w.endswith(m.split("·")[-1]) for m, w in zip(mine["township"], ladder.loc[mine.index, "township"]))
        quarter = cs.township_quarter_ranking(engine, scope, "2026-Q3").set_index("township_id")
        whole = cs.township_quarter_ranking(engine, COUNTY, "2026-Q3").set_index("township_id")
        assert quarter["times_last"].equals(whole.loc[quarter.index, "times_last"]), scope


def test_a_one_county_database_links_its_townships_at_upgrade(db_url):
    """The migration gives existing townships the deployment's single county."""
    from alembic import command

    engine = db.make_engine(db_url)
    db.migrate(engine)
    cfg = db.alembic_config(engine)
    command.downgrade(cfg, "0009a_files")  # off the merge 0011b first (it descends from every branch)
    command.downgrade(cfg, "0010b_places@-1")
    with engine.begin() as c:
        c.execute(text("INSERT INTO county (adcode, name) VALUES ('370828', '金乡县')"))
        c.execute(text("INSERT INTO township (code, name, kind, synthetic) VALUES ('T1', '金乡街道', '街道', false)"))
    db.migrate(engine)
    with Session(engine) as s:
        assert s.scalars(select(Township.county_adcode)).all() == ["370828"]


# --------------------------------------------------------------------------- row-level security (PostgreSQL)
@pytest.mark.postgis
def test_county_and_city_connections_are_fenced_by_row_level_security(pg_url):
    """A county user's engine reading another county's rows with raw SQL (no WHERE) gets none;
    a city user's gets its city's only; the unscoped engine sees all (migration 0011b).

    Superusers bypass row-level security: the app connects as an ordinary role here.
    """
    from tests.pg_roles import app_role
    from ui.state import engine_for

    owner = db.make_engine(pg_url)
    db.migrate(owner)
    ids = _deployment(owner)
    with owner.begin() as conn:  # the monthly aggregates are fenced too
        conn.execute(text("DELETE FROM complaint_month"))
        conn.execute(text("INSERT INTO complaint_month (month, township_id, compound_id, category, n) "
                          "SELECT to_char(received_at, 'YYYY-MM'), township_id, compound_id, category, count(*) "
                          "FROM complaint GROUP BY 1, 2, 3, 4"))
        conn.execute(text("DELETE FROM complaint_month_place"))
        conn.execute(text("INSERT INTO complaint_month_place (month, township_id, compound_id, n) "
                          "SELECT month, township_id, compound_id, sum(n) FROM complaint_month GROUP BY 1, 2, 3"))
    owner.dispose()
    with app_role(pg_url) as app_url:
        engines = {JINXIANG: db.make_engine(app_url, county_adcode=JINXIANG),
                   JINING: db.make_engine(app_url, city_adcode=JINING),
                   None: db.make_engine(app_url),
                   "town": db.make_engine(app_url, township_id=ids[JIAXIANG])}
        expect = {JINXIANG: {JINXIANG}, JINING: {JINXIANG, JIAXIANG}, None: {JINXIANG, JIAXIANG, TAISHAN},
                  "town": {JIAXIANG}}

        def seen(eng, sql):
            with eng.connect() as conn:
                return {r[0] for r in conn.execute(text(sql))}

        try:
            for key, eng in engines.items():
                counties = expect[key]
                towns = {ids[c] for c in counties}
                compounds = {ids[(c, tag)] for c in counties for tag in "AB"}
                assert seen(eng, "SELECT id FROM township") == towns, key
                assert seen(eng, "SELECT id FROM compound") == compounds, key
                assert seen(eng, "SELECT DISTINCT compound_id FROM complaint") == compounds, key
                assert seen(eng, "SELECT DISTINCT township_id FROM community") == towns, key
                assert seen(eng, "SELECT DISTINCT compound_id FROM complaint_month") == compounds, key
                assert seen(eng, "SELECT DISTINCT compound_id FROM complaint_month_place") == compounds, key
                with eng.connect() as conn:
                    n = conn.execute(text("SELECT count(*) FROM complaint")).scalar()
                assert n == sum(COUNTS[(c, tag)] for c in counties for tag in "AB") + 12 * (JIAXIANG in counties)
            # another county's rows by id: nothing, not even with the id in hand
            assert seen(engines[JINXIANG], f"SELECT id FROM compound WHERE id = {ids[(JIAXIANG, 'A')]}") == set()
            assert seen(engines[JINING], f"SELECT id FROM compound WHERE township_id = {ids[TAISHAN]}") == set()
            # writes are fenced too: a county user cannot put a complaint into another county's township
            with pytest.raises(Exception, match="row-level security"):
                with engines[JINXIANG].begin() as conn:
                    conn.execute(text("INSERT INTO complaint (order_no, received_at, category, township_id, "
                                      "match_method, status) VALUES ('X1', now(), '物业服务', :t, '未匹配', '办理中')"),
                                 {"t": ids[JIAXIANG]})
            with engines[JINXIANG].begin() as conn:  # … but into its own
                conn.execute(text("INSERT INTO complaint (order_no, received_at, category, township_id, "
                                  "match_method, status) VALUES ('X2', now(), '物业服务', :t, '未匹配', '办理中')"), {"t": ids[JINXIANG]})
            # the app picks the fenced engine from the user's scope (narrowest level it names)
            for scope, setting in ((Scope(county=JINXIANG), ("app.county_adcode", JINXIANG)),
                                   (Scope(city=JINING), ("app.city_adcode", JINING)),
                                   (Scope(ids[JINXIANG], county=JINXIANG), ("app.township_id", str(ids[JINXIANG])))):
                with engine_for(app_url, scope).connect() as conn:
                    assert conn.execute(text(f"SELECT current_setting('{setting[0]}', true)")).scalar() == setting[1]
            assert engine_for(app_url, COUNTY) is engine_for(app_url, Scope())  # admin: the shared engine
        finally:
            for eng in engines.values():
                eng.dispose()


def test_an_adcode_for_the_connection_options_must_be_six_digits():
    with pytest.raises(ValueError):
        db.make_engine("postgresql+psycopg://x@localhost/x", county_adcode="370828 -c app.township_id=1")


def test_a_scope_computes_only_the_city_lists_that_hold_it(engine, deployment):
    """A city's or a county's page needs its own city's 全市 list, not every city's (a province's
    city overview spent 14 of 15 s computing the other 15 lists); the rows it shows are the same."""
    ids = deployment
    whole = cs.county_ladder(engine, MONTH)
    for scope, cities in ((COUNTY, (JINING, TAIAN)), (Scope(city=JINING), (JINING,)), (Scope(county=TAISHAN), (TAIAN,)),
                          (Scope(ids[JIAXIANG]), (JINING,)), (Scope(ids[TAISHAN], county=TAISHAN), (TAIAN,))):
        assert cs.ladder_cities(engine, scope) == cities, scope
        part = cs.county_ladder(engine, MONTH, cities=cities)
        assert part.equals(pd.concat([cs.city_ladder(engine, MONTH, c) for c in cities], ignore_index=True))
        assert set(part["project_id"]) < set(whole["project_id"]) or cities == (JINING, TAIAN)
        assert cs.complaint_ranking(engine, scope, MONTH).equals(
            cs.complaint_ranking(engine, scope, MONTH, ladder=whole)), scope


def test_quarter_scores_rank_townships_within_their_own_county(engine, deployment):
    """季度倒数 from 考核成绩 (001 §3(6)) is the county's: each county's lowest score is its last place.
    Every county's ladder was handed every county's scores, so the province's single lowest township
    was the only last place, and each county listed the others' scored townships again."""
    from decimal import Decimal

    from data.schema import AssessmentScore

    ids = deployment
    with Session(engine, expire_on_commit=False) as s, s.begin():
        extra = Township(code="370828002", name="金乡鱼山街道", kind="街道", county_adcode=JINXIANG)
        s.add(extra)
        s.flush()
        for town, name, score in ((ids[JINXIANG], "金乡县城区街道", "91"), (extra.id, "金乡鱼山街道", "88"),
                                  (ids[JIAXIANG], "嘉祥县城区街道", "60")):
            s.add(AssessmentScore(unit_kind="镇街", unit_name=name, township_id=town, quarter="2026-Q3",
                                  score=Decimal(score)))
    whole = cs.township_quarter_ranking(engine, COUNTY, "2026-Q3")
    assert whole["township_id"].is_unique, whole[["township_id", "township"]]
    last = set(whole.loc[whole["last_place"], "township_id"])
    assert last == {extra.id}  # 金乡's lowest; 嘉祥 has one scored township (nobody else to be last against)
    mine = cs.township_quarter_ranking(engine, Scope(county=JINXIANG), "2026-Q3")
    assert set(mine["township_id"]) == {ids[JINXIANG], extra.id}
