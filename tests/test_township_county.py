"""Township names are unique per county, not per deployment (issue 17).

One deployment, one city (济宁市 370800), two counties that both have a 城关街道, each with a
北关社区: 金乡县 (370828, west) and 嘉祥县 (370829, east). Within a county's scope a name
means that county's township; with a wider scope a name two counties share is a Chinese
error naming both, never the first match. Both backends (fixture ``db_url``); the files are
real (GeoJSON, UTF-8 CSV).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import auth, db
from data.importers import import_boundaries, import_compounds
from data.importers.complaints import import_complaints
from data.importers.places import Registry, TownshipNames
from data.importers.township_scores import import_township_scores
from data.queries import register as reg_queries
from data.schema import AssessmentScore, Community, Complaint, Compound, County, Region, Township
from data.scope import Scope, ScopeError

JINING, JINXIANG, JIAXIANG = "370800", "370828", "370829"
OUTLINE = {JINXIANG: box(116.0, 35.0, 116.4, 35.4), JIAXIANG: box(116.5, 35.0, 116.9, 35.4)}
TOWN = {JINXIANG: box(116.1, 35.1, 116.2, 35.2), JIAXIANG: box(116.6, 35.1, 116.7, 35.2)}


def _places(engine) -> dict:
    """The city, both counties, and in each a 城关街道 (code county+001) with a 北关社区."""
    ids = {}
    with Session(engine) as s, s.begin():
        s.add(Region(adcode="370000", name="山东省", level="province"))
        s.flush()
        s.add(Region(adcode=JINING, name="济宁市", level="city", parent_adcode="370000"))
        s.flush()
        for code, name in ((JINXIANG, "金乡县"), (JIAXIANG, "嘉祥县")):
            s.add(County(adcode=code, name=name, city_adcode=JINING, geometry=OUTLINE[code]))
        s.flush()
        for code in (JINXIANG, JIAXIANG):
            t = Township(code=f"{code}001", name="城关街道", kind="街道", county_adcode=code, geometry=TOWN[code])
            s.add(t)
            s.flush()
            c = Community(code=f"{code}001001", township_id=t.id, name="北关社区", geometry=TOWN[code])
            s.add(c)
            s.flush()
            ids[code], ids[(code, "北关社区")] = t.id, c.id
    return ids


@pytest.fixture
def places(engine):
    return _places(engine)


def _csv(path: Path, frame: dict) -> Path:
    pd.DataFrame(frame).to_csv(path, index=False, encoding="utf-8")
    return path


def _errors(report) -> str:
    return "；".join(i.message for i in report.errors)


# --------------------------------------------------------------------------- the constraint
def test_two_counties_may_share_a_township_name_but_one_county_may_not_hold_it_twice(engine, places):
    with Session(engine) as s:
        assert sorted(s.scalars(select(Township.county_adcode).where(Township.name == "城关街道"))) == \
            [JINXIANG, JIAXIANG]
    with pytest.raises(IntegrityError):
        with Session(engine) as s, s.begin():
            s.add(Township(code="370828009", name="城关街道", kind="街道", county_adcode=JINXIANG))
    with pytest.raises(IntegrityError):  # codes stay unique in the deployment (national 9-digit codes)
        with Session(engine) as s, s.begin():
            s.add(Township(code="370828001", name="城南街道", kind="街道", county_adcode=JIAXIANG))


# --------------------------------------------------------------------------- the lookup
@pytest.mark.parametrize("scope, text_, expected", [
    (Scope(county=JINXIANG), "城关街道", JINXIANG),
    (Scope(county=JIAXIANG), "城关街道办事处", JIAXIANG),   # office suffix, in the county
    (Scope(), "金乡县城关街道", JINXIANG),                  # the county named in front
    (Scope(), "济宁市嘉祥县城关街道办事处", JIAXIANG),
    (Scope(city=JINING), "370829001", JIAXIANG),            # a code is a code
    (Scope(), "城关街道", "ambiguous"),
    (Scope(city=JINING), "城关街道", "ambiguous"),
    (Scope(county=JINXIANG), "370829001", None),            # another county's code is not in scope
    (Scope(county=JINXIANG), "嘉祥县城关街道", None),
    (Scope(), "城南街道", None),
])
def test_a_township_name_is_resolved_within_the_scope(engine, places, scope, text_, expected):
    with Session(engine) as s:
        found, why = Registry(s, scope).resolve_township(text_)
    if expected == "ambiguous":
        assert found is None and "金乡县" in why and "嘉祥县" in why and "多个县" in why
    elif expected is None:
        assert found is None and why.startswith("不存在")
    else:
        assert found is not None and found.county_adcode == expected and why is None


def test_the_label_names_the_county_only_where_a_namesake_exists():
    a = Township(id=1, code="370828001", name="城关街道", county_adcode=JINXIANG)
    b = Township(id=2, code="370829001", name="城关街道", county_adcode=JIAXIANG)
    c = Township(id=3, code="370829002", name="卧龙山街道", county_adcode=JIAXIANG)
    names = TownshipNames([a, b, c], {JINXIANG: ("金乡县", JINING), JIAXIANG: ("嘉祥县", JINING)})
    assert [names.label(t) for t in (a, b, c)] == ["金乡县城关街道", "嘉祥县城关街道", "卧龙山街道"]


# --------------------------------------------------------------------------- importers
def test_township_boundaries_land_in_their_county(engine, places, tmp_path):
    """No code: the import's county, else the county outline holding the boundary; re-import is idempotent."""
    west = box(116.25, 35.25, 116.35, 35.35)
    east = box(116.75, 35.25, 116.85, 35.35)
    path = tmp_path / "towns.geojson"
    gpd.GeoDataFrame({"镇街名称": ["开发区街道"]}, geometry=[west], crs="EPSG:4326").to_file(path)
    assert import_boundaries(engine, path, level="township", county=JINXIANG).ok
    gpd.GeoDataFrame({"镇街名称": ["开发区街道"]}, geometry=[east], crs="EPSG:4326").to_file(path)
    report = import_boundaries(engine, path, level="township")  # 嘉祥's outline holds it
    assert report.ok and report.created == 1, _errors(report)
    with Session(engine) as s:
        rows = s.execute(select(Township.county_adcode, Township.code).where(Township.name == "开发区街道")).all()
    assert sorted(r[0] for r in rows) == [JINXIANG, JIAXIANG]
    assert all(code.startswith(county) for county, code in rows)  # generated codes carry the county
    again = import_boundaries(engine, path, level="township")
    assert again.ok and again.created == 0 and again.unchanged == 1
    # outside both outlines, no code, no county: which county is it? Refused, in Chinese
    gpd.GeoDataFrame({"镇街名称": ["新区街道"]}, geometry=[box(116.42, 35.0, 116.48, 35.1)],
                     crs="EPSG:4326").to_file(path)
    report = import_boundaries(engine, path, level="township", tolerance_m=100000)
    assert not report.ok and "多个县" in _errors(report)
    # a local code another county's township holds is not taken over
    gpd.GeoDataFrame({"镇街名称": ["高新区街道"], "代码": [f"{JINXIANG}-001"]}, geometry=[east],
                     crs="EPSG:4326").to_file(path)
    with Session(engine) as s:
        assert s.scalar(select(Township.county_adcode).where(Township.code == f"{JINXIANG}-001")) == JINXIANG
    report = import_boundaries(engine, path, level="township")
    assert not report.ok and "9 位" in _errors(report)
    # a national code says its county; a county user cannot import another county's code
    gpd.GeoDataFrame({"镇街名称": ["城关街道"], "代码": ["370829001"]}, geometry=[west],
                     crs="EPSG:4326").to_file(path)
    report = import_boundaries(engine, path, level="township", county=JINXIANG)
    assert not report.ok and "嘉祥县" in _errors(report)


