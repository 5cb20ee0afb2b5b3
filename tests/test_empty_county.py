"""A county that starts from an empty database: every page opens as every role, says what is
missing, and shows the import checklist; no page raises on an empty register or missing layer.

Three databases made as a county would make them (``python -m data init --no-demo``, then
``python -m data user add``): (a) completely empty; (b) a county outline (嘉祥县) and its
townships only; (c) townships, communities and compounds but no grid layer (the reported
"Cannot choose a metric CRS for empty geometries." on 总览); (d) the same with a few work
orders, one unmatched, before any evaluation, parking resource or inspector.
"""
from __future__ import annotations

import pytest
from shapely.geometry import box
from sqlalchemy.orm import Session

from data import auth, db, permissions
from data.__main__ import main
from data.queries.setup import county_display_name, is_blank, setup_checklist
from data.schema import Community, Compound, County, Township
from data import build
from tests import apptest
from ui.nav import PAGES

COUNTY_ROLES = {"leader": "leader", "housing": "housing", "chief": "admin", "inspector": "inspector"}  # admin: made by init


def _make(path, kind: str) -> str:
    url = f"sqlite:///{path}"
    assert main(["init", "--no-demo", "--db", url]) == 0
    engine = db.make_engine(url)
    users = dict(COUNTY_ROLES)
    if kind != "empty":
        with Session(engine) as s, s.begin():
            if kind == "county":
                s.add(County(adcode="370829", name="嘉祥县", geometry=box(116.1, 35.2, 116.5, 35.6)))
            towns = []
            for i, name in enumerate(["嘉祥街道", "卧龙山街道"]):
                t = Township(code=f"37082900{i}", name=name, kind="街道",
                             geometry=box(116.1 + 0.2 * i, 35.2, 116.3 + 0.2 * i, 35.6))
                s.add(t)
                s.flush()
                towns.append(t)
            if kind in ("no_grids", "complaints"):
                c = Community(code="C1", township_id=towns[0].id, name="一社区", geometry=None)
                s.add(c)
                s.flush()
                s.add(Compound(code="X1", name="翡翠华庭", township_id=towns[0].id, community_id=c.id,
                               geometry=box(116.2, 35.3, 116.201, 35.301), compound_class="商品房",
                               management_mode="专业化物业"))
                s.add(Compound(code="X2", name="银河湾", township_id=towns[0].id, community_id=c.id,
                               geometry=None, compound_class="老旧小区", management_mode="无物业"))
                comm_id = c.id
            town_id = towns[0].id
        auth.create_user(engine, "town", "镇街用户", "township", township_id=town_id)
        users["town"] = "township"
        if kind in ("no_grids", "complaints"):
            auth.create_user(engine, "comm", "社区用户", "community", township_id=town_id, community_id=comm_id)
            users["comm"] = "community"
    if kind == "complaints":  # work orders arrive before evaluations, parking or inspectors
        from datetime import datetime

        from data.schema import Complaint

        with Session(engine) as s, s.begin():
            s.add_all([
                Complaint(order_no="E1", received_at=datetime(2026, 3, 1, 9), category="电梯", compound_id=1,
                          township_id=town_id, community_id=comm_id, match_method="地址", match_confidence=0.9),
                Complaint(order_no="E2", received_at=datetime(2026, 4, 1, 9), category="奇怪类别",
                          address="某路口", match_method="未匹配"),
                Complaint(order_no="E3", received_at=datetime(2026, 4, 2, 9), category="供水", lon=116.2005,
                          lat=35.3005, compound_id=1, township_id=town_id, community_id=comm_id,
                          match_method="坐标", match_confidence=1.0)])
    for name, role in COUNTY_ROLES.items():
        auth.create_user(engine, name, name, role)
    engine.dispose()
    return url


@pytest.fixture(scope="module", params=["empty", "county", "no_grids", "complaints"])
def county_db(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "county.sqlite"
    return request.param, _make(path, request.param)


def test_every_page_opens_as_every_role(county_db, monkeypatch):
    kind, url = county_db
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.make_engine(url)
    users = {u["username"]: u["role"] for u in auth.users(engine)}
    assert county_display_name(engine) == ("嘉祥县" if kind == "county" else None)
    opened = 0
    for username, role in users.items():
        for page in PAGES:
            if not permissions.can_open(role, page.path):
                continue
            at = apptest.open_page(page.path, user=username)  # fails on any exception the page raised
            opened += 1
            text = " ".join(str(getattr(el, "value", "")) for el in at.main)
            assert "金乡" not in text, (username, page.path)  # another county's default name never shows
            if kind == "empty":  # says so on every page, with the checklist and its commands
                assert any("还没有本县的数据" in w.value for w in at.warning), (username, page.path)
                assert "python -m data import boundaries" in text and "县界" in text
            else:
                assert not any("还没有本县的数据" in w.value for w in at.warning)
            if page.path == "pages/home.py":
                title = at.title[0].value
                assert ("嘉祥县" in title) if kind == "county" else ("尚未导入县界" in title), title
    assert opened >= 30
    engine.dispose()


def test_checklist_ticks_what_is_there(tmp_path):
    url = _make(tmp_path / "a.sqlite", "empty")
    engine = db.make_engine(url)
    assert is_blank(engine) and build.build_state(engine) == build.COMPLETE  # marked: never the demo
    items = {i.key: i for i in setup_checklist(engine)}
    assert list(items)[:5] == ["county", "townships", "communities", "grids", "compounds"]
    assert not any(i.done for i in items.values())
    assert items["grids"].optional and items["parking"].optional and not items["compounds"].optional
    with Session(engine) as s, s.begin():
        s.add(Township(code="1", name="嘉祥街道", kind="街道", geometry=box(116, 35, 116.1, 35.1)))
    items = {i.key: i for i in setup_checklist(engine)}
    assert items["townships"].done and items["townships"].count == 1 and not items["county"].done
    assert not is_blank(engine)
    engine.dispose()


def test_the_app_never_fills_a_no_demo_database_with_the_demo(tmp_path):
    url = _make(tmp_path / "b.sqlite", "empty")
    engine = db.make_engine(url)
    assert build.build_state(engine) == build.COMPLETE  # init --no-demo marked it: the app leaves it alone
    fresh = db.make_engine(f"sqlite:///{tmp_path}/fresh.sqlite")
    db.migrate(fresh)
    assert build.build_state(fresh) == build.EMPTY  # a brand-new file still gets the demo on first start
    engine.dispose()
    fresh.dispose()
