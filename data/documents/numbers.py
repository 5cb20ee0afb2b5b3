"""Numbers as people write them in a government paper: one helper for every document.

``num(500.0, "米")`` → ``500 米``; ``num(1268, "辆")`` → ``1,268 辆``;
``pct(0.242)`` → ``24.2%``; unknown (None, NaN) → ``未填报``, never 0.
Whole numbers lose their ``.0``; others keep at most ``decimals`` places with
trailing zeros dropped; thousands are grouped with commas, as statistics
bulletins do. Dates: ``date_cn`` → ``2026年10月31日`` (Arabic numerals,
GB/T 9704-2012 §7.3.5.2).
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

UNKNOWN = "未填报"


def _value(x) -> float | None:
    if x is None:
        return None
    if isinstance(x, (Fraction, Decimal)):
        return float(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def num(x, unit: str = "", *, decimals: int = 1, unknown: str = UNKNOWN, signed: bool = False) -> str:
    """``x`` with grouped thousands, no needless decimals, and ``unit`` after a space (米, 辆, 件)."""
    v = _value(x)
    if v is None:
        return unknown
    # half up, as people round (1.25 → 1.3), not Python's half to even
    rounded = float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    if rounded.is_integer():
        text = f"{int(rounded):,}"
    else:
        text = f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")
    if signed and v > 0:
        text = "+" + text
    if text in ("-0", "+0"):
        text = "0"
    return f"{text} {unit}" if unit else text


def pct(x, *, decimals: int = 1, unknown: str = UNKNOWN, signed: bool = False) -> str:
    """A share (0.242) as ``24.2%``; ``signed`` writes rises with ``+``."""
    v = _value(x)
    if v is None:
        return unknown
    return num(v * 100, decimals=decimals, signed=signed) + "%"


def date_cn(when: date | datetime | None) -> str:
    """``2026年3月5日``; None → blanks to fill in by hand."""
    if when is None:
        return "　　年　　月　　日"
    return f"{when.year}年{when.month}月{when.day}日"


def month_cn(month: str) -> str:
    """``2026-10`` → ``2026年10月``."""
    y, m = month.split("-")
    return f"{int(y)}年{int(m)}月"


def cn_ordinal(k: int) -> str:
    """1 → 一, 12 → 十二 (headings 一、二、…)."""
    digits = "零一二三四五六七八九"
    if k < 10:
        return digits[k]
    if k < 20:
        return "十" + (digits[k % 10] if k % 10 else "")
    return digits[k // 10] + "十" + (digits[k % 10] if k % 10 else "")