def test_community_lists_name_the_township_of_their_county(engine, places, tmp_path):
    path = _csv(tmp_path / "communities.csv", {"社区名称": ["南关社区"], "所属镇街": ["城关街道"]})
    report = import_boundaries(engine, path, level="community")  # the whole deployment: ambiguous
    assert not report.ok
    assert "金乡县" in _errors(report) and "嘉祥县" in _errors(report)
    report = import_boundaries(engine, path, level="community", county=JIAXIANG)
    assert report.ok and report.created == 1, _errors(report)
    _csv(path, {"社区名称": ["西关社区"], "所属镇街": ["金乡县城关街道"]})
    assert import_boundaries(engine, path, level="community").ok
    # a county user's own county is the default; another county is refused
    housing = auth.create_user(engine, "jx", "金乡住建", "housing", password="Abcdef123456", county_adcode=JINXIANG)
    _csv(path, {"社区名称": ["东关社区"], "所属镇街": ["城关街道"]})
    assert import_boundaries(engine, path, level="community", actor=housing).ok
    with pytest.raises(ScopeError):
        import_boundaries(engine, path, level="community", actor=housing, county=JIAXIANG)
    with Session(engine) as s:
        where = dict(s.execute(select(Community.name, Township.county_adcode).join(Township)
                               .where(Community.name.in_(["南关社区", "西关社区", "东关社区"]))).all())
    assert where == {"南关社区": JIAXIANG, "西关社区": JINXIANG, "东关社区": JINXIANG}


