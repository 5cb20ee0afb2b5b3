"""覆盖率指标: the coverage indicators of DOMAIN.md rule 11, from a frame of compounds.

Shares are exact fractions of the compounds given; a target is met when the
share is at or above it (以上, inclusive).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

NO_SERVICE = "无物业"
NO_OWNERS_BODY = "无"


GOVERNANCE_GAPS = {  # label → test on one compound row (a dict or a pandas row)
    "无物业服务": lambda r: r["management_mode"] == NO_SERVICE,
    "无业主组织": lambda r: r["owners_body"] == NO_OWNERS_BODY,
    "无小区党支部": lambda r: not bool(r["party_branch"]),
}


def governance_gaps(row) -> list[str]:
    """The governance gaps of one compound (no property service / owners' body / party branch)."""
    return [label for label, test in GOVERNANCE_GAPS.items() if test(row)]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    count: int
    total: int
    target: Fraction | None = None

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.share is None:
            return None
        return self.share >= self.target


def coverage(compounds: pd.DataFrame, *, party_target: Fraction = Fraction(4, 5),
             smart_target: Fraction = Fraction(1, 5)) -> dict[str, Indicator]:
    """Property-service coverage, owners' bodies, party branches, smart property, notice boards."""
    n = len(compounds)

    def count(mask) -> int:
        return int(mask.sum()) if n else 0

    served = compounds["management_mode"] != NO_SERVICE
    return {i.key: i for i in (
        Indicator("service", "物业服务覆盖", count(served), n, Fraction(1)),
        Indicator("no_owners_body", "无业主组织小区", count(compounds["owners_body"] == NO_OWNERS_BODY), n),
        Indicator("party_full_time", "党支部专职书记", count(compounds["party_branch"].astype(bool)
                                                        & compounds["party_secretary_full_time"].astype(bool)),
                  n, party_target),
        Indicator("smart", "智慧物业", count(compounds["smart_property"].astype(bool)), n, smart_target),
        Indicator("notice_board", "三会三公开公示栏", count(compounds["notice_board"].astype(bool)), n),
    )}
