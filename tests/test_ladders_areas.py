"""Townships judged within their county, every county in one call (issue 17: a province's 136 ladders).

``areas`` maps each township to its county. One call must give exactly what one call per county
gives: the largest rise and last place are the county's own, everything else is per township.
"""
from __future__ import annotations

import random

import pandas as pd
import pytest

from policy import ladders
from policy.ladders import (
    BASIS_COMPLAINTS, BASIS_NONE, BASIS_SCORE, EXECUTIVE_MEETING, PUBLIC_COMMITMENT, REMINDER,
    month_range, township_ladder, township_quarter_ladder,
)

FIRST, LAST = "2023-01", "2026-06"


def _counts(seed: int, towns_per_area: dict[str, int]) -> tuple[pd.DataFrame, dict[int, str]]:
    """Random monthly counts with many ties (small numbers) and gaps (months without a row)."""
    rng = random.Random(seed)
    rows, areas, t = [], {}, 0
    for area, n in towns_per_area.items():
        for _ in range(n):
            t += 1
            areas[t] = area
            base = rng.randint(0, 6)
            for m in month_range(FIRST, LAST):
                if rng.random() < 0.85:
                    rows.append((t, m, max(0, base + rng.randint(-3, 3))))
    return pd.DataFrame(rows, columns=["township_id", "month", "complaints"]), areas


def _per_area(ladder, counts, areas, **kw) -> pd.DataFrame:
    parts = []
    for area in sorted(set(areas.values())):
        mine = [t for t, a in areas.items() if a == area]
        own = {**kw}
        if kw.get("scores") is not None:
            own["scores"] = kw["scores"][kw["scores"]["township_id"].isin(mine)]
        parts.append(ladder(counts[counts["township_id"].isin(mine)], **own))
    return pd.concat(parts, ignore_index=True)


