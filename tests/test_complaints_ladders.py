"""The two accountability ladders and target tracking as parametrised tables (pure functions)."""
from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd
import pytest

from policy.ladders import (
    ACTION_LABELS, complaint_ladder, month_range, shift_month, top_list, township_ladder,
)
from policy.targets import meets_target, target_status, target_table


def _counts(table: dict[str, dict], key="project_id") -> pd.DataFrame:
    """{month: {id: complaints}} → long frame."""
    rows = [(i, m, n) for m, per in table.items() for i, n in per.items()]
    return pd.DataFrame(rows, columns=[key, "month", "complaints"])


@pytest.mark.parametrize("month, k, expected", [
    ("2025-12", 1, "2026-01"), ("2026-01", -1, "2025-12"), ("2026-03", -12, "2025-03"),
    ("2026-1", 0, "2026-01"), ("2024-02", 23, "2026-01"),
])
def test_shift_month_crosses_year_ends(month, k, expected):
    assert shift_month(month, k) == expected


def test_month_range_and_bad_month():
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(ValueError, match="YYYY-MM"):
        shift_month("2026-13", 0)


def test_counts_months_are_padded_and_checked():
    counts = pd.DataFrame({"project_id": [1, 1, 2], "month": ["2026-9", "2026-10", "2026-10"],
                           "complaints": [4, 5, 3]})
    ladder = complaint_ladder(counts, "2026-10", 1)
    assert ladder[["project_id", "consecutive_months"]].values.tolist() == [[1, 2]]  # "2026-9" is September
    with pytest.raises(ValueError, match="YYYY-MM"):
        complaint_ladder(counts.assign(month=["2026-13", "2026-10", "2026-10"]), "2026-10", 1)


# --------------------------------------------------------------------------- top list
@pytest.mark.parametrize("per, top_n, listed, ranks", [
    # plain order
    ({1: 10, 2: 9, 3: 8}, 2, [1, 2], [1, 2]),
    # a tie at the cut-off: both tied projects are in
    ({1: 10, 2: 9, 3: 9, 4: 8}, 2, [1, 2, 3], [1, 2, 2]),
    # rank method "min": after a tie the next rank skips
    ({1: 10, 2: 10, 3: 9}, 3, [1, 2, 3], [1, 1, 3]),
    # a tie just below the cut-off stays out (ranks 1, 2, 3, 3 with top 2)
    ({1: 10, 2: 9, 3: 8, 4: 8}, 2, [1, 2], [1, 2]),
    # everybody tied: all listed even if more than top_n
    ({1: 5, 2: 5, 3: 5}, 1, [1, 2, 3], [1, 1, 1]),
    # zero complaints never listed, even inside top_n
    ({1: 3, 2: 0, 3: 0}, 3, [1], [1]),
    ({1: 0}, 50, [], []),
])
def test_top_list(per, top_n, listed, ranks):
    out = top_list(_counts({"2026-03": per}), "2026-03", top_n)
    assert out["project_id"].tolist() == listed
    assert out["rank"].tolist() == ranks


# --------------------------------------------------------------------------- ladder
@pytest.mark.parametrize("history, month, expected", [
    # one month in the list → notify
    ({"2026-03": {1: 5}}, "2026-03", {1: (1, "notify")}),
    # two months running → replace the manager
    ({"2026-02": {1: 5}, "2026-03": {1: 4}}, "2026-03", {1: (2, "replace_manager")}),
    # three months running → replace the company; four still is
    ({"2026-01": {1: 1}, "2026-02": {1: 5}, "2026-03": {1: 4}}, "2026-03", {1: (3, "replace_company")}),
    ({"2025-12": {1: 1}, "2026-01": {1: 1}, "2026-02": {1: 5}, "2026-03": {1: 4}}, "2026-03",
     {1: (4, "replace_company")}),
    # a run across December–January
    ({"2025-11": {1: 2}, "2025-12": {1: 2}, "2026-01": {1: 2}}, "2026-01", {1: (3, "replace_company")}),
    ({"2025-12": {1: 2}, "2026-01": {1: 2}}, "2026-01", {1: (2, "replace_manager")}),
    # a gap month (no row at all) breaks the run
    ({"2026-01": {1: 5}, "2026-03": {1: 5}}, "2026-03", {1: (1, "notify")}),
    # a zero month breaks the run
    ({"2026-01": {1: 5}, "2026-02": {1: 0}, "2026-03": {1: 5}}, "2026-03", {1: (1, "notify")}),
    # same month a year earlier is not "consecutive"
    ({"2025-03": {1: 5}, "2026-03": {1: 5}}, "2026-03", {1: (1, "notify")}),
    # in the list last month only by a tie at the cut-off: still counts
    ({"2026-02": {1: 9, 2: 8, 3: 8}, "2026-03": {3: 7, 4: 1}}, "2026-03",
     {3: (2, "replace_manager"), 4: (1, "notify")}),
    # out of the list last month (rank 3 of top 2) although it had complaints
    ({"2026-02": {1: 9, 2: 8, 3: 7}, "2026-03": {3: 7}}, "2026-03", {3: (1, "notify")}),
    # nothing this month → empty ladder
    ({"2026-02": {1: 9}}, "2026-03", {}),
])
def test_complaint_ladder(history, month, expected):
    out = complaint_ladder(_counts(history), month, top_n=2)
    assert list(out.columns) == ["project_id", "rank", "complaints", "consecutive_months", "action", "actions"]
    got = {r.project_id: (r.consecutive_months, r.action) for r in out.itertuples()}
    assert got == expected


