"""Cell parsers: raw spreadsheet/attribute values → typed Python values.

Each parser takes one non-blank cell value (str, int, float, datetime, …) and
returns the typed value or raises :class:`Bad` with the reason in Chinese, the
way the error list shows it: ``第 5 行 户数：'三百' 不是整数``. Blank cells are
filtered out before (:func:`is_blank`): a blank cell never changes a field.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "Bad", "is_blank", "text", "code", "integer", "decimal", "year", "boolean", "choice",
    "fee_level", "phone", "coordinate", "YES", "NO",
]


class Bad(ValueError):
    """A cell value that cannot be used; ``str(exc)`` is the reason shown to the user."""


YES = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "已建", "已成立"})
NO = frozenset({"否", "无", "n", "no", "false", "0", "×", "✗", "未建", "未成立", "没有"})

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Units people type after numbers; stripped before parsing.
_UNITS = re.compile(r"(元/㎡·月|元/平方米·月|元/平方米/月|元/㎡/月|元/m2|元|万元|平方米|㎡|m2|m²|户|栋|幢|座|个|台|部|辆|人|年)$")


def is_blank(value) -> bool:
    """None, NaN, NaT and empty/whitespace-only text."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        import pandas as pd

        return bool(value is pd.NaT or (not isinstance(value, (str, bytes)) and pd.isna(value)))
    except (TypeError, ValueError):
        return False


def _plain(value) -> str:
    """Text of a cell; integral floats (Excel stores every number as float) lose '.0'."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value).strip()


def text(value, max_len: int | None = None) -> str:
    """Trimmed text, inner runs of whitespace collapsed; longer than ``max_len`` → Bad."""
    out = _WS.sub(" ", _plain(value)).strip()
    if max_len is not None and len(out) > max_len:
        raise Bad(f"超过 {max_len} 个字符")
    return out


def code(value, max_len: int | None = None) -> str:
    """An identifier (编码/代码): text with all whitespace removed."""
    out = _WS.sub("", _plain(value))
    if max_len is not None and len(out) > max_len:
        raise Bad(f"超过 {max_len} 个字符")
    return out


def _number_text(value) -> str:
    s = _plain(value).replace(",", "").replace("，", "").replace(" ", "")
    return _UNITS.sub("", s)


def integer(value, *, minimum: int | None = 0) -> int:
    """A whole number (``12``, ``12.0``, ``'1,200'``, ``'12户'``)."""
    if isinstance(value, bool):
        raise Bad("不是整数")
    if isinstance(value, int):
        out = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise Bad("不是整数")
        out = int(value)
    else:
        s = _number_text(value)
        if not _NUMBER.match(s) or (("." in s) and s.split(".", 1)[1].strip("0")):
            raise Bad("不是整数")
        out = int(Decimal(s))
    if minimum is not None and out < minimum:
        raise Bad("不能为负数" if minimum == 0 else f"不能小于 {minimum}")
    return out


def decimal(value, *, places: int = 2, digits: int = 14, scale: int | float = 1) -> Decimal:
    """A non-negative number rounded half-up to ``places`` decimals, fitting Numeric(digits, places).

    ``scale`` multiplies the value first (10000 for a header in 万㎡ or 万元).
    """
    if isinstance(value, bool):
        raise Bad("不是数字")
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise Bad("不是数字")
        number = Decimal(str(value))
    else:
        s = _number_text(value)
        if not _NUMBER.match(s):
            raise Bad("不是数字")
        try:
            number = Decimal(s)
        except InvalidOperation as exc:
            raise Bad("不是数字") from exc
    number = (number * Decimal(str(scale))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if number < 0:
        raise Bad("不能为负数")
    if number >= Decimal(10) ** (digits - places):
        raise Bad("数值过大")
    return number


def year(value) -> int:
    """A year built: 2005, '2005年', '2005-06', an Excel date."""
    latest = date.today().year + 1
    if isinstance(value, (datetime, date)):
        out = value.year
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        out = int(value)
    else:
        m = re.match(r"^\s*(\d{4})\s*(年.*|[-/.].*)?$", _plain(value))
        if not m:
            raise Bad("不是年份")
        out = int(m.group(1))
    if not 1900 <= out <= latest:
        raise Bad(f"不是有效年份（1900–{latest}）")
    return out


def boolean(value) -> bool:
    """是/否, 有/无, Y/N, 1/0, true/false (and ✓/×)."""
    if isinstance(value, bool):
        return value
    s = _plain(value).lower()
    if s in YES:
        return True
    if s in NO:
        return False
    raise Bad("不是 是/否（可填 是/否、有/无、Y/N、1/0、true/false）")


def _loose(s: str) -> str:
    return re.sub(r"[\s\"'“”‘’「」『』]", "", s)


def choice(value, allowed, aliases: dict[str, str] | None = None, what: str = "值") -> str:
    """One of ``allowed`` (quotes and spaces ignored, so 社区"惠民"物业兜底 matches)."""
    s = _plain(value)
    table = {_loose(a): a for a in allowed}
    for alias, target in (aliases or {}).items():
        table.setdefault(_loose(alias), target)
    found = table.get(_loose(s))
    if found is None:
        raise Bad(f"不是允许的{what}（可选：{'、'.join(allowed)}）")
    return found


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4,
              "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4}


def fee_level(value, labels: dict[int, str]) -> int:
    """政府指导价等级: 一级/1/1级/一 → 1 … 四级 → 4."""
    s = _plain(value).replace(" ", "")
    s = s.removesuffix("级").removesuffix("等")
    level = _CN_DIGITS.get(s)
    if level is None or level not in labels:
        raise Bad(f"不是允许的收费等级（可选：{'、'.join(labels.values())}）")
    return level


_PHONE = re.compile(r"^\+?[\d\-() ]{5,20}(转\d{1,6})?$")


def phone(value) -> str:
    """A phone number kept as text (an Excel number loses no digits except a leading 0)."""
    s = _plain(value)
    if not _PHONE.match(s) or len(s) > 20:
        raise Bad("不是有效的电话号码")
    return s


_DMS = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*[°度]\s*"  # degrees
    r"(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?"  # minutes
    r"(?:(\d+(?:\.\d+)?)\s*[\"″秒]\s*)?[EeNn东北]?\s*$"  # seconds, hemisphere
)


def coordinate(value) -> float:
    """A coordinate number: decimal degrees or metres, or degrees-minutes-seconds text."""
    if isinstance(value, bool):
        raise Bad("不是数字坐标")
    if isinstance(value, (int, float, Decimal)):
        out = float(value)
    else:
        s = _plain(value).replace(",", "").replace(" ", "")
        if _NUMBER.match(s):
            out = float(s)
        else:
            m = _DMS.match(_plain(value))
            if not m:
                raise Bad("不是数字坐标")
            d, mi, se = (float(g) if g else 0.0 for g in m.groups())
            if mi >= 60 or se >= 60:
                raise Bad("不是有效的度分秒坐标")
            out = d + mi / 60 + se / 3600
    if not math.isfinite(out):
        raise Bad("不是数字坐标")
    return out
