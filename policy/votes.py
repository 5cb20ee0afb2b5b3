"""业主共同决定: the owners' vote on a matter, by Civil Code art. 278 counted per art. 1259.

A vote is valid (表决有效) when owners holding two thirds or more (三分之二以上,
inclusive) of the exclusive area AND two thirds or more of all owners take part.
An ordinary matter (一般事项: fees, hiring or dismissing the property company,
using maintenance funds, rules) passes with more than half (过半数, strictly)
of the participating area AND of the participating owners agreeing; a major
matter (重大事项: raising maintenance funds, rebuilding, changing the use of
common parts or using them commercially) needs three quarters or more (四分之三
以上, inclusive) of both.

Every comparison is done on exact fractions: areas may be given as numbers or
decimal strings ("8000.50"), floats are read as the decimal they print as, so
exactly 2/3 is never lost to binary rounding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = ["MATTERS", "VoteResult", "decide", "TWO_THIRDS", "HALF", "THREE_QUARTERS"]

MATTERS = {
    "ordinary": ("一般事项", "调整物业服务费、选聘和解聘物业服务企业、使用维修资金、制定和修改管理规约等"),
    "major": ("重大事项", "筹集维修资金、改建重建建筑物、改变共有部分用途或利用共有部分从事经营活动"),
}
TWO_THIRDS = Fraction(2, 3)
HALF = Fraction(1, 2)
THREE_QUARTERS = Fraction(3, 4)


@dataclass(frozen=True)
class VoteResult:
    """表决结果: validity, outcome and the reasons in Chinese (one per test, in order)."""

    matter: str
    valid: bool
    passed: bool
    reasons: list[str] = field(default_factory=list)
    participating_area_share: Fraction = Fraction(0)   # of the total exclusive area
    participating_owners_share: Fraction = Fraction(0)  # of all owners
    approving_area_share: Fraction = Fraction(0)       # of the participating area
    approving_owners_share: Fraction = Fraction(0)     # of the participating owners

    @property
    def verdict(self) -> str:
        """One plain-language sentence: 表决无效 / 表决通过 / 表决未通过."""
        label = MATTERS[self.matter][0]
        if not self.valid:
            return f"表决无效：参与表决的业主未达到专有部分面积和人数“双三分之二以上”，{label}不能据此作出决定。"
        if self.passed:
            rule = "均过半数" if self.matter == "ordinary" else "均达到四分之三以上"
            return f"表决通过：同意的专有部分面积和人数{rule}，{label}可以按表决结果执行。"
        rule = "过半数" if self.matter == "ordinary" else "四分之三以上"
        return f"表决未通过：同意的专有部分面积或人数未达到参与表决部分的{rule}。"


def _exact(value, what: str) -> Fraction:
    """A non-negative exact number from an int, Decimal, Fraction, float or decimal string."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}应为数字")
    if isinstance(value, (int, Fraction)):
        out = Fraction(value)
    elif isinstance(value, (float, Decimal, str)):
        text = str(value).strip().replace(",", "").replace("，", "")
        for unit in ("平方米", "㎡", "m²", "m2", "户", "人"):
            text = text.removesuffix(unit)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what}“{value}”不是数字") from None
        if not number.is_finite():
            raise ValueError(f"{what}“{value}”不是数字")
        out = Fraction(number)
    else:
        raise ValueError(f"{what}应为数字，收到 {type(value).__name__}")
    if out < 0:
        raise ValueError(f"{what}不能为负数")
    return out


def _count(value, what: str) -> int:
    number = _exact(value, what)
    if number.denominator != 1:
        raise ValueError(f"{what}应为整数")
    return int(number)


def _pct(share: Fraction) -> str:
    return f"{float(share) * 100:.2f}%"


def _num(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):,.2f}"


def decide(matter: str, *, total_area, total_owners, participating_area, participating_owners,
           approving_area, approving_owners) -> VoteResult:
    """Decide an owners' vote exactly.

    Parameters
    ----------
    matter
        ``"ordinary"`` (一般事项) or ``"major"`` (重大事项).
    total_area, participating_area, approving_area
        Exclusive area (专有部分面积) in m²: numbers or decimal strings.
    total_owners, participating_owners, approving_owners
        Numbers of owners (whole numbers).

    Returns
    -------
    VoteResult
        ``valid`` (both participation shares ≥ 2/3), ``passed`` (False when not
        valid) and ``reasons`` (Chinese, one per test).

    Raises
    ------
    ValueError
        Unknown matter, a negative or non-numeric figure, zero totals, or a part
        larger than its whole (participating > total, approving > participating).
    """
    if matter not in MATTERS:
        raise ValueError(f"表决事项应为 ordinary（一般事项）或 major（重大事项），收到 {matter!r}")
    t_area = _exact(total_area, "专有部分总面积")
    p_area = _exact(participating_area, "参与表决专有部分面积")
    a_area = _exact(approving_area, "同意专有部分面积")
    t_own = _count(total_owners, "业主总人数")
    p_own = _count(participating_owners, "参与表决人数")
    a_own = _count(approving_owners, "同意人数")
    if t_area == 0 or t_own == 0:
        raise ValueError("专有部分总面积和业主总人数必须大于 0")
    if p_area > t_area or p_own > t_own:
        raise ValueError("参与表决的面积或人数不能超过总面积或总人数")
    if a_area > p_area or a_own > p_own:
        raise ValueError("同意的面积或人数不能超过参与表决的面积或人数")

    pa, po = p_area / t_area, Fraction(p_own, t_own)
    reasons = [
        f"参与表决专有部分面积 {_num(p_area)} ㎡ / 总面积 {_num(t_area)} ㎡ = {_pct(pa)}，"
        + ("达到三分之二以上" if pa >= TWO_THIRDS else "不足三分之二"),
        f"参与表决人数 {p_own} / 业主总人数 {t_own} = {_pct(po)}，"
        + ("达到三分之二以上" if po >= TWO_THIRDS else "不足三分之二"),
    ]
    valid = pa >= TWO_THIRDS and po >= TWO_THIRDS
    aa = a_area / p_area if p_area else Fraction(0)
    ao = Fraction(a_own, p_own) if p_own else Fraction(0)
    if not valid:
        reasons.append("参与表决未达到“双三分之二以上”，表决无效，不再计算同意比例")
        return VoteResult(matter, False, False, reasons, pa, po, aa, ao)

    if matter == "ordinary":
        area_ok, owners_ok = aa > HALF, ao > HALF
        met, short = "过半数", "未过半数（恰好一半不算过半数）"
    else:
        area_ok, owners_ok = aa >= THREE_QUARTERS, ao >= THREE_QUARTERS
        met, short = "达到四分之三以上", "不足四分之三"
    reasons.append(f"同意专有部分面积 {_num(a_area)} ㎡ / 参与表决面积 {_num(p_area)} ㎡ = {_pct(aa)}，"
                   + (met if area_ok else short))
    reasons.append(f"同意人数 {a_own} / 参与表决人数 {p_own} = {_pct(ao)}，" + (met if owners_ok else short))
    return VoteResult(matter, True, area_ok and owners_ok, reasons, pa, po, aa, ao)
