"""The six-step case procedure (policy.cases): order, no skipping, transfers, duties, overdue."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from policy import cases as rules
from policy.cases import STEPS, StepError


@pytest.mark.parametrize("current,target", [(None, "发现"), *zip(STEPS, STEPS[1:]), ("制止", "结案")])
def test_each_step_follows_the_previous(current, target):
    assert rules.check_advance(current, target) == target


@pytest.mark.parametrize("steps, ok", [
    (["发现", "拍照", "制止", "结案"], True),                   # corrected when stopped: closes
    (["发现", "拍照", "制止", "呈报", "处理", "结案"], True),    # refused: reported, handled, closed
    (["发现", "拍照", "呈报"], False),                         # 呈报 only after 制止 (a refusal)
    (["发现", "拍照", "制止", "处理"], False),                  # 处理 only after 呈报
    (["发现", "拍照", "制止", "结案", "呈报"], False),
])
def test_corrected_violations_close_after_stopping(steps, ok):
    if ok:
        rules.check_sequence(steps)
    else:
        with pytest.raises(StepError):
            rules.check_sequence(steps)


@pytest.mark.parametrize("photos, ok", [(0, False), (1, True), (3, True), (None, True)])
def test_photo_step_needs_a_photo(photos, ok):
    if ok:
        assert rules.check_advance("发现", "拍照", photos=photos) == "拍照"
    else:
        with pytest.raises(StepError, match="照片"):
            rules.check_advance("发现", "拍照", photos=photos)


def test_next_steps_fork_after_stopping():
    assert rules.next_steps("制止") == ("呈报", "结案") and rules.next_steps("结案") == ()


@pytest.mark.parametrize("current,target,message", [
    (None, "拍照", "不能跳过环节"),
    ("发现", "制止", "不能跳过环节"),
    ("拍照", "呈报", "不能跳过环节"),
    ("制止", "处理", "不能跳过环节"),
    ("呈报", "呈报", "已经办理"),
    ("处理", "拍照", "已经办理"),
    ("结案", "结案", "已结案"),
    ("发现", "移交", "移交不是处置环节"),
    ("发现", "立案", "未知环节"),
])
def test_skipping_repeating_or_going_back_is_refused(current, target, message):
    with pytest.raises(StepError, match=message):
        rules.check_advance(current, target)


def test_whole_history_with_a_transfer():
    rules.check_sequence(["发现", "移交", "拍照", "制止", "呈报", "移交", "处理", "结案"])
    with pytest.raises(StepError):
        rules.check_sequence(["发现", "拍照", "呈报"])
    with pytest.raises(StepError, match="移交只能"):
        rules.check_sequence(["发现", "拍照", "制止", "呈报", "处理", "结案", "移交"])


def test_transfer_rules():
    t = rules.check_transfer("制止", "镇街", "综合行政执法局")
    assert (t.from_department, t.to_department) == ("镇街", "综合行政执法局")
    assert "综合行政执法局" in t.reason
    for step, to, message in (("结案", "公安局", "已结案"), (None, "公安局", "尚未立案"),
                              ("发现", "镇街", "无需移交"), ("发现", "  ", "请填写")):
        with pytest.raises(StepError, match=message):
            rules.check_transfer(step, "镇街", to)


def test_department_from_the_shared_duty_matrix():
    assert rules.responsible_department("违法建设") == "综合行政执法局"
    assert rules.responsible_department("电动车充电") == "消防救援大队"
    assert rules.responsible_department("物业服务", has_company=False) == "镇街"  # 所在镇街牵头 (000 §1(3)2)
    assert rules.responsible_department("维修资金", has_company=False) == "住房和城乡建设局"
    edited = {"违法建设": "自然资源和规划局"}
    assert rules.responsible_department("违法建设", duties=edited) == "自然资源和规划局"
    assert rules.outside_duties("违法建设", "公安局") == "综合行政执法局"
    assert rules.outside_duties("违法建设", "金乡县综合行政执法局") is None
    assert rules.outside_duties("一个新类别", "公安局") is None


@pytest.mark.parametrize("days_open,closed,overdue", [(29, False, False), (30, False, True), (45, True, False)])
def test_overdue_is_inclusive(days_open, closed, overdue):
    now = datetime(2026, 10, 31, 12)
    opened = now - timedelta(days=days_open)
    assert rules.is_overdue(opened, now - timedelta(days=1) if closed else None, now, 30) is overdue
