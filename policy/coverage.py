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


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA


def _is_false(value) -> bool:
    """Explicitly no (False/0); an unknown (None/NaN, 未填报) is not a no."""
    return _known(value) and not bool(value)


GOVERNANCE_GAPS = {  # label → test on one compound row (a dict or a pandas row); unknown is not a gap
    "无物业服务": lambda r: r["management_mode"] == NO_SERVICE,
    "无业主组织": lambda r: r["owners_body"] == NO_OWNERS_BODY,
    "无小区党支部": lambda r: _is_false(r["party_branch"]),
}


def governance_gaps(row) -> list[str]:
    """The governance gaps of one compound (no property service / owners' body / party branch)."""
    return [label for label, test in GOVERNANCE_GAPS.items() if test(row)]


@dataclass(frozen=True)
class Indicator:
    """``count`` of ``total`` compounds whose answer is known; ``unknown`` more were not reported
    (未填报) and are left out of the denominator."""

    key: str
    label: str
    count: int
    total: int
    target: Fraction | None = None
    unknown: int = 0

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.share is None:
            return None
        return self.share >= self.target


def _bool_column(frame: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    """(known mask, value as bool where known) of a yes/no column that may hold None/NaN."""
    col = frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)
    known = col.notna()
    return known, known & col.where(known, False).astype(bool)


def coverage(compounds: pd.DataFrame, *, party_target: Fraction = Fraction(4, 5),
             smart_target: Fraction = Fraction(1, 5)) -> dict[str, Indicator]:
    """Property-service coverage, owners' bodies, party branches, smart property, notice boards.

    Each share counts only compounds whose answer is known; the others are ``unknown``
    (未填报), never taken as "no".
    """
    n = len(compounds)

    def ind(key, label, known, hit, target=None) -> Indicator:
        k = int(known.sum()) if n else 0
        return Indicator(key, label, int((known & hit).sum()) if n else 0, k, target, n - k)

    mode = compounds["management_mode"]
    mode_known = mode.notna()
    body = compounds["owners_body"]
    body_known = body.notna()
    branch_known, branch = _bool_column(compounds, "party_branch")
    sec_known, secretary = _bool_column(compounds, "party_secretary_full_time")
    # Known: no branch (then no full-time secretary), or a branch whose secretary is known.
    party_known = branch_known & (~branch | sec_known)
    smart_known, smart = _bool_column(compounds, "smart_property")
    board_known, board = _bool_column(compounds, "notice_board")
    return {i.key: i for i in (
        ind("service", "物业服务覆盖", mode_known, mode != NO_SERVICE, Fraction(1)),
        ind("no_owners_body", "无业主组织小区", body_known, body == NO_OWNERS_BODY),
        ind("party_full_time", "党支部专职书记", party_known, branch & secretary, party_target),
        ind("smart", "智慧物业", smart_known, smart, smart_target),
        ind("notice_board", "三会三公开公示栏", board_known, board),
    )}
