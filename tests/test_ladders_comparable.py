"""不可比 periods and every consequence listed (issue 14 items 1 and 2), as parametrised tables."""
from __future__ import annotations

import pandas as pd
import pytest

from policy import ladders
from policy.ladders import (
    COLLECTIVE_TALK, PUBLIC_COMMITMENT, REMINDER, comparable, complaint_ladder, month_range,
    quarter_comparable, shift_month, township_ladder, township_quarter_ladder,
)
from policy.targets import target_table


def _flat(first: str, last: str, per: dict[int, int]) -> list[tuple]:
    return [(t, m, n) for m in month_range(first, last) for t, n in per.items()]


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["township_id", "month", "complaints"])


@pytest.mark.parametrize("start", [f"2024-{m:02d}" for m in range(1, 13)])
def test_first_comparable_month_is_a_year_after_the_data_start(start):
    first = shift_month(start, 12)
    assert not comparable(shift_month(first, -1), start)
    assert comparable(first, start)
    # a township whose complaints rise every month from the start: rises count from `first` only
    rows = [(1, m, 10 + k) for k, m in enumerate(month_range(start, shift_month(start, 26)))]
    for month, rises in ((shift_month(first, -1), 0), (first, 1), (shift_month(first, 1), 2),
                         (shift_month(first, 2), 3), (shift_month(first, 5), 6)):
        out = township_ladder(_frame(rows), month).iloc[0]
        assert int(out["consecutive_rises"]) == rises, (start, month)
        assert bool(out["comparable"]) is (rises > 0)
        if rises == 0:
            assert pd.isna(out["yoy_change"]) and out["actions"] == () and out["action"] == "none"


def test_issue_example_mid_year_start_is_not_thirteen_rises():
    # data from 2024-03; the only comparable change is +1 in 2025-03
    rows = _flat("2024-03", "2025-03", {1: 5, 2: 5})
    rows = [(t, m, n + (1 if (t, m) == (1, "2025-03") else 0)) for t, m, n in rows]
    out = township_ladder(_frame(rows), "2025-03").set_index("township_id")
    assert out.loc[1, "consecutive_rises"] == 1 and out.loc[1, "actions"] == (REMINDER,)
    # 2025-02 is not comparable, so no "largest rise 2 months running"
    assert not out.loc[1, "largest_rise"]
    # the month before: nothing is comparable, nobody rose or fell
    before = township_ladder(_frame(rows), "2025-02")
    assert before["yoy_change"].isna().all() and (before["action"] == "none").all()


@pytest.mark.parametrize("data_from, month, expected", [
    # Jan start: Jan of the next year is the first comparable month
    ("2025-01", "2025-12", False), ("2025-01", "2026-01", True),
    # Dec start: across the year end
    ("2024-12", "2025-11", False), ("2024-12", "2025-12", True), ("2024-12", "2026-01", True),
    (None, "2026-01", False),
])
def test_comparable_boundaries(data_from, month, expected):
    assert comparable(month, data_from) is expected


@pytest.mark.parametrize("quarter, data_from, expected", [
    ("2025-Q1", "2024-01", True), ("2025-Q1", "2024-02", False), ("2025-Q4", "2024-10", True),
    ("2025-Q4", "2024-11", False), ("2026-Q1", "2024-12", True),
])
def test_quarter_comparable(quarter, data_from, expected):
    assert quarter_comparable(quarter, data_from) is expected


def test_every_township_consequence_is_listed():
    # township 1: largest rise two months running AND three rises running → talk + commitment + reminder
    rows = _flat("2025-01", "2025-03", {1: 10, 2: 10}) + [
        (1, "2026-01", 11), (2, "2026-01", 10), (1, "2026-02", 20), (2, "2026-02", 12),
        (1, "2026-03", 20), (2, "2026-03", 12)]
    rows += _flat("2025-04", "2025-12", {1: 0, 2: 0})
    out = township_ladder(_frame(rows), "2026-03").set_index("township_id")
    assert out.loc[1, "actions"] == (COLLECTIVE_TALK, PUBLIC_COMMITMENT, REMINDER)
    assert out.loc[1, "action"] == COLLECTIVE_TALK
    assert out.loc[2, "actions"] == (REMINDER,)  # rose 2 months, not the largest


