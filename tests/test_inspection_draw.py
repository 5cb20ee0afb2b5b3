"""The pure spot-check draw (policy.inspection): determinism, recusal, strata, weights, exclusion."""
from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pandas as pd
import pytest

from policy import inspection as rules
from policy.inspection import RecusalError, draw, largest_remainder


def register(towns=4, per_town=10, companies=5):
    comps = [{"id": 100 + t * per_town + k, "township_id": t + 1, "company_id": 1 + (t * per_town + k) % companies}
             for t in range(towns) for k in range(per_town)]
    staff = [{"id": 1, "township_id": None, "linked_company_ids": []},
             {"id": 2, "township_id": None, "linked_company_ids": [1]},
             {"id": 3, "township_id": 1, "linked_company_ids": []},
             {"id": 4, "township_id": 2, "linked_company_ids": [2, 3]},
             {"id": 5, "township_id": 3, "linked_company_ids": []},
             {"id": 6, "township_id": 4, "linked_company_ids": []}]
    return comps, staff


def test_same_seed_same_result_and_row_order_does_not_matter():
    comps, staff = register()
    a = draw(comps, staff, n=8, seed=11, strata="township_id", team_size=2)
    shuffled_c, shuffled_s = comps[:], staff[:]
    random.Random(3).shuffle(shuffled_c)
    random.Random(4).shuffle(shuffled_s)
    b = draw(pd.DataFrame(shuffled_c), pd.DataFrame(shuffled_s), n=8, seed=11, strata="township_id")
    assert a.picks == b.picks
    c = draw(comps, staff, n=8, seed=12, strata="township_id")
    assert c.as_pairs() != a.as_pairs()


def test_every_team_respects_recusal_and_has_the_team_size():
    comps, staff = register()
    by_id = {s["id"]: s for s in staff}
    comp = {c["id"]: c for c in comps}
    for seed in range(30):
        result = draw(comps, staff, n=12, seed=seed, team_size=3)
        assert len({p.compound_id for p in result.picks}) == 12
        for p in result.picks:
            assert len(set(p.team)) == 3
            for i in p.team:
                assert by_id[i]["township_id"] != comp[p.compound_id]["township_id"]
                assert comp[p.compound_id]["company_id"] not in by_id[i]["linked_company_ids"]


def test_tight_register_raises_instead_of_breaking_recusal():
    comps = [{"id": 1, "township_id": 1, "company_id": 9}]
    staff = [{"id": 1, "township_id": 1, "linked_company_ids": []},   # own township
             {"id": 2, "township_id": 2, "linked_company_ids": [9]},  # linked company
             {"id": 3, "township_id": None, "linked_company_ids": []}]
    with pytest.raises(RecusalError, match="回避规则下检查人员不足") as err:
        draw(comps, staff, n=1, seed=1, team_size=2)
    assert err.value.shortfalls == [(1, 1)]
    staff.append({"id": 4, "township_id": 3, "linked_company_ids": []})
    assert draw(comps, staff, n=1, seed=1).picks[0].team == (3, 4)


@pytest.mark.parametrize("team_size", [0, 1, 2.5, True])
def test_team_size_below_two_is_refused(team_size):
    comps, staff = register()
    with pytest.raises(ValueError, match="不少于 2 人"):
        draw(comps, staff, n=2, seed=1, team_size=team_size)


@pytest.mark.parametrize("sizes,n,expected", [
    ({"a": 10, "b": 10, "c": 10}, 6, {"a": 2, "b": 2, "c": 2}),
    ({"a": 50, "b": 30, "c": 20}, 10, {"a": 5, "b": 3, "c": 2}),
    ({"a": 7, "b": 2, "c": 1}, 5, {"a": 4, "b": 1, "c": 0}),    # quotas 3.5, 1, 0.5: larger remainder tie → larger stratum
    ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1, "c": 0}),    # full tie: key order
    ({"a": 3, "b": 3}, 6, {"a": 3, "b": 3}),                    # everything
    ({"a": 5, "b": 0}, 3, {"a": 3, "b": 0}),
])
def test_largest_remainder_allocation(sizes, n, expected):
    assert largest_remainder(sizes, n) == expected


def test_stratified_draw_is_proportional_per_township():
    comps = ([{"id": i, "township_id": 1} for i in range(50)]
             + [{"id": 100 + i, "township_id": 2} for i in range(30)]
             + [{"id": 200 + i, "township_id": 3} for i in range(20)])
    staff = [{"id": k, "township_id": None} for k in range(1, 4)]
    result = draw(comps, staff, n=10, seed=5, strata="township_id")
    assert Counter(p.township_id for p in result.picks) == {1: 5, 2: 3, 3: 2}
    assert result.allocation == {1: 5, 2: 3, 3: 2}


def test_exclusion_removes_recent_compounds_and_counts_only_the_rest():
    comps, staff = register(towns=2, per_town=5)
    recent = [100, 101, 102, 103, 104, 105, 106]
    for seed in range(20):
        result = draw(comps, staff, n=3, seed=seed, exclude=recent)
        assert not {p.compound_id for p in result.picks} & set(recent)
        assert result.eligible == 3
    with pytest.raises(ValueError, match="超过可抽取的小区数 3"):
        draw(comps, staff, n=4, seed=1, exclude=recent)


