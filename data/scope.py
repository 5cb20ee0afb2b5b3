"""Scope (jurisdiction) and period: the two arguments of every read.

A :class:`Scope` is the whole deployment, one city (``city``, a 6-digit adcode),
one county-level unit (``county``), one township, or one community inside a
township. Places nest 省 → 市 → 县（区、市） → 镇街 → 社区; a deployment holds one county
(the default, where the whole deployment *is* the county) or a city's or a
province's counties. Narrowing keeps every constraint of the wider scope, so a
township user who asks for a community of another township gets nothing rather
than somebody else's data. Widening raises :class:`ScopeError`: another township,
another county, another city, or a county outside the scope's city (adcodes nest:
a county's first four digits are its city's).

The SQL form of a scope lives in ONE place, :func:`data.queries.in_scope`.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta


class ScopeError(PermissionError):
    """A request to see outside the caller's jurisdiction."""


def _adcode(value, what: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) != 6 or not text.isdigit():
        raise ValueError(f"{what}的行政区划代码应为 6 位数字：{value!r}")
    return text


def in_city(county: str, city: str) -> bool:
    """True when the county-level adcode ``county`` lies in the city ``city`` (adcodes nest)."""
    return county[:4] == city[:4]


@dataclass(frozen=True)
class Scope:
    """管辖范围: all of ``township_id``, ``community_id``, ``county``, ``city`` None is the whole deployment.

    ``county``/``city`` are 6-digit adcodes. A township scope may keep its county and city
    (a county user narrowed to one township): every given constraint applies.
    """

    township_id: int | None = None
    community_id: int | None = None
    county: str | None = None
    city: str | None = None

    def __post_init__(self) -> None:
        if self.community_id is not None and self.township_id is None:
            raise ValueError("社区范围必须同时给出所属镇街")
        object.__setattr__(self, "county", _adcode(self.county, "县（区、市）"))
        object.__setattr__(self, "city", _adcode(self.city, "市"))
        if self.county is not None and self.city is not None and not in_city(self.county, self.city):
            raise ValueError(f"县（区、市）{self.county} 不属于市 {self.city}")

    @property
    def level(self) -> str:
        """community / township / county / city; the whole deployment is ``county`` (one county by default)."""
        if self.community_id is not None:
            return "community"
        if self.township_id is not None:
            return "township"
        if self.county is None and self.city is not None:
            return "city"
        return "county"

    def narrow(self, *, city: str | None = None, county: str | None = None,
               township_id: int | None = None, community_id: int | None = None) -> Scope:
        """Return a scope at most as wide as this one.

        Asking for another city, county or township than this scope's raises ScopeError
        (a county outside this scope's city too); asking for nothing more returns this
        scope unchanged.
        """
        ci = self.city
        if city is not None:
            city = _adcode(city, "市")
            if (ci is not None and city != ci) or (self.county is not None and not in_city(self.county, city)):
                raise ScopeError("无权查看其他市的数据")
            ci = city
        co = self.county
        if county is not None:
            county = _adcode(county, "县（区、市）")
            if co is not None and county != co:
                raise ScopeError("无权查看其他县（区、市）的数据")
            if ci is not None and not in_city(county, ci):
                raise ScopeError("无权查看其他市的县（区、市）的数据")
            co = county
        t = self.township_id
        if township_id is not None:
            if t is not None and township_id != t:
                raise ScopeError("无权查看其他镇街的数据")
            t = township_id
        c = self.community_id
        if community_id is not None:
            if c is not None and community_id != c:
                raise ScopeError("无权查看其他社区的数据")
            if t is None:
                raise ValueError("按社区筛选时需要先选择镇街")
            c = community_id
        return Scope(t, c, county=co, city=ci)

    def within(self, other: Scope) -> bool:
        """True when this scope keeps every constraint of ``other`` (is inside it, as far as ids tell)."""
        return all(getattr(other, f.name) is None or getattr(self, f.name) == getattr(other, f.name)
                   for f in fields(self))

    def args(self) -> tuple:
        """The scope as a plain tuple (cache keys); ``Scope(*scope.args())`` gives it back."""
        return (self.township_id, self.community_id, self.county, self.city)

    def key(self) -> str:
        """A stable string for cache keys and audit records, distinct per level."""
        tail = f"{self.township_id or '*'}/{self.community_id or '*'}"
        if self.county is None and self.city is None:
            return f"county/{tail}"  # one county: as before issue 17
        return f"city:{self.city or '*'}/county:{self.county or '*'}/{tail}"

    @classmethod
    def from_key(cls, key: str | None) -> Scope:
        """The scope of a :meth:`key` string (``county/*/*`` and the other forms it writes)."""
        parts = (key or "county/*/*").split("/")
        city = county = None
        if parts and parts[0].startswith("city:"):
            city = None if parts[0][5:] in ("*", "") else parts[0][5:]
            county = None if len(parts) < 2 or parts[1][7:] in ("*", "") else parts[1][7:]
            parts = parts[1:]
        t = None if len(parts) < 2 or parts[1] in ("*", "") else int(parts[1])
        c = None if len(parts) < 3 or parts[2] in ("*", "") else int(parts[2])
        return cls(t, c, county=county, city=city)


