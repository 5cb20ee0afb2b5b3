"""Owners' vote (Civil Code art. 278/1259), the fee-adjustment state machine and fee-reduction
candidates, at every threshold (policy.votes, policy.fees)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from policy import fees as machine
from policy.votes import decide

BASE = dict(total_area=9000, total_owners=90)


def _vote(matter="ordinary", **kw):
    args = dict(BASE, participating_area=6000, participating_owners=60, approving_area=3001,
                approving_owners=31)
    args.update(kw)
    return decide(matter, **args)


@pytest.mark.parametrize("p_area, p_owners, valid", [
    (6000, 60, True),                      # exactly 2/3 of area and of owners (以上 inclusive)
    ("5999.99", 60, False),                # just under 2/3 of area
    (6000, 59, False),                     # just under 2/3 of owners
    ("6000.00", 90, True),
    (9000, 60, True),
    (Decimal("6000.0000001"), 61, True),
])
def test_validity_at_two_thirds(p_area, p_owners, valid):
    r = _vote(participating_area=p_area, participating_owners=p_owners, approving_area=0,
              approving_owners=0)
    assert r.valid is valid
    if not valid:
        assert r.passed is False
        assert any("不足三分之二" in x for x in r.reasons)


@pytest.mark.parametrize("yes_area, yes_owners, passed", [
    (3000, 31, False),          # exactly half of the area is not 过半数
    (3001, 30, False),          # exactly half of the owners is not 过半数
    ("3000.01", 31, True),      # just over half of both
    (3001, 31, True),
    (6000, 60, True),
    (0, 0, False),
])
def test_ordinary_matter_needs_more_than_half(yes_area, yes_owners, passed):
    r = _vote(approving_area=yes_area, approving_owners=yes_owners)
    assert r.valid and r.passed is passed
    assert "表决通过" in r.verdict if passed else "未通过" in r.verdict


@pytest.mark.parametrize("yes_area, yes_owners, passed", [
    (4500, 45, True),           # exactly 3/4 of both (以上 inclusive)
    ("4499.99", 45, False),
    (4500, 44, False),
    (6000, 60, True),
    (3001, 31, False),          # a majority is not enough for a major matter
])
def test_major_matter_needs_three_quarters(yes_area, yes_owners, passed):
    r = _vote("major", approving_area=yes_area, approving_owners=yes_owners)
    assert r.valid and r.passed is passed


def test_exact_arithmetic_where_floats_would_err():
    # 0.1 + 0.2 style: 2/3 of 0.3 m² is 0.2 exactly; with floats 0.3 * 2 / 3 != 0.2
    r = decide("ordinary", total_area="0.3", total_owners=3, participating_area="0.2", participating_owners=2,
               approving_area="0.1", approving_owners=1)
    assert r.valid and not r.passed  # exactly half of 0.2 and of 2 → not 过半数
    assert r.participating_area_share == Fraction(2, 3)
    r = decide("ordinary", total_area=0.3, total_owners=3, participating_area=0.2, participating_owners=2,
               approving_area=0.1, approving_owners=1)  # floats are read as the decimals they print as
    assert r.valid and r.approving_area_share == Fraction(1, 2)


def test_invalid_vote_reports_why_in_chinese():
    r = _vote(participating_owners=59, approving_owners=59, approving_area=6000)
    assert (r.valid, r.passed) == (False, False)
    assert "表决无效" in r.verdict
    assert r.reasons[1].startswith("参与表决人数 59 / 业主总人数 90")


@pytest.mark.parametrize("kw, message", [
    ({"participating_area": 9001}, "不能超过"),
    ({"approving_owners": 61}, "不能超过"),
    ({"total_area": 0}, "必须大于 0"),
    ({"participating_area": "六千"}, "不是数字"),
    ({"participating_area": -1}, "负数"),
    ({"approving_owners": 30.5}, "整数"),
])
def test_bad_figures_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        _vote(**kw)


def test_unknown_matter_is_refused():
    with pytest.raises(ValueError, match="ordinary"):
        _vote("urgent")


def test_areas_accept_units_and_thousands_separators():
    r = _vote(participating_area="6,000㎡", approving_area="3,000.5 ㎡")
    assert r.valid and r.passed


# --------------------------------------------------------------------------- state machine
LEGAL = [
    ("无", "成本已公开"), ("成本已公开", "表决中"), ("表决中", "已通过"), ("表决中", "未通过"),
    ("无", "降费评估中"), ("降费评估中", "限期整改"), ("限期整改", "已降费"), ("限期整改", "启动退出程序"),
    ("限期整改", "无"), ("启动退出程序", "无"),
    ("已通过", "降费评估中"), ("未通过", "降费评估中"), ("已降费", "降费评估中"),
    ("已通过", "成本已公开"), ("未通过", "成本已公开"), ("已降费", "成本已公开"),
    ("成本已公开", "无"), ("降费评估中", "无"),
]
ILLEGAL = [
    ("无", "表决中", "须先公开"), ("无", "已通过", "只有“表决中”"), ("成本已公开", "已通过", "只有“表决中”"),
    ("无", "已降费", "须先经服务质量评价"), ("降费评估中", "已降费", "须先限期整改"),
    ("降费评估中", "启动退出程序", "只能变为"), ("表决中", "降费评估中", "表决结束"),
    ("成本已公开", "降费评估中", "表决结束"), ("表决中", "无", "只能变为"), ("已通过", "未通过", "只有“表决中”"),
    ("降费评估中", "已通过", "只有“表决中”"), ("已降费", "已降费", "状态未改变"), ("无", "无", "状态未改变"),
    ("无", "涨价", "未知的调价状态"), ("暂停", "无", "未知的调价状态"),
]


@pytest.mark.parametrize("old, new", LEGAL)
def test_legal_transitions(old, new):
    machine.check_transition(old, new)
    assert new in machine.allowed_next(old)


@pytest.mark.parametrize("old, new, message", ILLEGAL)
def test_illegal_transitions_are_refused_in_chinese(old, new, message):
    with pytest.raises(machine.TransitionError, match=message):
        machine.check_transition(old, new)


def test_every_pair_is_decided_and_the_table_is_complete():
    legal = set(LEGAL)
    for old in machine.STATUSES:
        for new in machine.STATUSES:
            if (old, new) in legal:
                machine.check_transition(old, new)
            else:
                with pytest.raises(machine.TransitionError):
                    machine.check_transition(old, new)
    assert set(machine.TRANSITIONS) == set(machine.STATUSES)


def test_status_after_vote():
    assert machine.status_after_vote(_vote()) == "已通过"
    assert machine.status_after_vote(_vote(approving_area=3000)) == "未通过"
    assert machine.status_after_vote(_vote(participating_owners=59, approving_owners=0)) == "未通过"


# --------------------------------------------------------------------------- reduction candidates
FLOORS = [["0.80", 70], ["1.20", 80]]


@pytest.mark.parametrize("price, floor", [(None, None), ("0.79", None), ("0.80", Decimal(70)),
                                          (1.19, Decimal(70)), ("1.20", Decimal(80)), (2, Decimal(80))])
def test_quality_floor_by_price(price, floor):
    assert machine.quality_floor(price, FLOORS) == floor


def test_reduction_candidates_each_with_its_reasons():
    frame = pd.DataFrame([
        # compound, score, complaints, households, price
        (1, Decimal("59.99"), 0, 100, Decimal("0.50")),   # black only
        (2, Decimal("60.00"), 0, 100, Decimal("0.50")),   # on the line: not black, nothing
        (3, Decimal("85"), 3, 100, Decimal("0.50")),      # exactly 3 per 100 → many complaints
        (4, Decimal("85"), 2, 100, Decimal("0.50")),      # 2 per 100: below
        (5, Decimal("69.99"), 0, 100, Decimal("0.80")),   # below the 0.80 floor of 70 → 质价不符
        (6, Decimal("70"), 0, 100, Decimal("0.80")),      # exactly the floor: fine
        (7, None, 9, 100, Decimal("1.50")),               # not evaluated, many complaints
        (8, Decimal("50"), 10, 0, Decimal("1.50")),       # no households: complaints not rated
    ], columns=["compound_id", "score", "complaints", "households", "fee_price"])
    out = machine.reduction_candidates(frame, black_below=60, complaints_per_100_min="3",
                                       quality_floors=FLOORS).set_index("compound_id")
    assert sorted(out.index) == [1, 3, 5, 7, 8]
    assert out.loc[1, "black"] and "列入黑榜" in out.loc[1, "reasons"]
    assert out.loc[3, "many_complaints"] and "业主投诉较多" in out.loc[3, "reasons"]
    assert out.loc[5, "below_price"] and "质价不符" in out.loc[5, "reasons"]
    assert not out.loc[7, "black"] and out.loc[7, "many_complaints"]
    assert out.loc[8, "black"] and out.loc[8, "below_price"] and not out.loc[8, "many_complaints"]
    assert "；" in out.loc[8, "reasons"]


@pytest.mark.parametrize("when, ok", [("2026-05-30", False), ("2026-05-31", True), ("2026-06-15", True)])
def test_reduction_only_when_the_rectification_deadline_has_come(when, ok):
    from datetime import date, datetime

    at = datetime.fromisoformat(when + " 09:00")
    for new in ("已降费", "启动退出程序"):
        if ok:
            machine.check_rectification("限期整改", new, date(2026, 5, 31), at)
        else:
            with pytest.raises(machine.TransitionError, match="期满重新评价"):
                machine.check_rectification("限期整改", new, date(2026, 5, 31), at)
    machine.check_rectification("限期整改", "无", date(2026, 5, 31), datetime(2026, 5, 1))  # passing: any time
