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


def _masks(c: pd.DataFrame, *, party_target, smart_target, min_party_members: int) -> list[tuple]:
    """Per indicator ``(key, label, target, count mask, total mask, unknown mask)`` over the rows of ``c``:
    the rule of each indicator once, summed over a whole scope or per township."""
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
    return [
        ("service", "物业服务覆盖", Fraction(1), served, mode_known, ~mode_known),
        ("no_owners_body", "无业主组织小区", None, body_known & (c["owners_body"] == NO_OWNERS_BODY), body_known,
         ~body_known),
        ("party_full_time", "党支部专职专干率", fraction(party_target), branch & ft_known & full_time,
         branch & ft_known, ~branch_known | (branch & ~ft_known)),
        ("party_members", f"业委会党员 {min_party_members} 名以上", Fraction(1),
         committee & members_known & (members >= min_party_members), committee & members_known,
         committee & ~members_known),
        ("smart", "智慧物业", fraction(smart_target), smart, smart_known, ~smart_known),
        ("notice_board", "三会三公开公示栏", Fraction(1), board, board_known, ~board_known),
    ]


def coverage(compounds: pd.DataFrame, *, party_target=Fraction(4, 5), smart_target=Fraction(1, 5),
             min_party_members: int = 3) -> dict[str, Indicator]:
    """Property-service coverage, owners' bodies, party branches, committee party members,
    smart property and notice boards, each on its own base (see the module docstring)."""
    parts = _masks(compounds, party_target=party_target, smart_target=smart_target,
                   min_party_members=min_party_members)
    return {key: Indicator(key, label, int(count.sum()), int(total.sum()), target, int(unknown.sum()))
            for key, label, target, count, total, unknown in parts}


COVERAGE_COLUMNS = ["township_id", "township", "compounds"] + [
    f"{k}_{part}" for k in KEYS for part in ("count", "total", "share", "met", "unknown")]


def coverage_by_township(compounds: pd.DataFrame, *, party_target=Fraction(4, 5), smart_target=Fraction(1, 5),
                         min_party_members: int = 3) -> pd.DataFrame:
    """One row per township (``township_id``, ``township`` columns of ``compounds``) with every
    indicator's ``<key>_count``, ``_total``, ``_share`` (float, NaN without a base), ``_met``
    (None without a base) and ``_unknown``. 智慧物业 ≥ 20 % is judged here, township by township.

    The masks are computed once and summed per township (a province's 1,100 townships one by one
    took seconds)."""
    if compounds.empty:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    parts = _masks(compounds, party_target=party_target, smart_target=smart_target,
                   min_party_members=min_party_members)
    keys = ["township_id", "township"]
    masks = pd.DataFrame({f"{key}_{what}": mask.astype(int) for key, _, _, *ms in parts
                          for what, mask in zip(("count", "total", "unknown"), ms)}, index=compounds.index)
    sums = masks.groupby([compounds[k] for k in keys], sort=True).sum()
    sizes = compounds.groupby(keys, sort=True).size()
    rows = []
    for (tid, name), totals in zip(sums.index, sums.itertuples(index=False)):
        row, values = {"township_id": tid, "township": name, "compounds": int(sizes[(tid, name)])}, \
            dict(zip(sums.columns, totals))
        for key, label, target, *_ in parts:
            ind = Indicator(key, label, int(values[f"{key}_count"]), int(values[f"{key}_total"]), target,
                            int(values[f"{key}_unknown"]))
            row |= {f"{key}_count": ind.count, f"{key}_total": ind.total,
                    f"{key}_share": float(ind.share) if ind.share is not None else float("nan"),
                    f"{key}_met": ind.met, f"{key}_unknown": ind.unknown}
        rows.append(row)
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def townships_below(table: pd.DataFrame, key: str) -> list[str]:
    """Townships of a :func:`coverage_by_township` table that miss ``key``'s target."""
    return table.loc[table[f"{key}_met"].map(lambda v: v is False), "township"].tolist()
