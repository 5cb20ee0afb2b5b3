"""职责分工: which department handles a complaint or enforcement case of a category.

From 000 §1(3)2, 004 §2 and 001 §2 (see DOMAIN.md "Routing by category"). The
matrix is data (an editable table, ``duty_rule``); ``DEFAULT_DUTIES`` seeds it.
One table serves complaint routing and joint enforcement alike.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOWNSHIP = "镇街"
TOWNSHIP_JOINT_MEETING = "镇街联席会议"
COUNTY_TASK_FORCE = "县物业管理专班"

# category (as 12345 exports word it) → responsible department
DEFAULT_DUTIES: dict[str, str] = {
    "物业服务": TOWNSHIP,                # caused by the property company: the township urges it
    "停车管理": TOWNSHIP,
    "物业收费": "市场监督管理局",          # pricing and public price display; standards: 发改局
    "收费标准": "发展和改革局",
    "电梯": "市场监督管理局",
    "供水": "供水企业",
    "供暖": "供热企业",
    "供电": "供电公司",
    "燃气": "燃气企业",
    "违法建设": "综合行政执法局",
    "改变外立面": "综合行政执法局",
    "改变房屋用途": "综合行政执法局",
    "占用绿地": "综合行政执法局",
    "规划问题": "自然资源和规划局",
    "消防通道": "消防救援大队",
    "电动车充电": "消防救援大队",
    "噪音扰民": "公安局",
    "饲养宠物": "公安局",
    "治安": "公安局",
    "垃圾清运": "综合行政执法局",
    "房屋质量": "住房和城乡建设局",
    "维修资金": "住房和城乡建设局",
    "装修": "住房和城乡建设局",
    "未验收交付": "住房和城乡建设局",
    "物业退出交接": "住房和城乡建设局",
    "招投标": "住房和城乡建设局",
    "人防工程": "人防办",
}

# A compound with no property company (000 §1(3)2: 无物业服务企业的，职责明确的事项由职能部门
# 处理，其他的由所在镇街牵头处理; 004: 街道…负责辖区内无物业管理小区的日常管理): matters with
# a clear department still go to it; everything else (物业服务, 停车管理, …) is led by the
# compound's own township — never handed to 住建局 just because there is no company.
NO_COMPANY_DEPARTMENT = TOWNSHIP


@dataclass(frozen=True)
class Routing:
    department: str
    reason: str


def route(category: str, *, duties: Mapping[str, str] | None = None, has_company: bool = True,
          departments: Iterable[str] = (), unresolved: bool = False) -> Routing:
    """The responsible department for ``category``, with the special cases in order:

    still unresolved after the township → county task force (专班); several
    departments involved → township joint meeting; in a compound with no property
    company, a category whose duty is the township's (物业服务, 停车管理) or unknown
    → the compound's township (所在镇街牵头), a category with a clear department → it;
    an unknown category → the township.
    """
    duties = DEFAULT_DUTIES if duties is None else duties
    if unresolved:
        return Routing(COUNTY_TASK_FORCE, "镇街协调后仍未解决，提交县专班")
    involved = {d for d in departments if d}
    if len(involved) > 1:
        return Routing(TOWNSHIP_JOINT_MEETING, "涉及多个部门，由镇街召开联席会议")
    if not has_company and duties.get(category, TOWNSHIP) == TOWNSHIP:
        return Routing(TOWNSHIP, "小区无物业服务企业，职责不明确的事项由所在镇街牵头处理")
    if category in duties:
        return Routing(duties[category], f"按职责分工：{category}")
    return Routing(TOWNSHIP, f"职责清单未列明“{category}”，由属地镇街负责")


# category names as 12345 systems export them → the product's categories (keys of DEFAULT_DUTIES).
# Seeds the editable table ``category_map``; a name that is already a product category needs no row.
DEFAULT_CATEGORY_MAP: dict[str, str] = {
    "物业管理": "物业服务", "物业服务质量": "物业服务", "物业纠纷": "物业服务", "物业问题": "物业服务",
    "小区管理": "物业服务", "公共设施维修": "物业服务",
    "停车难": "停车管理", "小区停车": "停车管理", "车位管理": "停车管理",
    "物业费": "物业收费", "物业收费问题": "物业收费", "收费问题": "物业收费", "停车收费": "物业收费",
    "收费标准问题": "收费标准",
    "电梯安全": "电梯", "电梯故障": "电梯", "电梯维保": "电梯", "特种设备安全": "电梯",
    "停水": "供水", "自来水": "供水", "供水问题": "供水", "二次供水": "供水",
    "供热": "供暖", "暖气": "供暖", "供暖问题": "供暖", "集中供热": "供暖",
    "停电": "供电", "电力": "供电", "供电问题": "供电",
    "燃气安全": "燃气", "天然气": "燃气", "燃气问题": "燃气",
    "违章搭建": "违法建设", "私搭乱建": "违法建设", "乱搭乱建": "违法建设", "违法建筑": "违法建设",
    "违建": "违法建设",
    "毁绿占绿": "占用绿地", "侵占绿地": "占用绿地", "毁坏绿地": "占用绿地",
    "改变房屋外立面": "改变外立面", "改变用途": "改变房屋用途",
    "消防安全": "消防通道", "消防通道堵塞": "消防通道", "占用消防通道": "消防通道",
    "飞线充电": "电动车充电", "电动车违规充电": "电动车充电",
    "社会生活噪声": "噪音扰民", "噪声扰民": "噪音扰民", "噪音污染": "噪音扰民", "噪声污染": "噪音扰民",
    "养犬": "饲养宠物", "不文明养犬": "饲养宠物", "宠物扰民": "饲养宠物",
    "治安问题": "治安", "社会治安": "治安", "打架斗殴": "治安",
    "垃圾": "垃圾清运", "生活垃圾": "垃圾清运", "环境卫生": "垃圾清运", "垃圾清理": "垃圾清运",
    "房屋质量问题": "房屋质量", "房屋漏水": "房屋质量", "房屋维修": "房屋质量",
    "维修基金": "维修资金", "专项维修资金": "维修资金", "住宅专项维修资金": "维修资金",
    "装饰装修": "装修", "违规装修": "装修",
    "物业交接": "物业退出交接", "物业撤离": "物业退出交接", "物业弃管": "物业退出交接",
    "人防": "人防工程", "人防设施": "人防工程",
}