@pytest.mark.parametrize("a, b, expected_a, expected_b", [
    (20, 20, True, True),    # tie for the largest rise, both months: both commit
    (20, 19, True, False),
    (10, 10, False, False),  # no rise at all: nobody is largest
])
def test_largest_rise_ties(a, b, expected_a, expected_b):
    rows = _flat("2025-02", "2025-03", {1: 10, 2: 10}) + _flat("2026-02", "2026-03", {1: a, 2: b})
    out = township_ladder(_frame(rows), "2026-03", data_from="2025-01").set_index("township_id")
    assert (PUBLIC_COMMITMENT in out.loc[1, "actions"]) is expected_a
    assert (PUBLIC_COMMITMENT in out.loc[2, "actions"]) is expected_b


def test_quarter_ladder_without_year_earlier_data_sends_nobody():
    # 2024-Q4 with no 2023 data: the old reading sent the largest township to the standing committee
    rows = _flat("2024-01", "2024-12", {1: 30, 2: 3})
    out = township_quarter_ladder(_frame(rows), "2024-Q4")
    assert (out["action"] == "none").all() and (out["basis"] == "not_comparable").all()
    assert out["yoy_change"].isna().all()


@pytest.mark.parametrize("scores, last", [
    ({1: 80, 2: 90, 3: 85}, {1}),
    ({1: 80, 2: 80, 3: 85}, {1, 2}),   # ties are both last
    ({1: 85, 2: 85, 3: 85}, set()),    # all equal: nobody
])
def test_quarter_ladder_ranks_by_scores_when_stored(scores, last):
    rows = _flat("2024-01", "2026-03", {1: 1, 2: 1, 3: 50})  # township 3 has the most complaints
    sc = pd.DataFrame([(t, "2026-Q1", s) for t, s in scores.items()], columns=["township_id", "quarter", "score"])
    out = township_quarter_ladder(_frame(rows), "2026-Q1", scores=sc).set_index("township_id")
    assert set(out.index[out["last_place"]]) == last
    assert (out["basis"] == "score").all()
    assert {t for t in out.index if out.loc[t, "actions"]} == last


def test_quarter_ladder_scores_count_across_quarters():
    rows = _flat("2024-01", "2026-03", {1: 1, 2: 1})
    sc = pd.DataFrame([(1, "2025-Q4", 70), (2, "2025-Q4", 90), (1, "2026-Q1", 71), (2, "2026-Q1", 90)],
                      columns=["township_id", "quarter", "score"])
    out = township_quarter_ladder(_frame(rows), "2026-Q1", scores=sc).set_index("township_id")
    assert out.loc[1, "actions"] == (ladders.STANDING_COMMITTEE,) and out.loc[1, "times_last"] == 2


@pytest.mark.parametrize("n, bare, expected", [
    (1, False, ("notify",)), (2, False, ("replace_manager", "notify")),
    (3, False, ("replace_company", "notify")),
    (2, True, ("township_supervise", "notify")), (3, True, ("township_takeover", "notify")),
])
def test_compound_consequences_listed_and_fit_the_management_mode(n, bare, expected):
    rows = [(7, m, 9) for m in month_range(shift_month("2026-03", -(n - 1)), "2026-03")]
    counts = pd.DataFrame(rows, columns=["project_id", "month", "complaints"])
    out = complaint_ladder(counts, "2026-03", 1, no_company={7} if bare else ()).iloc[0]
    assert out["actions"] == expected and out["action"] == expected[0]


@pytest.mark.parametrize("start, month, ytd_ok", [
    ("2024-01", "2025-06", True), ("2024-02", "2025-06", False), ("2024-12", "2025-12", False),
    ("2024-12", "2026-01", True), ("2025-01", "2026-01", True),
])
def test_target_ytd_needs_a_complete_baseline(start, month, ytd_ok):
    counts = {m: 10 for m in month_range(start, month)}
    row = target_table(counts, month, month, "0.30").iloc[0]
    assert bool(row["ytd_comparable"]) is ytd_ok
    assert (row["ytd_met"] is None) is (not ytd_ok)
