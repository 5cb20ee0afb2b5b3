from fractions import Fraction

import pandas as pd
import pytest

from policy.coverage import coverage


def _frame(n, *, served=0, owners=0, party=0, smart=0):
    return pd.DataFrame({
        "management_mode": ["专业化物业"] * served + ["无物业"] * (n - served),
        "owners_body": ["业主委员会"] * owners + ["无"] * (n - owners),
        "party_branch": [True] * party + [False] * (n - party),
        "party_secretary_full_time": [True] * n,
        "smart_property": [True] * smart + [False] * (n - smart),
        "notice_board": [False] * n,
    })


@pytest.mark.parametrize("full_time, met", [(8, True), (7, False), (10, True)])
def test_party_branch_target_is_inclusive(full_time, met):
    # 10 compounds, all with a branch: the rate is full-time secretaries among the branches
    f = _frame(10, party=10).assign(party_secretary_full_time=[True] * full_time + [False] * (10 - full_time))
    c = coverage(f)["party_full_time"]
    assert c.share == Fraction(full_time, 10) and c.met is met


@pytest.mark.parametrize("smart, met", [(2, True), (1, False)])
def test_smart_property_target_is_inclusive(smart, met):
    assert coverage(_frame(10, smart=smart))["smart"].met is met


def test_service_coverage_must_be_full_and_owners_body_gaps_counted():
    c = coverage(_frame(5, served=4, owners=3))
    assert c["service"].count == 4 and c["service"].met is False
    assert c["no_owners_body"].count == 2 and c["no_owners_body"].met is None
    assert coverage(_frame(5, served=5))["service"].met is True


def test_empty_scope_has_no_share():
    c = coverage(_frame(0))
    assert c["service"].share is None and c["service"].met is None


@pytest.mark.parametrize("key, total, count, unknown", [
    ("service", 4, 3, 1),          # management mode unknown in one
    ("no_owners_body", 3, 1, 2),   # owners' body unknown in two: not counted as "无"
    ("party_full_time", 1, 1, 3),  # among branches; branch unknown, or secretary unknown
    ("smart", 4, 2, 1),
])
def test_unknowns_are_left_out_of_the_denominator(key, total, count, unknown):
    frame = pd.DataFrame({
        "management_mode": ["专业化物业", "专业化物业", "无物业", "业主自管", None],
        "owners_body": ["业主委员会", "无", None, "居委会代行", None],
        "party_branch": [True, True, False, None, None],
        "party_secretary_full_time": [True, None, None, None, None],
        "smart_property": [True, True, False, False, None],
        "notice_board": [None] * 5,
    })
    c = coverage(frame)[key]
    assert (c.total, c.count, c.unknown) == (total, count, unknown)
    assert coverage(frame)["notice_board"].share is None and coverage(frame)["notice_board"].unknown == 5


@pytest.mark.parametrize("branch, gap", [(False, True), (True, False), (None, False), (float("nan"), False)])
def test_an_unknown_party_branch_is_not_a_gap(branch, gap):
    from policy.coverage import governance_gaps

    row = {"management_mode": "专业化物业", "owners_body": None, "party_branch": branch}
    assert ("无小区党支部" in governance_gaps(row)) is gap and "无业主组织" not in governance_gaps(row)


# --------------------------------------------------------------------------- bases as the seeds mean them
from policy.coverage import coverage_by_township, townships_below  # noqa: E402


def test_full_time_rate_counts_among_compounds_with_a_branch():
    # 5 branches, all with full-time secretaries, out of 10 compounds: 100 %, met (not 50 %)
    f = _frame(10, party=5)
    c = coverage(f)["party_full_time"]
    assert (c.count, c.total, c.met) == (5, 5, True)


@pytest.mark.parametrize("full_time, met", [(4, True), (3, False), (5, True)])
def test_full_time_rate_threshold_among_branches(full_time, met):
    f = _frame(5, party=5).assign(party_secretary_full_time=[True] * full_time + [False] * (5 - full_time))
    c = coverage(f, party_target="0.80")["party_full_time"]
    assert c.share == Fraction(full_time, 5) and c.met is met


def test_unknowns_leave_the_denominator_and_are_counted():
    f = _frame(5, smart=1).astype(object)
    f.loc[[3, 4], "smart_property"] = None
    c = coverage(f)["smart"]
    assert (c.count, c.total, c.unknown) == (1, 3, 2) and c.share == Fraction(1, 3)


@pytest.mark.parametrize("members, ok", [(3, 1), (2, 0), (None, 0)])
def test_owners_committee_needs_three_party_members(members, ok):
    f = _frame(2, owners=1).assign(owners_committee_party_members=[members, 9])
    c = coverage(f, min_party_members=3)["party_members"]
    assert c.count == ok and c.total == (1 if members is not None else 0)
    assert c.unknown == (1 if members is None else 0)


def test_smart_property_is_judged_per_township():
    a = _frame(10, smart=10).assign(township_id=1, township="甲镇")
    b = _frame(10, smart=0).assign(township_id=2, township="乙镇")
    both = pd.concat([a, b], ignore_index=True)
    assert coverage(both)["smart"].met is True          # county-wide 50 %
    table = coverage_by_township(both, smart_target="0.20")
    assert townships_below(table, "smart") == ["乙镇"]   # but 乙镇 is at 0 %
    assert table.set_index("township").loc["甲镇", "smart_share"] == 1.0


@pytest.mark.parametrize("smart, met", [(2, True), (1, False)])
def test_smart_target_from_setting_text(smart, met):
    assert coverage(_frame(10, smart=smart), smart_target="0.20")["smart"].met is met


def test_notice_board_full_coverage():
    f = _frame(4).assign(notice_board=[True, True, True, False])
    assert coverage(f)["notice_board"].met is False
    assert coverage(f.assign(notice_board=True))["notice_board"].met is True


def test_per_township_figures_are_the_scope_rule_applied_to_each_township():
    """coverage_by_township sums the masks once per township; each row must be coverage() of that
    township's compounds alone, unknowns included (random frame, every column sometimes None)."""
    import random

    rng = random.Random(7)
    pick = lambda *values: rng.choice(values)  # noqa: E731
    rows = [{"township_id": t, "township": f"镇{t}",
             "management_mode": pick("专业化物业", "无物业", None), "owners_body": pick("业主委员会", "无", None),
             "party_branch": pick(True, False, None), "party_secretary_full_time": pick(True, False, None),
             "owners_committee_party_members": pick(0, 2, 3, 5, None), "smart_property": pick(True, False, None),
             "notice_board": pick(True, False, None)}
            for t in (1, 2, 3, 4) for _ in range(rng.randint(1, 40))]
    frame = pd.DataFrame(rows)
    table = coverage_by_township(frame, party_target="0.8", smart_target="0.2", min_party_members=3)
    assert list(table["township_id"]) == [1, 2, 3, 4]
    for row in table.itertuples():
        alone = coverage(frame[frame["township_id"] == row.township_id], party_target="0.8", smart_target="0.2",
                         min_party_members=3)
        assert row.compounds == (frame["township_id"] == row.township_id).sum()
        for key, ind in alone.items():
            assert (getattr(row, f"{key}_count"), getattr(row, f"{key}_total"), getattr(row, f"{key}_unknown"),
                    getattr(row, f"{key}_met")) == (ind.count, ind.total, ind.unknown, ind.met), key