def test_complaint_ladder_default_top_50_and_ordering():
    per = {i: 100 - i for i in range(1, 61)} | {61: 0}
    out = complaint_ladder(_counts({"2026-05": per}), "2026-05")
    assert len(out) == 50 and out["rank"].tolist() == list(range(1, 51))
    assert set(out["action"]) == {"notify"}


def test_complaint_ladder_settings_months():
    history = {"2026-01": {1: 1}, "2026-02": {1: 1}}
    out = complaint_ladder(_counts(history), "2026-02", replace_manager_months=3, replace_company_months=4)
    assert out["action"].tolist() == ["notify"]


def test_repeated_rows_are_summed():
    df = pd.DataFrame({"project_id": [1, 1, 2], "month": ["2026-03", "2026-03", "2026-03"],
                       "complaints": [2, 2, 3]})
    out = complaint_ladder(df, "2026-03", top_n=1)
    assert out["project_id"].tolist() == [1] and out["complaints"].tolist() == [4]


# --------------------------------------------------------------------------- township ladder
def _towns(table):
    return _counts(table, key="township_id")


@pytest.mark.parametrize("history, month, expected", [
    # a rise this month → reminder (largest now, but nobody rose last month); equal → none; fall → none
    ({"2025-03": {1: 10, 2: 10, 3: 10, 4: 0}, "2026-03": {1: 11, 2: 10, 3: 9, 4: 0}}, "2026-03",
     {1: "reminder", 2: "none", 3: "none", 4: "none"}),
    # three rises running → collective talk (over the year end)
    ({"2025-01": {1: 5}, "2024-12": {1: 5}, "2024-11": {1: 5},
      "2025-11": {1: 6, 2: 0}, "2025-12": {1: 6}, "2026-01": {1: 6}}, "2026-01",
     {1: "collective_talk", 2: "none"}),
    # largest rise in this month AND the month before → public commitment; the other riser gets a reminder
    ({"2025-02": {1: 10, 2: 10}, "2025-03": {1: 10, 2: 10},
      "2026-02": {1: 20, 2: 11}, "2026-03": {1: 20, 2: 12}}, "2026-03",
     {1: "public_commitment", 2: "reminder"}),
    # largest this month only (not last month) → reminder
    ({"2025-02": {1: 10, 2: 10}, "2025-03": {1: 10, 2: 10},
      "2026-02": {1: 11, 2: 20}, "2026-03": {1: 20, 2: 12}}, "2026-03",
     {1: "reminder", 2: "reminder"}),
    # ties for the largest rise in both months → both make the commitment
    ({"2025-02": {1: 10, 2: 10, 3: 10}, "2025-03": {1: 10, 2: 10, 3: 10},
      "2026-02": {1: 15, 2: 15, 3: 10}, "2026-03": {1: 13, 2: 13, 3: 11}}, "2026-03",
     {1: "public_commitment", 2: "public_commitment", 3: "reminder"}),
    # collective talk beats public commitment
    ({"2025-01": {1: 1, 2: 1}, "2025-02": {1: 1, 2: 1}, "2025-03": {1: 1, 2: 1},
      "2026-01": {1: 2, 2: 1}, "2026-02": {1: 9, 2: 2}, "2026-03": {1: 9, 2: 2}}, "2026-03",
     {1: "collective_talk", 2: "reminder"}),
    # a gap (missing month = 0) breaks the run of rises
    ({"2025-01": {1: 1}, "2025-03": {1: 1}, "2026-01": {1: 2}, "2026-03": {1: 2}}, "2026-03",
     {1: "reminder"}),
    ({"2025-01": {1: 1}, "2025-02": {1: 1}, "2025-03": {1: 1}, "2026-01": {1: 2}, "2026-02": {1: 1},
      "2026-03": {1: 2}}, "2026-03", {1: "reminder"}),
    # no township rose: nobody is "largest"
    ({"2025-02": {1: 5, 2: 5}, "2025-03": {1: 5, 2: 5}, "2026-02": {1: 4, 2: 5}, "2026-03": {1: 4, 2: 5}},
     "2026-03", {1: "none", 2: "none"}),
])
def test_township_ladder_actions(history, month, expected):
    out = township_ladder(_towns(history), month)
    assert dict(zip(out["township_id"], out["action"])) == expected


