"""Cell parsers: raw spreadsheet/attribute values → typed Python values.

Each parser takes one non-blank cell value (str, int, float, datetime, …) and
returns the typed value or raises :class:`Bad` with the reason in Chinese, the
way the error list shows it: ``第 5 行 户数：'三百' 不是整数``. Blank cells are
filtered out before (:func:`is_blank`): a blank cell never changes a field.
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "Bad", "is_blank", "text", "code", "integer", "decimal", "year", "year_is_approximate", "boolean", "choice",
    "fee_level", "phone", "coordinate", "lonlat_pair", "nfkc", "is_unknown", "UNKNOWN_WORDS", "YES", "NO",
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


def nfkc(s: str) -> str:
    """Full-width letters, digits, punctuation and spaces → half-width (Unicode NFKC), trimmed."""
    return unicodedata.normalize("NFKC", s).strip()


# Full-width ASCII (Ａ-Ｚ, ０-９ …) and the ideographic space; Chinese punctuation is kept in free text.
_FULL_WIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FULL_WIDTH_ALNUM.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FULL_WIDTH_ALNUM.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_FULL_WIDTH_ALNUM[0x3000] = 0x20


# Cells that say "not known" rather than a value: read as blank (NULL, 未填报), never as 0 or 否.
UNKNOWN_WORDS = frozenset({"/", "-", "--", "—", "——", "－", "\\", "不详", "未知", "未填", "未填报", "待定", "待统计",
                           "待核实", "暂缺", "空", "null", "none", "n/a", "na", "#n/a", "?", "？"})


def is_unknown(value) -> bool:
    """Blank, or a placeholder such as '/', '—', '不详', '待统计' (see :data:`UNKNOWN_WORDS`)."""
    return is_blank(value) or (isinstance(value, str) and nfkc(value).lower() in UNKNOWN_WORDS)


def _plain(value) -> str:
    """Text of a cell; integral floats (Excel stores every number as float) lose '.0'."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value).strip()


def _norm(value) -> str:
    """``_plain`` then NFKC: what numeric, code and choice parsers read."""
    return nfkc(_plain(value))


def text(value, max_len: int | None = None) -> str:
    """Trimmed text, inner runs of whitespace collapsed, full-width letters and digits made
    half-width (Chinese punctuation kept); longer than ``max_len`` → Bad."""
    out = _WS.sub(" ", _plain(value).translate(_FULL_WIDTH_ALNUM)).strip()
    if max_len is not None and len(out) > max_len:
        raise Bad(f"超过 {max_len} 个字符")
    return out


def code(value, max_len: int | None = None) -> str:
    """An identifier (编码/代码): text with all whitespace removed."""
    out = _WS.sub("", _norm(value))
    if max_len is not None and len(out) > max_len:
        raise Bad(f"超过 {max_len} 个字符")
    return out


def _number_text(value) -> str:
    s = _norm(value).replace(",", "").replace("，", "").replace(" ", "")
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


_CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DECADE = re.compile(r"^(?:上世纪|20世纪|二十世纪|本世纪|21世纪)?(\d{2}|\d{4}|[零〇一二三四五六七八九]十?)年代(初|初期|中|中期|末|末期|后期)?$")
_APPROX = re.compile(r"年代|左右|前后|以前|之前|以后|之后|^约|大约|\d{4}年?[-~至到]\d{4}")


def _decade(text: str) -> int | None:
    m = _DECADE.match(text)
    if not m:
        return None
    d = m.group(1)
    if d.isdigit():
        n = int(d)
    else:
        n = _CN_NUM[d[0]] * 10
    if n >= 1000:
        return n
    if text.startswith(("本世纪", "21世纪")):
        return 2000 + n
    return (1900 + n) if n >= 30 else (2000 + n)


