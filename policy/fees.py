"""物业费动态调整: the fee-adjustment state machine and fee-reduction candidates
(金乡 §3(2), 沂水 §3(3); DOMAIN.md rule 7: fees go down as well as up, 能上能下).

States and the changes allowed between them::

    无 ──→ 成本已公开 ──→ 表决中 ──→ 已通过 / 未通过
     │         └──→ 无 (企业撤回调价申请)
     └──→ 降费评估中 ──→ 限期整改 ──→ 已降费 (整改期满重新评价仍不合格：降费管理)
                 │            ├──→ 启动退出程序 (仍不合格：镇街启动退出程序, 金乡 §5(2))
                 │            └──→ 无 (整改后评价合格)
                 └──→ 无 (服务质量评价合格，不降费)

    已通过 / 未通过 / 已降费 ──→ 成本已公开 (新一轮调价) or 降费评估中 (启动降费评估)

A fee-reduction review (降费评估中) may start from 无, 已通过, 未通过 or 已降费 —
whenever no raise procedure is under way. It may not start while costs are
disclosed or a vote is open: that procedure is concluded (or withdrawn) first,
so one compound never runs a raise and a reduction at the same time.

限期整改 (000 §5(2); 001: 限期不整改或整改不到位的，进行降费管理): a failed quality
evaluation first sets a rectification deadline; only at or after it does the
re-evaluation lead to a reduction or to the township's exit procedure
(:func:`check_rectification`); passing the re-evaluation may close it at any time.

Fee-reduction candidates (降费管理候选): black-listed projects, projects with
many complaints (a setting, per 100 households in the quarter) and projects
whose quality is below their price (质价不符: a score below the floor set for
their price), each with its reason.
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd

__all__ = [
    "STATUSES", "NONE", "TRANSITIONS", "TransitionError", "allowed_next", "check_transition",
    "status_after_vote", "reduction_candidates", "quality_floor", "ACTIVE", "RECTIFY", "EXIT",
    "check_rectification",
]

NONE = "无"
RECTIFY, EXIT = "限期整改", "启动退出程序"
STATUSES = ("无", "成本已公开", "表决中", "已通过", "未通过", "降费评估中", "限期整改", "已降费", "启动退出程序")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "无": ("成本已公开", "降费评估中"),
    "成本已公开": ("表决中", "无"),
    "表决中": ("已通过", "未通过"),
    "已通过": ("成本已公开", "降费评估中"),
    "未通过": ("成本已公开", "降费评估中"),
    "降费评估中": ("限期整改", "无"),
    "限期整改": ("已降费", "启动退出程序", "无"),
    "已降费": ("成本已公开", "降费评估中"),
    "启动退出程序": ("无",),
}
ACTIVE = ("成本已公开", "表决中", "降费评估中", "限期整改")  # a procedure under way
HINTS = {  # what each change means, for the page and the record
    ("成本已公开", "无"): "物业服务企业撤回调价申请",
    ("降费评估中", "无"): "服务质量评价合格，不降费",
    ("无", "降费评估中"): "启动服务质量评价，实行降费管理",
    ("降费评估中", "限期整改"): "服务质量评价不合格，限期整改，到期重新评价",
    ("限期整改", "已降费"): "整改期满重新评价仍不合格，实行降费",
    ("限期整改", "启动退出程序"): "整改期满重新评价仍不合格，由镇街启动退出程序",
    ("限期整改", "无"): "整改后重新评价合格",
    ("启动退出程序", "无"): "退出程序完成，由新物业服务企业接管",
}


class TransitionError(ValueError):
    """A status change the state machine does not allow; the message is for the user."""


def allowed_next(current: str) -> tuple[str, ...]:
    """The statuses a compound may move to from ``current``."""
    if current not in TRANSITIONS:
        raise TransitionError(f"未知的调价状态“{current}”（可用：{'、'.join(STATUSES)}）")
    return TRANSITIONS[current]


def check_transition(current: str, new: str) -> None:
    """Raise :class:`TransitionError` (Chinese) unless ``current → new`` is allowed."""
    nexts = allowed_next(current)
    if new not in TRANSITIONS:
        raise TransitionError(f"未知的调价状态“{new}”（可用：{'、'.join(STATUSES)}）")
    if new == current:
        raise TransitionError(f"状态未改变：当前已是“{current}”")
    if new not in nexts:
        options = "或".join(f"“{s}”" for s in nexts)
        why = ""
        if new == "降费评估中" and current in ("成本已公开", "表决中"):
            why = "调价程序进行中，须待表决结束或企业撤回申请后再启动降费评估；"
        elif new in ("已通过", "未通过") and current != "表决中":
            why = "只有“表决中”的事项才能确定表决结果；"
        elif new == "已降费" and current == "降费评估中":
            why = "评价不合格须先限期整改，到期重新评价仍不合格才降费；"
        elif new == "已降费" and current != "限期整改":
            why = "降费须先经服务质量评价（降费评估中）和限期整改；"
        elif new == "表决中" and current != "成本已公开":
            why = "表决前物业服务企业须先公开真实、完整的服务成本；"
        raise TransitionError(f"不能从“{current}”变为“{new}”：{why}“{current}”之后只能变为{options}")


def check_rectification(current: str, new: str, deadline, when) -> None:
    """Reduction or exit after 限期整改 only once the deadline has come (到期重新评价)."""
    if current == RECTIFY and new in ("已降费", EXIT) and deadline is not None and when.date() < deadline:
        raise TransitionError(f"整改期限为 {deadline:%Y-%m-%d}，期满重新评价后才能“{new}”")


def status_after_vote(vote) -> str:
    """已通过 or 未通过 for a :class:`policy.votes.VoteResult` (an invalid vote has not passed)."""
    return "已通过" if vote.passed else "未通过"


def quality_floor(price, floors) -> Decimal | None:
    """The minimum quarterly score a compound charging ``price`` should reach.

    ``floors`` is a list of ``(price from, minimum score)``; the highest price
    step not above ``price`` applies. None when no step applies.
    """
    if price is None or pd.isna(price):
        return None
    p = Decimal(str(price))
    best = None
    for start, minimum in sorted(((Decimal(str(a)), Decimal(str(b))) for a, b in floors)):
        if p >= start:
            best = minimum
    return best


def reduction_candidates(frame: pd.DataFrame, *, black_below, complaints_per_100_min,
                         quality_floors) -> pd.DataFrame:
    """Compounds to consider for fee reduction (降费管理), each with its reasons.

    Parameters
    ----------
    frame
        One row per compound: ``compound_id``, ``score`` (the quarter's evaluation,
        may be missing), ``complaints`` (in the quarter), ``households``, ``fee_price``.
    black_below
        The black-list line: scores strictly below it are on the black list.
    complaints_per_100_min
        Complaints per 100 households in the quarter at or above which a compound
        counts as having many complaints (业主投诉较多).
    quality_floors
        ``[(price from, minimum score), …]`` (see :func:`quality_floor`).

    Returns
    -------
    DataFrame
        ``compound_id``, ``black``, ``many_complaints``, ``below_price`` (bools),
        ``complaints_per_100`` and ``reasons`` (Chinese, joined by "；"), only for
        compounds with at least one reason.
    """
    cols = ["compound_id", "black", "many_complaints", "below_price", "complaints_per_100", "reasons"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    black_line = Decimal(str(black_below))
    many = Decimal(str(complaints_per_100_min))
    rows = []
    for r in frame.itertuples(index=False):
        reasons = []
        score = None if r.score is None or pd.isna(r.score) else Decimal(str(r.score))
        black = score is not None and score < black_line
        if black:
            reasons.append(f"列入黑榜（考评 {score} 分，低于 {black_line} 分）")
        per_100 = None
        households = int(r.households or 0) if not pd.isna(r.households) else 0
        if households > 0:
            per_100 = Decimal(int(r.complaints or 0)) * 100 / households
        many_c = per_100 is not None and per_100 >= many
        if many_c:
            reasons.append(f"业主投诉较多（本季度 {int(r.complaints)} 件，每百户 {per_100:.1f} 件，"
                           f"不低于 {many} 件）")
        floor = quality_floor(r.fee_price, quality_floors)
        below = score is not None and floor is not None and score < floor
        if below:
            reasons.append(f"质价不符（收费 {Decimal(str(r.fee_price)):.2f} 元/㎡·月，考评 {score} 分，"
                           f"低于该收费水平应达到的 {floor} 分）")
        if reasons:
            rows.append((r.compound_id, black, many_c, below,
                         None if per_100 is None else float(round(per_100, 2)), "；".join(reasons)))
    return pd.DataFrame(rows, columns=cols)
