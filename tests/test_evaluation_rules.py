"""Red/black lists, black-list consequences, company blacklist, excellent quota and credit tiers,
each at its exact threshold (policy.ratings)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from policy import ratings
from policy.ratings import (black_list_actions, company_blacklist, excellent_companies, excellent_quota,
                            incentive_eligible, list_label, supervision_tier)


@pytest.mark.parametrize("score, label", [
    (90, "红榜"), ("90.00", "红榜"), (Decimal("89.99"), "—"), (100, "红榜"),
    (60, "—"), ("60.00", "—"), (Decimal("59.99"), "黑榜"), (0, "黑榜"),
    (75, "—"), (None, "—"), (float("nan"), "—"),
])
def test_list_label_at_the_lines(score, label):
    assert list_label(score, red_min=90, black_below=60) == label


def test_list_label_uses_the_settings_given():
    assert list_label(85, red_min=85, black_below=70) == "红榜"
    assert list_label("69.5", red_min=85, black_below=70) == "黑榜"


@pytest.mark.parametrize("n, quota", [
    (0, 0), (1, 0), (19, 0), (20, 1), (21, 1), (39, 1), (40, 2), (59, 2), (60, 3), (100, 5),
])
def test_excellent_quota_is_the_floor_of_five_percent(n, quota):
    assert excellent_quota(n) == quota


@pytest.mark.parametrize("share, n, quota", [("0.05", 20, 1), ("1/10", 19, 1), ("0.1", 9, 0), (0, 50, 0)])
def test_excellent_quota_from_a_share_setting(share, n, quota):
    assert excellent_quota(n, share) == quota


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_excellent_quota_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        excellent_quota(bad)


def test_excellent_companies_never_exceed_the_quota_even_on_ties():
    scores = {f"c{i}": 80 for i in range(38)}
    scores.update({"top": 99, "tie1": 95, "tie2": 95})  # 41 companies → quota 2
    assert excellent_companies(scores) == ["top"]  # the tie at the cut would make 3
    scores["tie2"] = 94
    assert excellent_companies(scores) == ["top", "tie1"]
    assert excellent_companies({f"c{i}": 90 for i in range(19)}) == []  # 19 → quota 0


PORTFOLIO = {"A": [1, 2, 3], "B": [4, 5, 6, 7], "C": [8, 9, 10, 11, 12, 13], "D": [], "E": [14]}


@pytest.mark.parametrize("black, listed", [
    ({1}, {"A"}),                    # exactly 1/3 → blacklisted (以上 inclusive)
    ({4}, set()),                    # 1/4 < 1/3
    ({4, 5}, {"B"}),                 # 1/2
    ({8}, set()),                    # 1/6
    ({8, 9}, {"C"}),                 # exactly 2/6 = 1/3
    ({14}, {"E"}),                   # 1/1
    (set(), set()),
    ({99}, set()),                   # a black project nobody manages
])
def test_company_blacklist_at_one_third(black, listed):
    assert company_blacklist(black, PORTFOLIO) == listed


def test_company_blacklist_share_is_a_setting():
    assert company_blacklist({4, 5}, PORTFOLIO, share="3/4") == set()
    assert company_blacklist({4, 5, 6}, PORTFOLIO, share=Fraction(3, 4)) == {"B"}


def _history(rows):
    return pd.DataFrame(rows, columns=["project_id", "quarter", "black"])


def test_black_list_actions_first_and_second_time():
    h = _history([
        (1, "2026-Q3", True),                           # first time → manager
        (2, "2026-Q3", True), (2, "2025-Q1", True),     # second time in window → company
        (3, "2026-Q3", False), (3, "2026-Q2", True),    # not black now → absent
        (4, "2026-Q3", True), (4, "2024-Q3", True),     # 9 quarters back: outside the window of 8
        (5, "2026-Q3", True), (5, "2024-Q4", True),     # exactly 8 quarters incl. this one → inside
        (6, "2026-Q2", True), (6, "2026-Q1", True),     # later quarter asked for below
    ])
    actions = black_list_actions(h, "2026-Q3")
    assert actions == {1: "replace_manager", 2: "replace_company", 4: "replace_manager",
                       5: "replace_company"}
    assert black_list_actions(h, "2026-Q2") == {3: "replace_manager", 6: "replace_company"}


def test_black_list_actions_count_quarters_across_a_year_end_and_ignore_the_future():
    h = _history([(1, "2025-Q4", True), (1, "2026-Q1", True), (1, "2026-Q2", True)])
    assert black_list_actions(h, "2025-Q4") == {1: "replace_manager"}
    assert black_list_actions(h, "2026-Q1") == {1: "replace_company"}
    assert black_list_actions(h, "2026-Q1", window=1) == {1: "replace_manager"}


def test_black_list_actions_count_a_duplicated_quarter_once():
    h = _history([(1, "2026-Q3", True), (1, "2026-Q3", True)])
    assert black_list_actions(h, "2026-Q3") == {1: "replace_manager"}
    assert black_list_actions(_history([]), "2026-Q3") == {}


@pytest.mark.parametrize("text, index_diff", [("2025-Q4", 0), ("2026-Q1", 1), ("2026Q2", 2)])
def test_quarters_are_consecutive_across_year_ends(text, index_diff):
    assert ratings.quarter_index(text) - ratings.quarter_index("2025-Q4") == index_diff


def test_quarters_back_and_half_year():
    assert ratings.quarters_back("2026-Q2", 3) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert ratings.half_year("2026-Q2") == "2026-H1" and ratings.half_year("2026-Q3") == "2026-H2"
    with pytest.raises(ValueError, match="YYYY-Qn"):
        ratings.parse_quarter("2026-Q5")


GRADES = ("AAA", "AA", "A", "B", "C")


@pytest.mark.parametrize("grade, incentive, tier", [
    ("AAA", True, "incentive"), ("AA", True, "incentive"), ("A", True, "incentive"),  # A级以上 inclusive
    ("B", False, "routine"), ("C", False, "close"),
])
def test_credit_tiers_and_a_and_above(grade, incentive, tier):
    assert incentive_eligible(grade, GRADES) is incentive
    assert supervision_tier(grade, GRADES).key == tier
    assert supervision_tier(grade, GRADES).incentive is incentive


def test_credit_scale_is_a_setting():
    scale = ("A", "B", "C", "D")
    assert incentive_eligible("A", scale) and not incentive_eligible("B", scale)
    assert supervision_tier("D", scale).key == "close"
    with pytest.raises(ValueError, match="未知的信用等级"):
        supervision_tier("AAA", scale)