def year(value) -> int:
    """A year built: 2005, '2005年', '2005.6', '2005年6月', '2005-06', an Excel date; an
    approximate '90年代' / '上世纪80年代末' → its first year (1990, 1980), '约2000年' /
    '2000年左右' / '1995-1998年' → the year named first (see :func:`year_is_approximate`)."""
    latest = date.today().year + 1
    if isinstance(value, (datetime, date)):
        out = value.year
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        out = int(value)
    elif isinstance(value, float) and 1900 <= value < latest + 1:  # 2005.6 typed as a number
        out = int(value)
    else:
        s = re.sub(r"\s+", "", _norm(value))
        out = _decade(s)
        if out is None:
            m = re.match(r"^(?:约|大约|大概)?(\d{4})(?:年.*|[-/.~至到].*|左右|前后|以前|之前|以后|之后)?$", s)
            if not m:
                raise Bad("不是年份（可填 2005、2005年、2005.6 或 90年代）")
            out = int(m.group(1))
    if not 1900 <= out <= latest:
        raise Bad(f"不是有效年份（1900–{latest}）")
    return out


def year_is_approximate(value) -> bool:
    """True for a year given as a decade or a range ('90年代', '约2000年', '1995-1998')."""
    if isinstance(value, (int, float, datetime, date)):
        return False
    return bool(_APPROX.search(re.sub(r"\s+", "", _norm(value))))


def boolean(value) -> bool:
    """是/否, 有/无, Y/N, 1/0, true/false (and ✓/×)."""
    if isinstance(value, bool):
        return value
    s = _norm(value).lower().replace(" ", "")
    if s in YES:
        return True
    if s in NO:
        return False
    raise Bad("不是 是/否（可填 是/否、有/无、Y/N、1/0、true/false）")


def _loose(s: str) -> str:
    return re.sub(r"[\s\"'“”‘’「」『』]", "", nfkc(s))


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
              "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}


def fee_level(value, labels: dict[int, str]) -> int:
    """政府指导价等级: 一级/1/1级/一 → 1 … 四级 → 4."""
    s = _norm(value).replace(" ", "")
    s = s.removesuffix("级").removesuffix("等")
    level = _CN_DIGITS.get(s)
    if level is None or level not in labels:
        raise Bad(f"不是允许的收费等级（可选：{'、'.join(labels.values())}）")
    return level


_PHONE = re.compile(r"^\+?[\d\-() ]{5,20}(转\d{1,6})?$")


def phone(value) -> str:
    """A phone number kept as text (an Excel number loses no digits except a leading 0)."""
    s = _norm(value)
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
        s = _norm(value).replace(",", "").replace(" ", "")
        if _NUMBER.match(s):
            out = float(s)
        else:
            m = _DMS.match(_plain(value)) or _DMS.match(_norm(value))
            if not m:
                raise Bad("不是数字坐标")
            d, mi, se = (float(g) if g else 0.0 for g in m.groups())
            if mi >= 60 or se >= 60:
                raise Bad("不是有效的度分秒坐标")
            out = d + mi / 60 + se / 3600
    if not math.isfinite(out):
        raise Bad("不是数字坐标")
    return out


# China: longitude 73–135 °E, latitude 18–54 °N (the two ranges do not overlap).
_LON_CN, _LAT_CN = (73.0, 135.5), (3.0, 54.0)
_PAIR_SPLIT = re.compile(r"\s*[,;、/|]\s*|\s+")


def lonlat_pair(value) -> tuple[float, float, bool]:
    """One 经纬度/坐标 cell → ``(lon, lat, swapped)``.

    Accepts '116.31,35.41', '35.41,116.31' (order detected: longitude is the number in
    73–135, latitude in 18–54), a full-width comma, '、', ';' or spaces between, and
    brackets around ('(116.31, 35.41)'). ``swapped`` is True when the cell had latitude first.
    """
    s = _norm(value).strip("()[]{}<> ")
    parts = [p for p in _PAIR_SPLIT.split(s) if p]
    if len(parts) != 2:
        raise Bad("不是“经度,纬度”形式的坐标（如 116.31,35.41）")
    try:
        a, b = coordinate(parts[0]), coordinate(parts[1])
    except Bad:
        raise Bad("不是“经度,纬度”形式的坐标（如 116.31,35.41）") from None

    def fits(x, r):
        return r[0] <= x <= r[1]

    if fits(a, _LON_CN) and fits(b, _LAT_CN):
        return a, b, False
    if fits(b, _LON_CN) and fits(a, _LAT_CN):
        return b, a, True
    raise Bad("经纬度不在中国范围内（经度 73–135，纬度 18–54）")