def test_risk_weights_raise_the_chance_of_risky_compounds():
    comps = [{"id": i, "township_id": 1} for i in range(40)]
    staff = [{"id": 1, "township_id": None}, {"id": 2, "township_id": None}]
    weights = {i: (20.0 if i < 4 else 1.0) for i in range(40)}
    risky = sum(p.compound_id < 4 for s in range(200)
                for p in draw(comps, staff, n=4, seed=s, weights=weights).picks)
    plain = sum(p.compound_id < 4 for s in range(200) for p in draw(comps, staff, n=4, seed=s).picks)
    assert risky > 3 * plain


@pytest.mark.parametrize("total,share,expected", [
    (100, Fraction(5, 100), 5), (30, "0.05", 2), (10, "0.05", 1), (50, "0.01", 1), (7, 1, 7),
    (90, "0.05", 5),  # 4.5 rounds half up
])
def test_share_of_eligible_compounds(total, share, expected):
    assert rules.count_for_share(total, share) == expected


def test_share_draw_counts_the_eligible():
    comps, staff = register()
    assert len(draw(comps, staff, n=Fraction(1, 10), seed=2).picks) == 4


def test_work_is_spread_across_inspectors():
    comps = [{"id": i, "township_id": 1} for i in range(30)]
    staff = [{"id": k, "township_id": None} for k in range(1, 7)]
    load = Counter(i for p in draw(comps, staff, n=30, seed=9).picks for i in p.team)
    assert set(load.values()) == {10}


def test_hash_changes_with_any_register_or_parameter_change():
    comps, staff = register()
    params = {"n": 5, "strata": None, "team_size": 2}
    base = rules.input_hash(rules.canonical_inputs(comps, staff, params=params))
    again = rules.input_hash(rules.canonical_inputs(list(reversed(comps)), list(reversed(staff)), params=params))
    assert base == again
    moved = [dict(c, township_id=2) if c["id"] == 100 else c for c in comps]
    linked = [dict(s, linked_company_ids=[1, 2]) if s["id"] == 2 else s for s in staff]
    for changed in (rules.canonical_inputs(moved, staff, params=params),
                    rules.canonical_inputs(comps, linked, params=params),
                    rules.canonical_inputs(comps, staff, params=params | {"n": 6}),
                    rules.canonical_inputs(comps, staff, params=params, weights={100: 2.0})):
        assert rules.input_hash(changed) != base


def test_redraw_from_recorded_inputs_gives_the_same_result():
    comps, staff = register()
    params = {"n": "1/8", "strata": "township_id", "team_size": 2, "exclude": [100, 110]}
    inputs = rules.canonical_inputs(comps, staff, params=params, weights={105: 3.5})
    first = rules.redraw(inputs, 77)
    assert len(first.picks) == 5
    assert rules.redraw(inputs, 77).picks == first.picks


@pytest.mark.parametrize("factors,expected", [
    ({}, 1.0),
    ({"complaints_per_100": 4}, 3.0),
    ({"black_list": 1, "low_credit": 1}, 2.5),
    ({"overdue_rectification": True, "never_inspected": True}, 2.5),
])
def test_risk_weight(factors, expected):
    coef = {"complaints_per_100": "0.5", "black_list": "1", "low_credit": "0.5",
            "overdue_rectification": "1", "never_inspected": "0.5"}
    assert rules.risk_weight(factors, coef) == expected


@pytest.mark.parametrize("passes,verdict", [([True, True], "合格"), ([True, False], "不合格"), ([False], "不合格")])
def test_overall_verdict(passes, verdict):
    assert rules.overall_verdict(passes) == verdict


@pytest.mark.parametrize("due,rectified,today,overdue", [
    ("2026-05-01", None, "2026-05-01", False),          # on the due date: not yet overdue
    ("2026-05-01", None, "2026-05-02", True),
    ("2026-05-01", "2026-04-30", "2026-06-01", False),
    ("2026-05-01", "2026-05-20", "2026-05-10", True),   # rectified later than today
    ("2026-05-01", "2026-05-20", "2026-06-01", False),
    (None, None, "2026-06-01", False),
])
def test_rectification_overdue(due, rectified, today, overdue):
    from datetime import date

    d = lambda s: None if s is None else date.fromisoformat(s)  # noqa: E731
    assert rules.rectification_overdue(d(due), d(rectified), d(today)) is overdue


@pytest.mark.parametrize("marks, problems", [
    ({"a": ("合格", None), "b": ("不合格", "堆物")}, []),
    ({"a": ("合格", "备注")}, []),
    ({"a": (None, None)}, ["尚有 1 项未检查：a"]),
    ({"a": ("未检查", None), "b": ("未检查", "")}, ["尚有 2 项未检查：a、b"]),
    ({"a": ("不合格", None)}, ["不合格的事项须写明情况：a"]),
    ({"a": ("不合格", "   ")}, ["不合格的事项须写明情况：a"]),
    ({"a": ("通过", None)}, ["结果应为未检查、合格、不合格之一：a"]),
    ({}, ["至少需要一个检查事项"]),
])
def test_checklist_marks_are_explicit(marks, problems):
    from policy.inspection import check_item_marks

    assert check_item_marks(marks) == problems
