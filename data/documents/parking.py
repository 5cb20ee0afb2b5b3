"""错时停车方案 as a Word document an office can file, and as an Excel workbook.

The paper is laid out by ``data.documents.official`` (GB/T 9704-2012): the
township's 版头 and 发文字号 (kept per proposal, setting ``doc_parking_number``),
主送机关 (setting ``doc_parking_addressees``), the body in words with numbers as
people write them (上限 500 米), the assignments map, and the long tables —
resources with their contacts, assignments, compounds, the history — as
attachments. Contacts are full for a role that may reveal them (audited,
``data.documents.contacts``), masked for others.

Both exports read only the proposal's stored snapshot (``content``) and its
history, so they say what the proposal said when it was saved.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

BASIS = ("依据《关于进一步加强物业管理工作的实施意见》“探索建立停车资源共享协调机制”的要求："
         "停车位供需矛盾突出的住宅小区，其周边机关、企业、事业单位和商业配建停车场（库）、"
         "道路具备夜间等时段停车条件的，由镇街提出错时停车方案。")
REQUIREMENTS = (
    "各共享单位按本方案所列时段开放停车场（库），与小区业主委员会（物业管理委员会）或物业服务企业签订错时停车协议，明确车辆进出、安全管理和收费标准。",
    "错时停放车辆须在开放时段结束前驶离，服从共享单位管理；社区、物业服务企业做好车辆登记、引导和矛盾调处。",
    "周边道路夜间临时泊位经县综合执法局审批同意后方可施划、启用，未经审批的不得使用。",
    "镇街每季度对方案执行情况进行评估，根据停车需求变化及时调整。",
)

RESOURCE_HEADERS = {"name": "共享停车资源", "owner_kind": "产权单位类型", "hours": "开放时段（工作日）",
                    "weekend_hours": "开放时段（节假日）", "capacity": "可共享车位", "cars": "安排车辆",
                    "contact": "联系方式", "status": "状态"}
COMPOUND_HEADERS = {"name": "小区", "community": "社区", "households": "户数", "parking_spaces": "车位数",
                    "demand": "停车需求（辆）", "shortage": "停车缺口（辆）", "placed": "已安排（辆）",
                    "unplaced": "仍缺（辆）"}
ASSIGNMENT_HEADERS = {"compound": "小区", "resource": "安排至", "owner_kind": "产权单位类型",
                      "hours": "开放时段（工作日）", "cars": "车辆数", "walk_m": "步行距离（米）"}
ROAD_HEADERS = {"name": "道路夜间临时泊位", "capacity": "泊位数", "cars": "安排车辆", "hours": "时段（工作日）",
                "approval": "审批情况"}
HISTORY_HEADERS = {"at": "时间", "actor": "经办人", "from_status": "原状态", "to_status": "新状态", "note": "说明"}


def date_cn(when: date | datetime | None) -> str:
    """``2026年3月5日`` (Arabic numerals, as GB/T 9704-2012 writes dates)."""
    when = when or date.today()
    return f"{when.year}年{when.month}月{when.day}日"


def issuer(township: str) -> str:
    """The issuing body: ``金乡街道办事处``, ``胡集镇人民政府``."""
    if not township:
        return ""
    return f"{township}办事处" if township.endswith("街道") else f"{township}人民政府"


def _frame(rows: list[dict], headers: dict[str, str], *, number: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(headers))
    frame = frame.rename(columns=headers)
    if number:
        frame.insert(0, "序号", range(1, len(frame) + 1))
    return frame


def tables(proposal: dict) -> dict[str, pd.DataFrame]:
    """The proposal's tables with Chinese headers: 汇总, 小区缺口, 车辆安排, 共享资源, 道路泊位审批, 流转记录."""
    content = proposal.get("content") or {}
    totals = content.get("totals") or {}
    params = content.get("params") or {}
    night = params.get("night") or ["", ""]
    summary = pd.DataFrame({"项目": ["方案名称", "镇街", "状态", "缺口小区（个）", "停车缺口（辆）", "已安排（辆）",
                                   "仍缺（辆）", "缺口满足率", "平均步行距离（米）", "共享资源（处）",
                                   "需审批道路泊位（处）", "步行距离上限（米）", "绕行系数", "夜间停车时段"],
                            "内容": [proposal.get("title"), content.get("township"), proposal.get("status"),
                                   totals.get("compounds"), totals.get("shortage"), totals.get("placed"),
                                   totals.get("unplaced"),
                                   None if totals.get("share_met_pct") is None else f"{totals['share_met_pct']}%",
                                   totals.get("mean_walk_m"), totals.get("resources"), totals.get("road_pending"),
                                   params.get("walk_limit_m"), params.get("detour"),
                                   f"{night[0]}—次日{night[1]}"]})
    summary["内容"] = summary["内容"].map(lambda v: "" if v is None else str(v))
    history = proposal.get("history")
    if history is None:
        history = pd.DataFrame(columns=list(HISTORY_HEADERS))
    return {
        "汇总": summary,
        "小区缺口": _frame(content.get("compounds", []), COMPOUND_HEADERS),
        "车辆安排": _frame(content.get("assignments", []), ASSIGNMENT_HEADERS),
        "共享资源": _frame(content.get("resources", []), RESOURCE_HEADERS),
        "道路泊位审批": _frame(content.get("roads", []), ROAD_HEADERS),
        "流转记录": history[list(HISTORY_HEADERS)].rename(columns=HISTORY_HEADERS),
    }


