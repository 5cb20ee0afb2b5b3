"""待办 (data.queries.todo) on SQLite and PostgreSQL: real items of each kind, township scope,
overdue exactly at each kind's threshold, unpublished draws kept hidden."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy.orm import Session

from data import db, settings
from data.queries import todo as td
from data.queries.inspection import Viewer
from data.schema import (
    AccountabilityItem, Compound, EnforcementCase, ParkingProposal, SpotCheckDraw, SpotCheckResult,
)
from data.scope import COUNTY, Scope
from tests.places import two_townships

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, 0)
TOWNSHIP = Viewer("township")
HOUSING = Viewer("housing")


def _item(s, key, town, compound, due, state="待落实", action="replace_manager"):
    row = AccountabilityItem(trigger_key=key, rule="complaint_ladder", action=action, subject_kind="compound",
                             subject_id=compound.id, subject_name=compound.name, township_id=town, period="2026-10",
                             figures={}, responsible_unit="物业公司", due_date=due, state=state,
                             created_at=datetime(2026, 11, 1))
    s.add(row)
    s.flush()
    return row.id


def _case(s, no, town, compound, opened, closed=None):
    row = EnforcementCase(case_no=no, compound_id=compound.id if compound else None, township_id=town,
                          category="私搭乱建", department="综合行政执法局", step="结案" if closed else "制止",
                          opened_at=opened, closed_at=closed)
    s.add(row)
    s.flush()
    return row.id


def _proposal(s, town, status, title):
    row = ParkingProposal(township_id=town, title=title, status=status, params={}, content={},
                          created_at=datetime(2026, 11, 1), updated_at=datetime(2026, 11, 1))
    s.add(row)
    s.flush()
    return row.id


def _draw(s, published):
    row = SpotCheckDraw(drawn_at=datetime(2026, 10, 1), actor="housing", seed=1, scope="county/*/*",
                        params={}, published=published)
    s.add(row)
    s.flush()
    return row.id


def _result(s, draw, compound, due, rectified=None, verdict="不合格"):
    row = SpotCheckResult(draw_id=draw, compound_id=compound.id, inspector_ids=[], checked_at=date(2026, 10, 10),
                          verdict=verdict, findings="消防通道与电动车充电：楼道停放电动车",
                          rectification_due=due, rectified_at=rectified)
    s.add(row)
    s.flush()
    return row.id


@pytest.fixture
def world(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    days = int(settings.get(engine, "case_overdue_days"))
    with Session(engine) as s:
        (t1, c1), (t2, c2) = two_townships(s)
        a = Compound(code="A", name="锦绣家园", compound_class="商品房", management_mode="专业化物业", township_id=t1, community_id=c1, geometry=box(117, 35, 117.001, 35.001))
        b = Compound(code="B", name="幸福家园", compound_class="老旧小区", management_mode="业主自管", township_id=t2, community_id=c2, geometry=box(118, 35, 118.001, 35.001))
        s.add_all([a, b])
        s.flush()
        ids = {"t1": t1, "t2": t2, "a": a.id, "b": b.id, "days": days}
        ids["item_late"] = _item(s, "k1", t1, a, TODAY - timedelta(days=3))
        ids["item_due"] = _item(s, "k2", t1, a, TODAY + timedelta(days=5), action="notify")
        _item(s, "k3", t1, a, TODAY - timedelta(days=9), state="已落实")
        _item(s, "k4", t1, a, TODAY - timedelta(days=9), state="已撤销")
        ids["item_b"] = _item(s, "k5", t2, b, TODAY - timedelta(days=3))
        ids["case_old"] = _case(s, "LD-2026-0001", t1, a, NOW - timedelta(days=days + 2))
        ids["case_new"] = _case(s, "LD-2026-0002", t1, None, NOW - timedelta(days=1))
        _case(s, "LD-2026-0003", t1, a, NOW - timedelta(days=40), closed=NOW - timedelta(days=2))
        ids["case_b"] = _case(s, "LD-2026-0004", t2, b, NOW - timedelta(days=1))
        ids["draft"] = _proposal(s, t1, "草稿", "镇1错时停车方案")
        ids["submitted"] = _proposal(s, t1, "已提交", "镇1错时停车方案（已提交）")
        _proposal(s, t1, "已批准", "镇1错时停车方案（已批准）")
        ids["returned_b"] = _proposal(s, t2, "退回", "镇2错时停车方案")
        public, secret = _draw(s, True), _draw(s, False)
        ids["check_late"] = _result(s, public, a, TODAY - timedelta(days=1))
        _result(s, public, a, TODAY - timedelta(days=5), rectified=TODAY - timedelta(days=6))
        _result(s, public, a, None, verdict="合格")
        ids["check_b"] = _result(s, public, b, TODAY + timedelta(days=10))
        ids["check_secret"] = _result(s, secret, a, TODAY + timedelta(days=2))
        s.commit()
    yield engine, ids
    engine.dispose()


def _keys(frame) -> set[tuple[str, int]]:
    return set(zip(frame["kind"], frame["ref_id"].astype(int)))


def _flags(frame) -> dict[tuple[str, int], bool]:
    return {(k, int(r)): bool(o) for k, r, o in zip(frame["kind"], frame["ref_id"], frame["overdue"])}


def test_a_township_sees_its_open_items_of_every_kind_and_nothing_else(world):
    engine, ids = world
    rows = td.todo(engine, Scope(ids["t1"]), TODAY, viewer=TOWNSHIP, now=NOW)
    assert _keys(rows) == {(td.REGISTER, ids["item_late"]), (td.REGISTER, ids["item_due"]),
                           (td.CASE, ids["case_old"]), (td.CASE, ids["case_new"]),
                           (td.PARKING, ids["draft"]), (td.RECTIFICATION, ids["check_late"])}
    assert set(rows["township"]) == {"镇1"}
    by = {(k, r): row for k, r, row in zip(rows["kind"], rows["ref_id"], rows.to_dict("records"))}
    late = by[(td.REGISTER, ids["item_late"])]
    assert (late["compound_id"], late["compound"], late["overdue"], late["state"], late["page"]) == (
        ids["a"], "锦绣家园", True, "逾期", "pages/register.py")
    case = by[(td.CASE, ids["case_old"])]
    assert case["overdue"] and case["state"] == "制止" and case["page"] == "pages/enforcement.py"
    assert pd.isna(by[(td.CASE, ids["case_new"])]["compound_id"])  # a case with no compound: no map pick
    draft = by[(td.PARKING, ids["draft"])]
    assert draft["due_date"] is None and not draft["overdue"] and draft["page"] == "pages/parking.py"
    check = by[(td.RECTIFICATION, ids["check_late"])]
    assert check["overdue"] and check["due_date"] == TODAY - timedelta(days=1)
    assert check["page"] == "pages/inspection.py" and check["compound_id"] == ids["a"]


def test_township_a_never_sees_township_b(world):
    engine, ids = world
    for town, other in ((ids["t1"], ids["t2"]), (ids["t2"], ids["t1"])):
        rows = td.todo(engine, Scope(town), TODAY, viewer=HOUSING, now=NOW)
        assert len(rows)
        names = {"镇1", "镇2"} - {f"镇{1 if town == ids['t1'] else 2}"}
        assert not set(rows["township"]) & names
        assert ids["b" if town == ids["t1"] else "a"] not in set(rows["compound_id"].dropna().astype(int))


def test_the_county_sums_every_township(world):
    engine, ids = world
    county = td.todo(engine, COUNTY, TODAY, viewer=TOWNSHIP, now=NOW)
    parts = [td.todo(engine, Scope(t), TODAY, viewer=TOWNSHIP, now=NOW) for t in (ids["t1"], ids["t2"])]
    assert _keys(county) == _keys(parts[0]) | _keys(parts[1])
    assert {(td.REGISTER, ids["item_b"]), (td.CASE, ids["case_b"]), (td.PARKING, ids["returned_b"]),
            (td.RECTIFICATION, ids["check_b"])} <= _keys(county)
    c = td.counts(county)
    assert list(c) == list(td.KINDS)
    assert c[td.REGISTER] == (3, 2) and c[td.CASE] == (3, 1) and c[td.PARKING] == (2, 0)
    assert c[td.RECTIFICATION] == (2, 1)


def test_overdue_first_then_by_due_date(world):
    engine, ids = world
    rows = td.todo(engine, COUNTY, TODAY, viewer=TOWNSHIP, now=NOW)
    flags = list(rows["overdue"])
    assert flags == sorted(flags, reverse=True) and flags[0]
    late = rows[rows["overdue"]]["due_date"].tolist()
    assert late == sorted(late)
    on_time = rows[~rows["overdue"]]["due_date"].tolist()
    dated = [d for d in on_time if d is not None]
    assert dated == sorted(dated) and on_time[len(dated):] == [None] * (len(on_time) - len(dated))


def test_an_unpublished_draw_stays_with_the_drawing_unit(world):
    engine, ids = world
    hidden = td.todo(engine, Scope(ids["t1"]), TODAY, viewer=TOWNSHIP, now=NOW)
    assert (td.RECTIFICATION, ids["check_secret"]) not in _keys(hidden)
    anybody = td.todo(engine, Scope(ids["t1"]), TODAY, now=NOW)  # no viewer: an ordinary reader
    assert (td.RECTIFICATION, ids["check_secret"]) not in _keys(anybody)
    drawing_unit = td.todo(engine, Scope(ids["t1"]), TODAY, viewer=HOUSING, now=NOW)
    assert (td.RECTIFICATION, ids["check_secret"]) in _keys(drawing_unit)


def test_submitted_proposals_wait_for_the_approving_unit_only(world):
    engine, ids = world
    assert (td.PARKING, ids["submitted"]) not in _keys(td.todo(engine, Scope(ids["t1"]), TODAY, viewer=TOWNSHIP,
                                                               now=NOW))
    assert (td.PARKING, ids["submitted"]) in _keys(td.todo(engine, Scope(ids["t1"]), TODAY, viewer=HOUSING,
                                                           now=NOW))


@pytest.mark.parametrize("offset, overdue", [(-1, False), (0, False), (1, True)])
def test_register_and_rectification_are_overdue_the_day_after_their_due_date(world, offset, overdue):
    engine, ids = world
    due = TODAY - timedelta(days=3)  # the item_late's due date; check_late's is TODAY - 1
    rows = td.todo(engine, Scope(ids["t1"]), due + timedelta(days=offset), viewer=TOWNSHIP, now=NOW)
    flag = _flags(rows)
    assert flag[(td.REGISTER, ids["item_late"])] is overdue
    rows = td.todo(engine, Scope(ids["t1"]), TODAY - timedelta(days=1) + timedelta(days=offset), viewer=TOWNSHIP,
                   now=NOW)
    flag = _flags(rows)
    assert flag[(td.RECTIFICATION, ids["check_late"])] is overdue


@pytest.mark.parametrize("seconds, overdue", [(-1, False), (0, True), (1, True)])
def test_a_case_is_overdue_from_its_due_moment(world, seconds, overdue):
    engine, ids = world
    opened = NOW - timedelta(days=1)  # case_new
    moment = opened + timedelta(days=ids["days"], seconds=seconds)
    rows = td.todo(engine, Scope(ids["t1"]), moment.date(), viewer=TOWNSHIP, now=moment)
    row = rows[(rows["kind"] == td.CASE) & (rows["ref_id"] == ids["case_new"])].iloc[0]
    assert bool(row["overdue"]) is overdue
    assert row["due_date"] == (opened + timedelta(days=ids["days"])).date()
