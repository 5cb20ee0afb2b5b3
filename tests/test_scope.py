from datetime import date

import pytest

from data.privacy import mask_name, mask_phone
from data.scope import COUNTY, Period, Scope, ScopeError, drill_level


@pytest.mark.parametrize("base, ask, expected", [
    (COUNTY, {}, Scope()),
    (COUNTY, {"township_id": 3}, Scope(3)),
    (COUNTY, {"township_id": 3, "community_id": 7}, Scope(3, 7)),
    (Scope(3), {}, Scope(3)),
    (Scope(3), {"township_id": 3}, Scope(3)),
    (Scope(3), {"community_id": 7}, Scope(3, 7)),
    (Scope(3, 7), {"township_id": 3}, Scope(3, 7)),
])
def test_narrowing(base, ask, expected):
    assert base.narrow(**ask) == expected


@pytest.mark.parametrize("base, ask", [
    (Scope(3), {"township_id": 4}),
    (Scope(3, 7), {"community_id": 8}),
    (Scope(3, 7), {"township_id": 4}),
])
def test_widening_is_refused(base, ask):
    with pytest.raises(ScopeError):
        base.narrow(**ask)


def test_community_needs_township():
    with pytest.raises(ValueError):
        Scope(None, 7)


@pytest.mark.parametrize("first, last, start, end, months", [
    ("2026-10", None, date(2026, 10, 1), date(2026, 11, 1), 1),
    ("2025-11", "2026-02", date(2025, 11, 1), date(2026, 3, 1), 4),  # across a year end
    ("2026-12", "2026-12", date(2026, 12, 1), date(2027, 1, 1), 1),
])
def test_period_months(first, last, start, end, months):
    p = Period.months(first, last)
    assert (p.start, p.end, p.month_count()) == (start, end, months)


def test_period_helpers():
    p = Period.months("2025-11", "2026-02")
    assert p.last_month() == Period.months("2026-02")
    assert p.shift_years(-1) == Period.months("2024-11", "2025-02")
    assert p.label() == "2025-11 至 2026-02"
    assert Period.months("2024-02").shift_years(1).label() == "2025-02"


@pytest.mark.parametrize("bad", ["2026-13", "2026/10", "", "abc"])
def test_period_rejects_bad_months(bad):
    with pytest.raises(ValueError):
        Period.months(bad)


@pytest.mark.parametrize("phone, masked", [
    ("13812341234", "138****1234"),
    ("138 1234 1234", "138****1234"),
    ("+86 13812341234", "861****1234"),
    ("05377221234", "053****1234"),
    ("7221234", "72****34"),
    ("12345", "***45"),
    ("", ""),
    (None, None),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("name, masked", [
    ("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("李", "李*"), (None, None),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


# --------------------------------------------------------------------------- period presets
@pytest.mark.parametrize("preset, latest, expected", [
    ("this_month", "2026-10", ("2026-10", "2026-10")),
    ("last_month", "2026-10", ("2026-09", "2026-09")),
    ("last_month", "2026-01", ("2025-12", "2025-12")),  # across the year end
    ("this_quarter", "2026-10", ("2026-10", "2026-10")),
    ("this_quarter", "2026-12", ("2026-10", "2026-12")),
    ("last_quarter", "2026-10", ("2026-07", "2026-09")),
    ("last_quarter", "2026-02", ("2025-10", "2025-12")),
    ("last_12", "2026-10", ("2025-11", "2026-10")),
    ("last_12", "2026-12", ("2026-01", "2026-12")),
    ("year_to_date", "2026-10", ("2026-01", "2026-10")),
    ("year_to_date", "2026-01", ("2026-01", "2026-01")),
])
def test_period_presets(preset, latest, expected):
    from data.scope import preset_months

    assert preset_months(preset, latest) == expected


def test_period_presets_start_no_earlier_than_the_data():
    from data.scope import preset_months

    assert preset_months("last_12", "2024-05", earliest="2024-03") == ("2024-03", "2024-05")
    assert preset_months("last_month", "2024-03", earliest="2024-03") == ("2024-03", "2024-03")


def test_custom_has_no_range_of_its_own():
    from data.scope import preset_months

    with pytest.raises(ValueError):
        preset_months("custom", "2026-10")


# --------------------------------------------------------------------------- drill-down (issue 17)
@pytest.mark.parametrize("scope, cities, counties, level", [
    (Scope(), 16, 136, "city"),                                  # a province: its cities
    (Scope(), 1, 11, "county"),                                  # a city deployment: its counties
    (Scope(), 1, 1, "township"),                                 # one county (the default)
    (Scope(), 0, 0, "township"),                                 # one county whose outline is not recorded
    (Scope(city="370800"), 1, 11, "county"),                     # a city user, or a city drilled into
    (Scope(county="370828"), 1, 1, "township"),
    (Scope(city="370800", county="370828"), 1, 1, "township"),
    (Scope(3), 1, 1, "community"),
    (Scope(3, county="370828"), 1, 1, "community"),
    (Scope(3, 7), 1, 1, "community"),
])
def test_the_map_drills_one_level_below_the_scope(scope, cities, counties, level):
    assert drill_level(scope, cities=cities, counties=counties) == level