def proposal_xlsx(proposal: dict, *, exported_by: str | None = None) -> bytes:
    """The proposal as .xlsx, one sheet per table of :func:`tables`."""
    from data.exporters import to_xlsx_bytes

    return to_xlsx_bytes(tables(proposal), exported_by=exported_by)


BODY_MAX_ROWS = 10  # a table longer than this goes to an attachment (GB/T 9704: body text, tables attached)


def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns as integers (500 not 500.0); the document layer groups thousands."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]) and out[c].dropna().map(float.is_integer).all():
            out[c] = out[c].astype("Int64")
    return out


def proposal_docx(proposal: dict, *, when: date | datetime | None = None, number: str | None = None,
                  addressees: list[str] | None = None, assignments_map: bytes | None = None,
                  contacts: dict | None = None, contacts_full: bool = False) -> bytes:
    """The proposal as a .docx government paper (``data.documents.official``).

    ``number`` 发文字号; ``addressees`` 主送机关 (default: the setting's default);
    ``assignments_map`` PNG of ``mapdata.parking_map``; ``contacts`` resource id → full
    contact for a role that may see them (else the snapshot's masked ones are printed).
    """
    from data.documents.numbers import num, pct
    from data.documents.official import OfficialDocument
    from data.settings import BY_KEY

    content = proposal.get("content") or {}
    totals = content.get("totals") or {}
    params = content.get("params") or {}
    township = content.get("township") or proposal.get("township") or ""
    night = params.get("night") or ["19:00", "07:30"]
    t = tables(proposal)
    if contacts:
        ids = [r.get("resource_id") for r in content.get("resources", [])]
        t["共享资源"]["联系方式"] = [contacts.get(i, c) for i, c in zip(ids, t["共享资源"]["联系方式"])]
    dated = when or proposal.get("updated_at") or date.today()
    dated = dated.date() if isinstance(dated, datetime) else dated
    doc = OfficialDocument(kind="parking", issuer=issuer(township), number=number,
                           title=proposal.get("title") or f"{township}错时停车方案", dated=dated,
                           addressees=list(addressees if addressees is not None
                                           else BY_KEY["doc_parking_addressees"].default),
                           # the state right under the title: a draft must not pass for a filed paper
                           subtitle=f"（{proposal.get('status') or '草稿'}）")

    share, mean = totals.get("share_met_pct"), totals.get("mean_walk_m")
    limit = params.get("walk_limit_m", 500)
    compounds, resources = t["小区缺口"].drop(columns=["社区"]), t["共享资源"].drop(columns=["状态"])
    assignments = t["车辆安排"].drop(columns=["开放时段（工作日）"])
    roads = t["道路泊位审批"]
    attached = {}
    for key, title, frame in (("resources", "共享停车资源及联系方式", resources),
                              ("assignments", "车辆安排明细", assignments),
                              ("compounds", "停车缺口小区明细", compounds),
                              ("roads", "需审批的道路夜间临时泊位", roads)):
        if len(frame) > BODY_MAX_ROWS or key in ("resources", "assignments"):
            attached[key] = doc.attach(title, _numbers(frame))

    def see(key: str) -> str:
        return f"（详见附件{attached[key]}）" if key in attached else "："

    doc.numbered(1, "基本情况")
    doc.para(BASIS)
    doc.para(f"经摸排，{township}纳入本方案的停车位供需矛盾突出的住宅小区共 {num(totals.get('compounds', 0), '个')}，"
             f"夜间停车缺口合计 {num(totals.get('shortage', 0), '辆')}。本方案利用周边共享停车资源 "
             f"{num(totals.get('resources', 0), '处')}，安排车辆 {num(totals.get('placed', 0), '辆')}，"
             f"缺口满足率 {'—' if share is None else pct(share / 100)}，"
             f"平均步行距离 {'—' if mean is None else num(mean, '米', decimals=0)}；"
             f"仍有 {num(totals.get('unplaced', 0), '辆')}未能安排。")
    if content.get("warning"):  # never a figure computed from unknowns: say what is left out
        doc.para(f"说明：{content['warning']}，未计入上述缺口与安排数字，须补填后重新测算。")
    doc.numbered(2, "缺口小区")
    doc.para(f"缺口小区 {num(len(compounds), '个')}{see('compounds')}")
    if "compounds" not in attached:
        doc.table(_numbers(compounds))
    doc.numbered(3, "共享停车资源及开放时段")
    doc.para(f"居民夜间停车时段按工作日 {night[0]} 至次日 {night[1]} 计，仅安排开放时段完整覆盖该时段的停车资源。"
             f"本方案使用共享停车资源 {num(len(resources), '处')}，可共享车位合计 "
             f"{num(pd.to_numeric(resources['可共享车位'], errors='coerce').sum(), '个')}，"
             f"各资源的开放时段和联系方式{see('resources')}")
    if not contacts_full:
        doc.note("注：联系方式已按导出人的角色隐去部分数字；完整联系方式由镇街或县住建局导出。")
    doc.numbered(4, "车辆安排")
    doc.para(f"步行距离按直线距离乘以绕行系数 {num(params.get('detour', 1.3), decimals=2)} 计算，上限 "
             f"{num(limit, '米')}；各停车资源安排车辆不超过其可共享车位。"
             f"在安排车辆最多的前提下，使居民步行距离总和最短。车辆安排见图1，明细{see('assignments')}")
    if assignments_map:
        doc.figure(assignments_map, f"{township}错时停车车辆安排示意图")
    doc.numbered(5, "需报县综合执法局审批的道路夜间临时泊位")
    if len(roads):
        pending = totals.get("road_pending", 0)
        doc.para(f"本方案使用周边道路夜间临时泊位 {num(len(roads), '处')}、{num(totals.get('road_spaces', 0), '个')}，"
                 f"其中 {num(pending, '处')}尚待县综合执法局审批同意后施划{see('roads')}")
        if "roads" not in attached:
            doc.table(_numbers(roads))
    else:
        doc.para("本方案未使用道路夜间临时泊位。")
    doc.numbered(6, "工作要求")
    for k, text in enumerate(REQUIREMENTS, start=1):
        doc.para(f"（{'一二三四五六七八九十'[k - 1]}）{text}")

    history = t["流转记录"]
    if len(history):
        history = history.assign(时间=history["时间"].map(
            lambda v: v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v or "")))
        doc.attach("方案流转记录", history)
    return doc.save()