def _same(one: pd.DataFrame, each: pd.DataFrame) -> None:
    one = one.sort_values("township_id").reset_index(drop=True)
    each = each.sort_values("township_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(one, each, check_dtype=False)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("month", ["2024-01", "2024-06", "2025-03", "2026-06"])
def test_one_call_for_every_county_is_one_call_per_county(seed, month):
    counts, areas = _counts(seed, {"A": 5, "B": 1, "C": 7, "D": 3})
    kw = dict(month=month, data_from=FIRST)
    _same(township_ladder(counts, areas=areas, **kw), _per_area(township_ladder, counts, areas, **kw))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("quarter", ["2023-Q4", "2024-Q1", "2025-Q2", "2026-Q2"])
@pytest.mark.parametrize("scored_areas", [(), ("A",), ("A", "C", "D")])
def test_the_quarter_ladder_in_one_call_is_the_per_county_one(seed, quarter, scored_areas):
    counts, areas = _counts(seed, {"A": 4, "B": 1, "C": 6, "D": 3})
    rng = random.Random(seed)
    score_rows = [(t, q, float(rng.choice([70, 80, 80, 90])))
                  for t, a in areas.items() if a in scored_areas
                  for q in ("2025-Q1", "2025-Q2", "2026-Q1", "2026-Q2")]
    scores = pd.DataFrame(score_rows, columns=["township_id", "quarter", "score"])
    kw = dict(quarter=quarter, data_from=FIRST, scores=scores)
    _same(township_quarter_ladder(counts, areas=areas, **kw),
          _per_area(township_quarter_ladder, counts, areas, **kw))


def _rows(per_town: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """Each township's complaints a year earlier and now (2025-06 → 2026-06), flat otherwise."""
    rows = []
    for t, (before, now) in per_town.items():
        for m in month_range("2025-01", "2026-06"):
            rows.append((t, m, now if m >= "2026-05" else before))
    return pd.DataFrame(rows, columns=["township_id", "month", "complaints"])


@pytest.mark.parametrize("areas, committed", [
    (None, {2}),                              # one county: only the largest rise of all (+9)
    ({1: "甲县", 2: "乙县", 3: "乙县"}, {1, 2}),  # each county its own largest rise: +4 in 甲县, +9 in 乙县
    ({1: "甲县", 2: "甲县", 3: "乙县"}, {2, 3}),
])
def test_the_largest_rise_is_each_countys_own(areas, committed):
    counts = _rows({1: (5, 9), 2: (5, 14), 3: (5, 7)})  # rises 2026-05 and 2026-06: +4, +9, +2
    out = township_ladder(counts, "2026-06", data_from="2025-01", areas=areas).set_index("township_id")
    assert {t for t in out.index if PUBLIC_COMMITMENT in out.loc[t, "actions"]} == committed
    assert all(REMINDER in a for a in out["actions"])  # every rise is reminded, whatever the county


@pytest.mark.parametrize("scores, last, basis", [
    ({}, {1: False, 2: True, 3: True}, {1: BASIS_COMPLAINTS, 2: BASIS_COMPLAINTS, 3: BASIS_COMPLAINTS}),
    ({1: 70.0, 2: 90.0}, {1: True, 2: False, 3: True}, {1: BASIS_SCORE, 2: BASIS_SCORE, 3: BASIS_COMPLAINTS}),
    ({1: 80.0, 2: 80.0}, {1: False, 2: False, 3: True}, {1: BASIS_SCORE, 2: BASIS_SCORE, 3: BASIS_COMPLAINTS}),
])
def test_last_place_is_each_countys_own_on_its_own_basis(scores, last, basis):
    # 甲县 = townships 1, 2 (2 rose more); 乙县 = 3 and 4 (3 rose, 4 did not)
    counts = _rows({1: (5, 6), 2: (5, 12), 3: (5, 8), 4: (5, 5)})
    areas = {1: "甲县", 2: "甲县", 3: "乙县", 4: "乙县"}
    sc = pd.DataFrame([(t, "2026-Q2", s) for t, s in scores.items()], columns=["township_id", "quarter", "score"])
    out = township_quarter_ladder(counts, "2026-Q2", data_from="2025-01", scores=sc, areas=areas)
    out = out.set_index("township_id")
    assert {t: bool(out.loc[t, "last_place"]) for t in (1, 2, 3)} == last
    assert {t: out.loc[t, "basis"] for t in (1, 2, 3)} == basis
    assert not out.loc[4, "last_place"]
    assert all(out.loc[t, "action"] == EXECUTIVE_MEETING for t, is_last in last.items() if is_last)


def test_a_quarter_without_a_comparable_year_has_nobody_last_in_any_unscored_county():
    counts = _rows({1: (5, 6), 2: (5, 12), 3: (5, 8)})
    sc = pd.DataFrame([(1, "2026-Q2", 60.0), (2, "2026-Q2", 70.0)], columns=["township_id", "quarter", "score"])
    out = township_quarter_ladder(counts, "2026-Q2", data_from="2025-06", scores=sc,
                                  areas={1: "甲县", 2: "甲县", 3: "乙县"}).set_index("township_id")
    assert out.loc[1, "last_place"] and not out.loc[2, "last_place"] and not out.loc[3, "last_place"]
    assert out.loc[3, "basis"] == BASIS_NONE


def test_the_townships_the_areas_do_not_know_are_judged_together():
    counts = _rows({1: (5, 9), 2: (5, 14), 3: (5, 7)})
    out = township_ladder(counts, "2026-06", data_from="2025-01", areas={1: "甲县"}).set_index("township_id")
    assert [PUBLIC_COMMITMENT in out.loc[t, "actions"] for t in (1, 2, 3)] == [True, True, False]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("top_n", [1, 3, 10])
@pytest.mark.parametrize("month", ["2023-01", "2024-07", "2026-06"])
def test_every_citys_list_in_one_call_is_the_per_city_list(seed, top_n, month):
    counts, areas = _counts(seed, {"济南市": 9, "枣庄市": 2, "济宁市": 14})
    counts = counts.rename(columns={"township_id": "project_id"})
    bare = {t for t in areas if t % 4 == 0}
    kw = dict(month=month, top_n=top_n, no_company=bare, replace_manager_months=2, replace_company_months=4)
    each = []
    for city in sorted(set(areas.values())):
        mine = counts[counts["project_id"].map(areas) == city]
        each.append(ladders.complaint_ladder(mine, **kw))
    one = ladders.complaint_ladder(counts, areas=areas, **kw)
    pd.testing.assert_frame_equal(one, pd.concat(each, ignore_index=True), check_dtype=False)


def test_a_citys_list_ranks_its_own_compounds_only():
    counts = pd.DataFrame([(1, "2026-06", 9), (2, "2026-06", 7), (3, "2026-06", 3), (4, "2026-06", 1)],
                          columns=["project_id", "month", "complaints"])
    one = ladders.complaint_ladder(counts, "2026-06", 1)
    assert one["project_id"].tolist() == [1]
    by_city = ladders.complaint_ladder(counts, "2026-06", 1, areas={1: "A", 2: "A", 3: "B", 4: "B"})
    assert by_city[["project_id", "rank"]].values.tolist() == [[1, 1], [3, 1]]


@pytest.mark.parametrize("scale", ["county", "city"])
def test_the_quarter_ladder_reads_the_months_counts_as_its_own(tmp_path, scale):
    """The overview and the register read the township counts once for both ladders."""
    from data import db
    from data.demo import build_demo
    from data.queries import complaint_months
    from data.queries import complaint_stats as cs
    from data.scope import COUNTY

    engine = db.make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    db.migrate(engine)
    if scale == "city":
        build_demo(engine, scale="city", seed=3, compounds_per_county=4, complaints_per_county=300)
    else:
        build_demo(engine, seed=3, compounds=60, complaints=3000)
    for month in complaint_months(engine)[-4:]:
        counts = cs.township_counts(engine, COUNTY, month)
        assert (counts[1] is None) == (scale == "county")
        quarter = ladders.last_complete_quarter(month)
        pd.testing.assert_frame_equal(cs.township_quarter_ranking(engine, COUNTY, quarter, counts=counts),
                                      cs.township_quarter_ranking(engine, COUNTY, quarter))
        pd.testing.assert_frame_equal(cs.township_ranking(engine, COUNTY, month, counts=counts),
                                      cs.township_ranking(engine, COUNTY, month))
