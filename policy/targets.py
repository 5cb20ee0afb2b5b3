"""Target tracking (目标进度): complaints against the same period last year and the −30 % goal.

沂水 2024 asks for property complaints to fall "30 % 以上" year on year (青州 2020
by the end of November); DOMAIN.md rule 6. 以上 is inclusive, so a fall of
exactly 30 % meets the goal. Changes are exact :class:`~fractions.Fraction`
values, never floats, so the comparison at the threshold is exact.

A month (or year to date) whose baseline months lie before the start of the
data (``data_from``) is 不可比: no change, no verdict, and a flag saying so —
never a rise from a baseline of zero.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from policy.ladders import comparable as _comparable, month_range, shift_month

__all__ = ["change", "meets_target", "TargetStatus", "target_status", "target_table"]


def change(current: int, baseline: int) -> Fraction | None:
    """(current − baseline) / baseline; None when there is no baseline (0)."""
    if baseline == 0:
        return None
    return Fraction(int(current) - int(baseline), int(baseline))


def _target(target) -> Fraction:
    t = Fraction(Decimal(str(target))) if not isinstance(target, Fraction) else target
    if not 0 <= t <= 1:
        raise ValueError("下降目标应在 0 到 1 之间（如 0.30）")
    return t


def meets_target(current: int, baseline: int, target="0.30") -> bool | None:
    """True when complaints fell by ``target`` or more (inclusive); None without a baseline."""
    c = change(current, baseline)
    return None if c is None else c <= -_target(target)


@dataclass(frozen=True)
class TargetStatus:
    """Where one period stands: counts, exact change, and whether the goal is met."""

    current: int
    baseline: int
    change: Fraction | None
    target: Fraction
    met: bool | None
    comparable: bool = True        # False: the baseline is incomplete (不可比)

    @property
    def change_pct(self) -> float | None:
        """For display only (the decision uses :attr:`change`)."""
        return None if self.change is None else float(self.change)

    @property
    def gap(self) -> int | None:
        """Complaints still to cut to meet the goal (0 when met)."""
        if self.baseline == 0 or not self.comparable:
            return None
        allowed = self.baseline * (1 - self.target)  # exact Fraction
        ceiling = int(allowed)  # the largest whole count still meeting the goal
        return max(0, self.current - ceiling)


def target_status(current: int, baseline: int, target="0.30", *, comparable: bool = True) -> TargetStatus:
    """Where ``current`` stands against ``baseline``; ``comparable=False`` (baseline incomplete)
    gives no change and no verdict."""
    t = _target(target)
    c = change(current, baseline) if comparable else None
    return TargetStatus(int(current), int(baseline), c, t, None if c is None else c <= -t, bool(comparable))


def target_table(monthly: Mapping[str, int] | pd.Series, first: str, last: str,
                 target="0.30", *, data_from: str | None = None) -> pd.DataFrame:
    """Month by month from ``first`` to ``last``: this year against the same months last year.

    ``monthly`` maps "YYYY-MM" → complaints and must hold the months a year
    earlier too (missing months count as zero). Year to date (累计) starts again
    each January. ``data_from``: the first month of complete data (default: the
    earliest month with complaints); a month is comparable when its year-earlier
    month is inside the data, year to date when last year's January is.

    Returns columns ``month``, ``complaints``, ``last_year``, ``change`` (float, NaN
    without a baseline or not comparable), ``met``, ``ytd``, ``ytd_last_year``,
    ``ytd_change``, ``ytd_met`` (``met``/``ytd_met`` are None without a comparable
    baseline), ``comparable`` and ``ytd_comparable``.
    """
    counts = {shift_month(k, 0): int(v) for k, v in dict(monthly).items()}
    if data_from is None:
        data_from = min((k for k, v in counts.items() if v), default=None)
    rows, ytd, ytd_before = [], 0, 0
    for month in month_range(first, last):
        if month.endswith("-01"):
            ytd = ytd_before = 0
        now, before = counts.get(month, 0), counts.get(shift_month(month, -12), 0)
        if not rows and not month.endswith("-01"):  # start mid-year: add the months before
            for m in month_range(f"{month[:4]}-01", shift_month(month, -1)):
                ytd += counts.get(m, 0)
                ytd_before += counts.get(shift_month(m, -12), 0)
        ytd += now
        ytd_before += before
        ok, ytd_ok = _comparable(month, data_from), _comparable(f"{month[:4]}-01", data_from)
        m_status = target_status(now, before, target, comparable=ok)
        y_status = target_status(ytd, ytd_before, target, comparable=ytd_ok)
        rows.append({
            "month": month, "complaints": now, "last_year": before,
            "change": m_status.change_pct if m_status.change is not None else float("nan"),
            "met": m_status.met, "ytd": ytd, "ytd_last_year": ytd_before,
            "ytd_change": y_status.change_pct if y_status.change is not None else float("nan"),
            "ytd_met": y_status.met, "comparable": ok, "ytd_comparable": ytd_ok,
        })
    return pd.DataFrame(rows, columns=["month", "complaints", "last_year", "change", "met", "ytd",
                                       "ytd_last_year", "ytd_change", "ytd_met", "comparable", "ytd_comparable"])