def proposal_document(engine, scope, proposal_id: int, *, account=None, when: date | datetime | None = None,
                      routes=None) -> bytes:
    """The proposal as the user may file it: 文号 (kept per proposal), map, contacts by role (audited)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data import settings
    from data.documents import contacts as rules
    from data.documents.mapdata import parking_map
    from data.documents.maps import render
    from data.documents.numbering import number_for, township_short
    from data.queries.parking import proposal as read_proposal
    from data.schema import ParkingResource

    p = read_proposal(engine, scope, proposal_id)
    township = p.get("township") or ""
    ids = [r.get("resource_id") for r in (p.get("content") or {}).get("resources", [])]
    full = rules.reveal(engine, account, township_id=p["township_id"], target=f"parking_proposal:{proposal_id}",
                        fields=["parking_resource.contact"], reason="导出错时停车方案")
    contacts = None
    if full and ids:
        with Session(engine) as s:
            contacts = dict(s.execute(select(ParkingResource.id, ParkingResource.contact)
                                      .where(ParkingResource.id.in_(ids))).all())
    dated = when or p.get("updated_at")
    year = dated.year if dated else date.today().year
    actor = getattr(account, "username", None) if account is not None and account.can("edit_parking") else None
    number = number_for(engine, kind="parking", office=issuer(township), subject=f"parking:{proposal_id}",
                        pattern=settings.get(engine, "doc_parking_number"), year=year, actor=actor,
                        short=township_short(township), township=township)
    image = render(parking_map(engine, p, routes=routes), "png", dpi=200)
    return proposal_docx(p, when=dated, number=number, addressees=settings.get(engine, "doc_parking_addressees"),
                         assignments_map=image, contacts=contacts, contacts_full=full)