def test_compounds_name_the_township_and_community_of_their_county(engine, places, tmp_path):
    path = _csv(tmp_path / "compounds.csv", {"小区名称": ["幸福小区"], "所属镇街": ["城关街道"],
                                             "所属社区": ["北关社区"], "管理模式": ["专业化物业"]})
    report = import_compounds(engine, path)
    assert not report.ok and "金乡县" in _errors(report) and "嘉祥县" in _errors(report)
    # only the community, in both counties' 城关街道: never a silent pick either
    _csv(path, {"小区名称": ["幸福小区"], "所属社区": ["北关社区"], "管理模式": ["专业化物业"]})
    report = import_compounds(engine, path)
    assert not report.ok and "金乡县城关街道" in _errors(report) and "嘉祥县城关街道" in _errors(report)
    _csv(path, {"小区名称": ["幸福小区"], "所属社区": ["嘉祥县城关街道北关社区"], "管理模式": ["专业化物业"]})
    assert import_compounds(engine, path).ok
    _csv(path, {"小区名称": ["和谐小区"], "所属镇街": ["城关街道"], "所属社区": ["北关社区"],
                "管理模式": ["专业化物业"]})
    assert import_compounds(engine, path, county=JINXIANG).ok
    with Session(engine) as s:
        where = dict(s.execute(select(Compound.name, Township.county_adcode)
                               .join(Township, Township.id == Compound.township_id)).all())
    assert where == {"幸福小区": JIAXIANG, "和谐小区": JINXIANG}


def test_complaints_naming_a_shared_township_are_not_given_either(engine, places, tmp_path):
    frame = {"工单编号": ["A1"], "受理时间": ["2026-10-03 09:00"], "诉求类型": ["物业服务"], "所属镇街": ["城关街道"]}
    path = _csv(tmp_path / "orders.csv", frame)
    report = import_complaints(engine, path)
    assert report.ok, _errors(report)
    notes = "；".join(n.message for n in report.notes)
    assert "金乡县" in notes and "嘉祥县" in notes
    path = _csv(tmp_path / "orders2.csv", {**frame, "工单编号": ["A2"]})
    assert import_complaints(engine, path, county=JIAXIANG).ok
    with Session(engine) as s:
        towns = dict(s.execute(select(Complaint.order_no, Complaint.township_id)).all())
    assert towns == {"A1": None, "A2": places[JIAXIANG]}