COUNTY = Scope()

DRILL_LEVELS = ("city", "county", "township", "community")


def drill_level(scope: Scope, *, cities: int, counties: int) -> str:
    """The places one level below ``scope`` (the overview's choropleth, what a map click drills into).

    ``cities``/``counties``: how many of each the scope holds. A level with only one
    place is skipped: a city deployment starts at its counties, a one-county
    deployment (the default) at its townships, as before issue 17.
    """
    if scope.township_id is not None:
        return "community"
    if scope.county is not None or counties <= 1:
        return "township"
    if scope.city is not None or cities <= 1:
        return "county"
    return "city"


@dataclass(frozen=True)
class Period:
    """统计期: ``[start, end)`` in dates; months are the usual unit."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("统计期的结束日期必须晚于开始日期")

    @classmethod
    def months(cls, first: str, last: str | None = None) -> Period:
        """The calendar months ``first``..``last`` inclusive, given as ``YYYY-MM``."""
        y1, m1 = _parse_month(first)
        y2, m2 = _parse_month(last or first)
        end_y, end_m = (y2 + 1, 1) if m2 == 12 else (y2, m2 + 1)
        return cls(date(y1, m1, 1), date(end_y, end_m, 1))

    @property
    def start_dt(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day)

    @property
    def end_dt(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day)

    def month_count(self) -> float:
        """Length in months (whole months count exactly; partial ones by days)."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        if self.start.day == 1 and self.end.day == 1:
            return float(months)
        return (self.end - self.start).days / 30.4375

    def shift_years(self, years: int) -> Period:
        """The same period ``years`` earlier (negative) or later, for year-on-year."""
        return Period(_shift(self.start, years), _shift(self.end, years))

    def last_month(self) -> Period:
        """The calendar month containing the period's last day."""
        last = self.end - timedelta(days=1)
        return Period.months(f"{last.year:04d}-{last.month:02d}")

    def label(self) -> str:
        last = self.end.replace(day=1) if self.end.day == 1 else self.end
        if self.end.day == 1:
            y, m = (last.year - 1, 12) if last.month == 1 else (last.year, last.month - 1)
        else:
            y, m = last.year, last.month
        first = f"{self.start.year:04d}-{self.start.month:02d}"
        final = f"{y:04d}-{m:02d}"
        return first if first == final else f"{first} 至 {final}"


# 统计期 presets, one click each in the sidebar; anchored on the latest month with data
PERIOD_PRESETS = ("this_month", "last_month", "this_quarter", "last_quarter", "last_12", "year_to_date",
                  "custom")


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def preset_months(preset: str, latest: str, *, earliest: str | None = None) -> tuple[str, str]:
    """``(first, last)`` months (``YYYY-MM``) of a preset, anchored on ``latest`` (the newest data month).

    本月 is ``latest``; 上月 the month before; 本季度 its quarter up to ``latest``;
    上季度 the whole quarter before; 近12个月 the twelve months to ``latest``; 本年累计
    January to ``latest``. ``earliest`` (the oldest data month) clips the start.
    ``custom`` has no range of its own (the caller's slider decides).
    """
    y, m = _parse_month(latest)
    quarter_start = (m - 1) // 3 * 3 + 1
    ranges = {
        "this_month": ((y, m), (y, m)),
        "last_month": (_month_add(y, m, -1), _month_add(y, m, -1)),
        "this_quarter": ((y, quarter_start), (y, m)),
        "last_quarter": (_month_add(y, quarter_start, -3), _month_add(y, quarter_start, -1)),
        "last_12": (_month_add(y, m, -11), (y, m)),
        "year_to_date": ((y, 1), (y, m)),
    }
    if preset not in ranges:
        raise ValueError(f"未知的统计期：{preset!r}")
    (fy, fm), (ly, lm) = ranges[preset]
    first, last = f"{fy:04d}-{fm:02d}", f"{ly:04d}-{lm:02d}"
    if earliest is not None:
        first, last = max(first, earliest), max(last, earliest)
    return first, last


def _parse_month(text: str) -> tuple[int, int]:
    try:
        y, m = text.strip().split("-")
        year, month = int(y), int(m)
    except (ValueError, AttributeError):
        raise ValueError(f"月份格式应为 YYYY-MM：{text!r}") from None
    if not 1 <= month <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM：{text!r}")
    return year, month


def _shift(d: date, years: int) -> date:
    day = min(d.day, calendar.monthrange(d.year + years, d.month)[1])
    return d.replace(year=d.year + years, day=day)
