import pytest

from data.vocab import COMPLAINT_CATEGORIES
from policy.duties import (COUNTY_TASK_FORCE, DEFAULT_DUTIES, NO_COMPANY_DEPARTMENT, TOWNSHIP,
                           TOWNSHIP_JOINT_MEETING, route)


def test_every_demo_category_has_a_department():
    assert set(COMPLAINT_CATEGORIES) <= set(DEFAULT_DUTIES)


@pytest.mark.parametrize("category, kwargs, department", [
    ("电梯", {}, "市场监督管理局"),
    ("违法建设", {}, "综合行政执法局"),
    ("消防通道", {}, "消防救援大队"),
    ("维修资金", {}, "住房和城乡建设局"),
    ("物业服务", {}, TOWNSHIP),
    # no property company (000 §1(3)2, 004): the township leads, never 住建局 by default
    ("物业服务", {"has_company": False}, TOWNSHIP),
    ("停车管理", {"has_company": False}, TOWNSHIP),
    ("外星人", {"has_company": False}, TOWNSHIP),
    ("电梯", {"has_company": False}, "市场监督管理局"),            # a clear department keeps it
    ("维修资金", {"has_company": False}, "住房和城乡建设局"),
    ("违法建设", {"has_company": False}, "综合行政执法局"),
    ("物业服务", {"has_company": False, "duties": {"物业服务": "县物业管理专班"}}, "县物业管理专班"),
    ("电梯", {"departments": ["市场监督管理局", "住房和城乡建设局"]}, TOWNSHIP_JOINT_MEETING),
    ("电梯", {"departments": ["市场监督管理局", "市场监督管理局"]}, "市场监督管理局"),
    ("电梯", {"unresolved": True, "departments": ["a", "b"]}, COUNTY_TASK_FORCE),
    ("外星人", {}, TOWNSHIP),
    ("电梯", {"duties": {"电梯": "特检院"}}, "特检院"),
])
def test_route(category, kwargs, department):
    r = route(category, **kwargs)
    assert r.department == department and r.reason


def test_no_company_department_is_the_township():
    assert NO_COMPANY_DEPARTMENT == TOWNSHIP
