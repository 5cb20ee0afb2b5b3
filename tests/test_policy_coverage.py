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


@pytest.mark.parametrize("party, met", [(8, True), (7, False), (10, True)])
def test_party_branch_target_is_inclusive(party, met):
    c = coverage(_frame(10, party=party))["party_full_time"]
    assert c.share == Fraction(party, 10) and c.met is met


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
    ("party_full_time", 2, 1, 3),  # branch unknown, or branch yes and secretary unknown
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