def test_township_ladder_columns_and_percent():
    out = township_ladder(_towns({"2025-03": {1: 10, 2: 0}, "2026-03": {1: 15, 2: 4}}), "2026-03")
    row = out.set_index("township_id")
    assert row.loc[1, "yoy_change"] == 5 and row.loc[1, "yoy_pct"] == pytest.approx(0.5)
    assert row.loc[2, "yoy_change"] == 4 and math.isnan(row.loc[2, "yoy_pct"])  # no baseline
    assert row.loc[1, "consecutive_rises"] == 1 and row.loc[1, "last_year"] == 10
    assert {"township_id", "yoy_change", "yoy_pct", "consecutive_rises", "action"} <= set(out.columns)


def test_township_ladder_consecutive_rises_across_year_end():
    hist = {"2024-11": {1: 1}, "2024-12": {1: 1}, "2025-01": {1: 1}, "2025-02": {1: 1},
            "2025-11": {1: 2}, "2025-12": {1: 2}, "2026-01": {1: 2}, "2026-02": {1: 2}}
    out = township_ladder(_towns(hist), "2026-02")
    assert out["consecutive_rises"].tolist() == [4]


def test_action_labels_are_the_seed_words():
    assert ACTION_LABELS["notify"] == "通报"
    assert ACTION_LABELS["replace_manager"] == "建议更换项目经理"
    assert ACTION_LABELS["replace_company"] == "启动更换物业企业程序"


# --------------------------------------------------------------------------- target
@pytest.mark.parametrize("current, baseline, target, met", [
    (70, 100, "0.30", True),     # exactly −30 %: 以上 is inclusive
    (71, 100, "0.30", False),
    (69, 100, "0.30", True),
    (7, 10, "0.30", True),
    (2, 3, "0.30", True),        # −1/3 ≤ −0.3
    (0, 0, "0.30", None),        # no baseline
    (10, 0, "0.30", None),
    (100, 100, "0", True),
])
def test_meets_target(current, baseline, target, met):
    assert meets_target(current, baseline, target) is met


def test_target_status_is_exact_and_gap():
    s = target_status(75, 100, "0.30")
    assert s.change == Fraction(-1, 4) and s.met is False and s.gap == 5
    assert target_status(70, 100).gap == 0


def test_target_table_ytd_restarts_in_january():
    counts = {"2024-11": 10, "2024-12": 10, "2025-01": 10, "2025-11": 7, "2025-12": 8, "2026-01": 5}
    out = target_table(counts, "2025-11", "2026-01", "0.30")
    assert out["month"].tolist() == ["2025-11", "2025-12", "2026-01"]
    assert out["met"].tolist() == [True, False, True]
    assert out["ytd"].tolist() == [17, 25, 5]             # 2025: Jan 10 + Nov 7 (+ Dec 8)
    assert out["ytd_last_year"].tolist() == [10, 20, 10]
    # data begin 2024-11: the 2025 year to date has no complete 2024 baseline (不可比), 2026's has
    assert out["ytd_met"].tolist() == [None, None, True]
    assert out["ytd_comparable"].tolist() == [False, False, True] and out["comparable"].all()
    full = target_table(counts, "2025-11", "2026-01", "0.30", data_from="2024-01")  # zeros before are real
    assert full["ytd_met"].tolist() == [False, False, True]
