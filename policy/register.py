"""问责台账: the accountability register as pure rules — what a ladder or list owes, and its states.

The documents attach consequences to rankings (通报, 更换项目经理, 启动更换物业企业程序,
公开承诺, 集中谈话, 表态发言, 黑榜曝光, 限期整改 …); a county leader's question is
whether they were carried out. Every consequence becomes a :class:`Trigger`;
its :attr:`Trigger.key` (rule | action | subject | period) is unique, so the
same month computed again never owes twice (:func:`plan_sync`).

States: 待落实 → 已落实 (with evidence) or 逾期 (past the due date, still owed);
已撤销 with a reason — set automatically when a data correction removes the
trigger, and lifted again (back to 待落实) if a later correction restores it.
An item already carried out (已落实) is never withdrawn: what was done stays on
record.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from policy.ladders import ACTION_LABELS, quarter_months

__all__ = [
    "PENDING", "DONE", "OVERDUE", "WITHDRAWN", "STATES", "Trigger", "plan_sync", "SyncPlan",
    "period_end", "due_date", "effective_state", "check_change", "RegisterError", "RULES", "KINDS",
    "ACTION_WORDS", "AUTO_WITHDRAWN", "kind_of",
]

PENDING, DONE, OVERDUE, WITHDRAWN = "待落实", "已落实", "逾期", "已撤销"
STATES = (PENDING, DONE, OVERDUE, WITHDRAWN)
AUTO_WITHDRAWN = "数据更正后不再触发"  # the reason the sync writes; only these are lifted again

RULES = {
    "complaint_ladder": "月度投诉排名（沂水 §3(3)）",
    "township_ladder": "镇街诉求同比上升（沂水 §3(6)）",
    "quarter_ladder": "季度考核倒数（沂水 §3(6)）",
    "black_list": "季度红黑榜（沂水 §3(3)）",
    "company_blacklist": "企业黑名单（沂水 §3(3)）",
    "fee_rectification": "降费管理·限期整改（金乡 §5(2)）",
}

# consequence → the kind whose due-date setting applies (register_days_<kind>)
KINDS = {
    "notify": "notice", "reminder": "notice", "black_expose": "notice",
    "public_commitment": "statement", "collective_talk": "statement", "executive_meeting": "statement",
    "standing_committee": "statement",
    "replace_manager": "replace_manager", "township_supervise": "replace_manager",
    "replace_company": "replace_company", "township_takeover": "replace_company",
    "company_blacklist": "replace_company", "fee_rectification": "rectification",
}
ACTION_WORDS = ACTION_LABELS | {
    "black_expose": "黑榜项目媒体曝光",
    "company_blacklist": "列入企业黑名单，对其服务项目开展服务质量评价",
    "fee_rectification": "质价不符限期整改，到期重新评价",
}


class RegisterError(ValueError):
    """A state change the register does not allow (Chinese message)."""


def kind_of(action: str) -> str:
    return KINDS.get(action, "notice")


@dataclass(frozen=True)
class Trigger:
    """One consequence owed: who, by which rule and period, with the figures that triggered it."""

    rule: str
    action: str
    subject_kind: str            # compound / company / township / department / county
    subject_id: int | None
    subject_name: str
    period: str                  # "2026-10" or "2026-Q3"
    responsible_unit: str
    township_id: int | None = None
    figures: Mapping = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        subject = self.subject_id if self.subject_id is not None else self.subject_name
        return f"{self.rule}|{self.action}|{self.subject_kind}:{subject}|{self.period}"[:200]


def period_end(period: str) -> date:
    """The last day of a month ("2026-10") or quarter ("2026-Q4")."""
    if "Q" in period.upper():
        last = quarter_months(period)[-1]
    else:
        last = period
    y, m = (int(x) for x in last.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def due_date(period: str, days: int) -> date:
    """``days`` after the end of the triggering period."""
    return period_end(period) + timedelta(days=int(days))


def effective_state(state: str, due: date | None, today: date) -> str:
    """待落实 past its due date reads as 逾期."""
    if state == PENDING and due is not None and today > due:
        return OVERDUE
    return state


# who may move an item where: (from, to) → what the change needs
CHANGES = {
    (PENDING, DONE): "evidence", (OVERDUE, DONE): "evidence",
    (PENDING, WITHDRAWN): "reason", (OVERDUE, WITHDRAWN): "reason",
    (WITHDRAWN, PENDING): "reason", (DONE, PENDING): "reason",
}


def check_change(current: str, new: str, *, note: str | None = None, evidence: bool = False) -> None:
    """Validate a manual change: 已落实 needs evidence (a note or a file), 已撤销 and reopening a reason."""
    need = CHANGES.get((current, new))
    if need is None:
        raise RegisterError(f"台账事项不能从“{current}”改为“{new}”")
    if need == "evidence" and not (evidence or (note or "").strip()):
        raise RegisterError("登记“已落实”须填写落实情况或上传佐证材料")
    if need == "reason" and not (note or "").strip():
        raise RegisterError(f"改为“{new}”须填写原因")


@dataclass
class SyncPlan:
    create: list[Trigger]
    withdraw: list[str]      # keys of items whose trigger is gone
    restore: list[str]       # keys auto-withdrawn earlier whose trigger is back


def plan_sync(triggers: Iterable[Trigger], existing: Mapping[str, tuple[str, str | None]],
              recomputed: Iterable[tuple[str, str]]) -> SyncPlan:
    """What to change so the register matches ``triggers``.

    ``existing``: key → (state, reason) of stored items; ``recomputed``: the
    (rule, period) pairs this run computed — only their items may be withdrawn.
    """
    now = {t.key: t for t in triggers}
    scope = set(recomputed)
    create = [t for k, t in now.items() if k not in existing]
    withdraw, restore = [], []
    for key, (state, reason) in existing.items():
        rule, _, _, period = key.split("|", 3)
        if key in now:
            if state == WITHDRAWN and (reason or "").startswith(AUTO_WITHDRAWN):
                restore.append(key)
        elif (rule, period) in scope and state in (PENDING, OVERDUE):
            withdraw.append(key)
    return SyncPlan(create, sorted(withdraw), sorted(restore))