def test_township_scores_need_the_county_of_a_shared_name(engine, places, tmp_path):
    path = _csv(tmp_path / "scores.csv", {"单位名称": ["城关街道"], "季度": ["2026-Q3"], "考核成绩": [91]})
    report = import_township_scores(engine, path)
    assert not report.ok and "金乡县" in _errors(report) and "嘉祥县" in _errors(report)
    _csv(path, {"单位名称": ["金乡县城关街道", "嘉祥县城关街道"], "季度": ["2026-Q3"] * 2, "考核成绩": [91, 85]})
    report = import_township_scores(engine, path)
    assert report.ok and report.created == 2, _errors(report)
    with pytest.raises(ValueError, match="嘉祥县"):
        reg_queries.record_score(engine, "镇街", "城关街道", "2026-Q3", 80, actor="admin")
    reg_queries.record_score(engine, "镇街", "嘉祥县城关街道", "2026-Q3", 80, actor="admin")
    with Session(engine) as s:
        scores = {(r.unit_name, r.township_id): float(r.score) for r in s.scalars(select(AssessmentScore))}
    assert scores == {("金乡县城关街道", places[JINXIANG]): 91.0, ("嘉祥县城关街道", places[JIAXIANG]): 80.0}


def test_a_one_county_deployment_keeps_its_plain_names(engine, tmp_path):
    """With one county nothing changes: names as before, no county in front."""
    with Session(engine) as s, s.begin():
        s.add(County(adcode=JINXIANG, name="金乡县", geometry=OUTLINE[JINXIANG]))
        s.flush()
        s.add(Township(code="370828001", name="金乡街道", kind="街道", county_adcode=JINXIANG, geometry=TOWN[JINXIANG]))
    path = _csv(tmp_path / "scores.csv", {"单位名称": ["金乡街道办事处"], "季度": ["2026-Q3"], "考核成绩": [90]})
    assert import_township_scores(engine, path).ok
    with Session(engine) as s:
        assert s.scalars(select(AssessmentScore.unit_name)).all() == ["金乡街道"]


def test_fee_rows_name_the_compound_of_their_county(engine, places, tmp_path):
    """A 幸福小区 in each county's 城关街道: the township name alone does not tell them apart; the
    county in front, or the county scope of the import, does."""
    from data.importers.fees import import_fees

    with Session(engine) as s, s.begin():
        for code in (JINXIANG, JIAXIANG):
            s.add(Compound(code=f"{code}-XF", name="幸福小区", township_id=places[code],
                           community_id=places[(code, "北关社区")], management_mode="专业化物业"))
    row = {"小区名称": ["幸福小区"], "所属镇街": ["城关街道"], "收费标准": [1.2], "执行日期": ["2025-01-01"]}
    path = _csv(tmp_path / "fees.csv", row)
    report = import_fees(engine, path)
    assert not report.ok and "金乡县城关街道" in _errors(report) and "嘉祥县城关街道" in _errors(report)
    assert import_fees(engine, path, scope=Scope(county=JIAXIANG)).ok
    _csv(path, {**row, "所属镇街": ["金乡县城关街道"]})
    assert import_fees(engine, path).ok
    with Session(engine) as s:
        priced = s.scalars(select(Compound.code).where(Compound.fee_price.is_not(None))).all()
    assert sorted(priced) == [f"{JINXIANG}-XF", f"{JIAXIANG}-XF"]


def test_the_command_line_names_the_county_of_a_file(tmp_path, capsys):
    from data.__main__ import main

    url = f"sqlite:///{tmp_path / 'two.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    _places(engine)
    path = _csv(tmp_path / "communities.csv", {"社区名称": ["南关社区"], "所属镇街": ["城关街道"]})
    assert main(["import", "boundaries", str(path), "--level", "community", "--db", url]) == 1
    assert "嘉祥县" in capsys.readouterr().err
    assert main(["import", "boundaries", str(path), "--level", "community", "--county", JIAXIANG, "--db", url]) == 0
    with Session(engine) as s:
        assert s.scalar(select(Township.county_adcode).join(Community).where(Community.name == "南关社区")) == JIAXIANG
    assert main(["places", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert f"城关街道\t{JINXIANG}" in listed and f"城关街道\t{JIAXIANG}" in listed
