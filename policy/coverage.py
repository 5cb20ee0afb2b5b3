"""覆盖率指标: the coverage indicators of DOMAIN.md rule 11, from a frame of compounds.

Shares are exact fractions; a target is met when the share is at or above it
(以上, inclusive). Each indicator has its own base, as the seeds mean it:

* 专职专干率 (001 §3(1), ≥ 80 %): full-time secretaries among compounds that
  *have* a party branch — not among all compounds;
* 智慧物业 (002 §15, ≥ 20 %): 各镇街辖区内, so per township (:func:`coverage_by_township`);
* 业委会党员 (002: 业主委员会委员中要有 3 名以上党员): among compounds with an owners'
  committee, the committee has at least ``min_party_members`` party members;
* 三会三公开公示栏 (002: 设置标准统一的公开栏，实现全覆盖) and property service: full coverage.

Unknown is NULL (None/NaN), never 0 or "no": a compound with an unknown value
leaves the denominator and is counted in ``unknown`` (shown as 未填报).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pandas as pd

NO_SERVICE = "无物业"
NO_OWNERS_BODY = "无"
OWNERS_COMMITTEE = "业主委员会"


def _known(value) -> bool:
    """A value that was reported: not None / NaN / NA (未填报 is not a "no")."""
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA


GOVERNANCE_GAPS = {  # label → test on one compound row (a dict or a pandas row); unknown is not a gap
    "无物业服务": lambda r: r["management_mode"] == NO_SERVICE,
    "无业主组织": lambda r: r["owners_body"] == NO_OWNERS_BODY,
    "无小区党支部": lambda r: _known(r["party_branch"]) and not bool(r["party_branch"]),
}

KEYS = ("service", "no_owners_body", "party_full_time", "party_members", "smart", "notice_board")


def governance_gaps(row) -> list[str]:
    """The governance gaps of one compound (no property service / owners' body / party branch)."""
    return [label for label, test in GOVERNANCE_GAPS.items() if test(row)]


def fraction(value) -> Fraction:
    """A setting ("0.80", "1/3", 0.2) as an exact fraction."""
    if isinstance(value, Fraction):
        return value
    text = str(value).strip()
    return Fraction(text) if "/" in text else Fraction(Decimal(text))


@dataclass(frozen=True)
class Indicator:
    """``count`` of ``total`` compounds whose answer is known; ``unknown`` more were not reported
    (未填报) and are left out of the denominator."""

    key: str
    label: str
    count: int
    total: int                      # the base: compounds for which the indicator is known and applies
    target: Fraction | None = None
    unknown: int = 0                # compounds left out of ``total`` because a value is unknown (未填报)

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.share is None:
            return None
        return self.share >= self.target


def _flag(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(known mask, true mask) of a boolean column that may hold None/NaN."""
    known = series.map(_known).astype(bool)
    return known, known & series.where(known, False).astype(bool)


def coverage(compounds: pd.DataFrame, *, party_target=Fraction(4, 5), smart_target=Fraction(1, 5),
             min_party_members: int = 3) -> dict[str, Indicator]:
    """Property-service coverage, owners' bodies, party branches, committee party members,
    smart property and notice boards, each on its own base (see the module docstring)."""
    c = compounds
    mode_known = c["management_mode"].map(_known).astype(bool)
    served = mode_known & (c["management_mode"] != NO_SERVICE)
    body_known = c["owners_body"].map(_known).astype(bool)
    branch_known, branch = _flag(c["party_branch"])
    ft_known, full_time = _flag(c["party_secretary_full_time"])
    smart_known, smart = _flag(c["smart_property"])
    board_known, board = _flag(c["notice_board"])
    committee = body_known & (c["owners_body"] == OWNERS_COMMITTEE)
    members = pd.to_numeric(c.get("owners_committee_party_members", pd.Series(index=c.index, dtype=float)),
                            errors="coerce")
    members_known = members.notna()

    def n(mask) -> int:
        return int(mask.sum())

    return {i.key: i for i in (
        Indicator("service", "物业服务覆盖", n(served), n(mode_known), Fraction(1), n(~mode_known)),
        Indicator("no_owners_body", "无业主组织小区", n(body_known & (c["owners_body"] == NO_OWNERS_BODY)),
                  n(body_known), None, n(~body_known)),
        Indicator("party_full_time", "党支部专职专干率", n(branch & ft_known & full_time), n(branch & ft_known),
                  fraction(party_target), n(~branch_known) + n(branch & ~ft_known)),
        Indicator("party_members", f"业委会党员 {min_party_members} 名以上",
                  n(committee & members_known & (members >= min_party_members)), n(committee & members_known),
                  Fraction(1), n(committee & ~members_known)),
        Indicator("smart", "智慧物业", n(smart), n(smart_known), fraction(smart_target), n(~smart_known)),
        Indicator("notice_board", "三会三公开公示栏", n(board), n(board_known), Fraction(1), n(~board_known)),
    )}


COVERAGE_COLUMNS = ["township_id", "township", "compounds"] + [
    f"{k}_{part}" for k in KEYS for part in ("count", "total", "share", "met", "unknown")]


def coverage_by_township(compounds: pd.DataFrame, **targets) -> pd.DataFrame:
    """One row per township (``township_id``, ``township`` columns of ``compounds``) with every
    indicator's ``<key>_count``, ``_total``, ``_share`` (float, NaN without a base), ``_met``
    (None without a base) and ``_unknown``. 智慧物业 ≥ 20 % is judged here, township by township."""
    rows = []
    for (tid, name), group in compounds.groupby(["township_id", "township"], sort=True):
        row = {"township_id": tid, "township": name, "compounds": len(group)}
        for key, ind in coverage(group, **targets).items():
            row |= {f"{key}_count": ind.count, f"{key}_total": ind.total,
                    f"{key}_share": float(ind.share) if ind.share is not None else float("nan"),
                    f"{key}_met": ind.met, f"{key}_unknown": ind.unknown}
        rows.append(row)
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def townships_below(table: pd.DataFrame, key: str) -> list[str]:
    """Townships of a :func:`coverage_by_township` table that miss ``key``'s target."""
    return table.loc[table[f"{key}_met"].map(lambda v: v is False), "township"].tolist()
