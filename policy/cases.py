"""执法联动案件的处置程序: the six steps of a joint enforcement case, as pure rules.

嘉祥县 (004 §4): 发现 → 拍照 → 制止 → 呈报 → 处理 → 结案 (discover, photograph,
stop, report, handle, close). Steps follow one another and none may be
skipped, with one fork: after 制止 a violation corrected on the spot closes
(结案), and only a refusal goes on to 呈报 (004: 对拒不改正的…呈报), then 处理 and
结案. 拍照 means photos are attached: :func:`check_advance` refuses it without
one (the data layer counts the case's photos). A unit that receives a case outside its duties notifies the right
unit at once (004 §3(4)): a transfer (移交), recorded beside the steps, which
changes the responsible department but not the step reached.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from policy.duties import DEFAULT_DUTIES, route

STEPS = ("发现", "拍照", "制止", "呈报", "处理", "结案")
TRANSFER = "移交"
CLOSED = STEPS[-1]
REPORT = "呈报"  # from here on the case report form (案件呈报表) is filled in
PHOTO = "拍照"
STOP = "制止"
# the steps that may follow each step (the first is the usual continuation)
FOLLOWS: dict[str | None, tuple[str, ...]] = {
    None: ("发现",), "发现": ("拍照",), "拍照": ("制止",),
    "制止": ("呈报", "结案"),    # refused → 呈报; corrected when stopped → 结案
    "呈报": ("处理",), "处理": ("结案",), "结案": (),
}


class StepError(ValueError):
    """A step that does not follow the procedure (Chinese message)."""


def next_steps(current: str | None) -> tuple[str, ...]:
    """The steps allowed after ``current`` (None → 发现; after 制止 → 呈报 or 结案; after 结案 → none)."""
    if current is not None and current not in STEPS:
        raise StepError(f"未知环节：{current}")
    return FOLLOWS[current]


def next_step(current: str | None) -> str | None:
    """The usual step after ``current`` (after 制止: 呈报; 结案 is also allowed there)."""
    allowed = next_steps(current)
    return allowed[0] if allowed else None


def check_advance(current: str | None, target: str, *, photos: int | None = None) -> str:
    """Validate moving from ``current`` to ``target``; return ``target``.

    ``photos``: photos attached to the case so far; 拍照 needs at least one (None: not checked).
    Raises :class:`StepError` when ``target`` is unknown, repeats or goes back,
    skips a step, the case is already closed, or 拍照 has no photo.
    """
    if target == TRANSFER:
        raise StepError("移交不是处置环节，请使用“移交”操作")
    if target not in STEPS:
        raise StepError(f"未知环节：{target}（应为 {' → '.join(STEPS)} 之一）")
    allowed = next_steps(current)
    if not allowed:
        raise StepError("案件已结案，不能再办理环节")
    if target not in allowed:
        expected = "”或“".join(allowed)
        if current is not None and STEPS.index(target) <= STEPS.index(current):
            raise StepError(f"环节“{target}”已经办理，当前为“{current}”，下一环节应为“{expected}”")
        raise StepError(f"不能跳过环节：当前为“{current or '未立案'}”，下一环节应为“{expected}”")
    if target == PHOTO and photos is not None and photos < 1:
        raise StepError("拍照环节须先上传现场照片")
    return target


def check_sequence(steps) -> None:
    """Validate a whole history (step names in time order; transfers are ignored)."""
    current = None
    for s in steps:
        if s == TRANSFER:
            if current is None or current == CLOSED:
                raise StepError("移交只能发生在立案之后、结案之前")
            continue
        current = check_advance(current, s)


@dataclass(frozen=True)
class Transfer:
    from_department: str
    to_department: str
    reason: str


def check_transfer(current_step: str | None, from_department: str, to_department: str,
                   reason: str = "") -> Transfer:
    """A transfer to another unit: the case must be open and the unit must change."""
    to_department = (to_department or "").strip()
    if current_step is None:
        raise StepError("案件尚未立案，不能移交")
    if current_step == CLOSED:
        raise StepError("案件已结案，不能移交")
    if not to_department:
        raise StepError("请填写接收移交的单位")
    if to_department == from_department:
        raise StepError(f"案件已由“{from_department}”负责，无需移交")
    return Transfer(from_department, to_department,
                    reason.strip() or f"非本单位职责，已即时通知{to_department}")


def responsible_department(category: str, *, duties: Mapping[str, str] | None = None,
                           has_company: bool = True) -> str:
    """The department for a case of ``category`` from the duty matrix (one table with complaints)."""
    return route(category, duties=duties, has_company=has_company).department


def outside_duties(category: str, department: str, *, duties: Mapping[str, str] | None = None,
                   has_company: bool = True) -> str | None:
    """The right department when ``department`` is not responsible for ``category``, else None."""
    known = DEFAULT_DUTIES if duties is None else duties
    if category not in known:  # unknown category: no basis to say the unit is wrong
        return None
    right = responsible_department(category, duties=duties, has_company=has_company)
    return None if _same_unit(right, department) else right


def _same_unit(a: str, b: str) -> bool:
    # "金乡县综合行政执法局" and "综合行政执法局" are the same unit
    a, b = (a or "").strip(), (b or "").strip()
    return bool(a) and bool(b) and (a == b or a.endswith(b) or b.endswith(a))


def is_overdue(opened_at: datetime, closed_at: datetime | None, now: datetime, days: int) -> bool:
    """Open for ``days`` days or more (以上, inclusive) without being closed."""
    if closed_at is not None and closed_at <= now:
        return False
    return now - opened_at >= timedelta(days=days)
