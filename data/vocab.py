"""Controlled vocabularies: the Chinese labels stored in the database.

One list per concept, in the order the UI shows them. Labels are the terms of
the county documents in ``shared/seeds`` so that exports read as the policy does.
"""
from __future__ import annotations

TOWNSHIP_KINDS = ("街道", "镇", "乡")

COMPOUND_CLASSES = ("商品房", "老旧小区", "回迁安置小区", "三无小区")

MANAGEMENT_MODES = (
    "专业化物业",
    "社区\u201c惠民\u201d物业兜底",
    "国有企业兜底",
    "业主自管",
    "单位自管",  # a work unit (机关、企事业单位) manages its own staff compound
    "无物业",
)
# Modes under which no property company serves the compound.
SELF_MANAGED_MODES = ("业主自管", "单位自管")
NO_PROPERTY_SERVICE = "无物业"

OWNERS_BODIES = ("业主委员会", "物业管理委员会", "居委会代行", "无")
NO_OWNERS_BODY = "无"

FEE_LEVELS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}

FEE_STATUSES = ("无", "成本已公开", "表决中", "已通过", "未通过", "降费评估中", "限期整改", "已降费", "启动退出程序")

COMPLAINT_STATUSES = ("办理中", "已办结", "退回")
COMPLAINT_CLOSED = "已办结"  # the one status that is not open
SATISFACTION = ("满意", "基本满意", "不满意")
MATCH_METHODS = ("坐标", "邻近", "地址", "未匹配")  # polygon / nearest point / name or address

PARKING_OWNER_KINDS = ("机关", "企业", "事业单位", "商业配建", "道路夜间临时泊位")

CASE_STEPS = ("发现", "拍照", "制止", "呈报", "处理", "结案")
CASE_TRANSFER = "移交"

CREDIT_GRADES_DEFAULT = ("AAA", "AA", "A", "B", "C")

ROLES = {
    "leader": "县领导/专班",
    "housing": "住建局",
    "township": "镇街",
    "community": "社区",
    "inspector": "检查人员",
    "admin": "管理员",
}
# issue 17: roles above the county, for a deployment holding a city's or a province's counties
CITY_ROLES = {
    "city_leader": "市专班",
    "city_housing": "市住建局",
}
ALL_ROLES = {**ROLES, **CITY_ROLES}

# Complaint categories as 12345 exports word them; the duty matrix (issue:
# complaints) maps each to a department.
COMPLAINT_CATEGORIES = (
    "物业服务",
    "物业收费",
    "停车管理",
    "电梯",
    "供水",
    "供暖",
    "供电",
    "燃气",
    "违法建设",
    "占用绿地",
    "消防通道",
    "电动车充电",
    "噪音扰民",
    "饲养宠物",
    "治安",
    "垃圾清运",
    "房屋质量",
    "维修资金",
    "装修",
    "人防工程",
)
