"""错时停车方案 as a Word document laid out like a government paper, and as an Excel workbook.

Layout after GB/T 9704-2012 (党政机关公文格式) as far as python-docx allows:
A4, margins 3.7 / 3.5 / 2.8 / 2.6 cm, title in 小标宋 二号 centred, body in
仿宋 三号 with fixed 28-point lines and two-character first-line indents,
headings 一、 in 黑体 and （一） in 楷体, tables in 仿宋 五号, the issuing
township and the date (Arabic numerals) at the bottom right, the state
history as an attachment. Fonts fall back to what the reader's Word has.

Both exports read only the proposal's stored snapshot (``content``) and its
history, so they say what the proposal said when it was saved.
"""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
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


def _font(run, name: str = BODY_FONT, size: float = 16, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str = "", *, font: str = BODY_FONT, size: float = 16, bold: bool = False,
          align=None, indent: bool = True, fixed: bool = True):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if fixed:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    if text:
        _font(p.add_run(text), font, size, bold)
    return p


def _table(doc, frame: pd.DataFrame, widths_cm: list[float] | None = None) -> None:
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = ""
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(str(name)), H1_FONT, 10.5)
    for values in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = ""
            shown = "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
            if isinstance(shown, float):
                shown = f"{shown:.0f}" if shown.is_integer() else f"{shown:.1f}"
            p = cell.paragraphs[0]
            if not isinstance(value, str):
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(str(shown)), BODY_FONT, 10.5)
    if widths_cm:
        for row in table.rows:
            for cell, w in zip(row.cells, widths_cm):
                cell.width = Cm(w)


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


def proposal_docx(proposal: dict, *, when: date | datetime | None = None) -> bytes:
    """The proposal as a .docx government paper (see the module docstring)."""
    content = proposal.get("content") or {}
    totals = content.get("totals") or {}
    params = content.get("params") or {}
    township = content.get("township") or proposal.get("township") or ""
    night = params.get("night") or ["19:00", "07:30"]
    t = tables(proposal)

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    _para(doc, proposal.get("title") or f"{township}错时停车方案", font=TITLE_FONT, size=22,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, fixed=False)
    _para(doc, f"（{proposal.get('status') or '草稿'}）", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc)

    _para(doc, "一、基本情况", font=H1_FONT)
    _para(doc, BASIS)
    share = totals.get("share_met_pct")
    mean = totals.get("mean_walk_m")
    _para(doc, f"经摸排，{township}纳入本方案的停车位供需矛盾突出的住宅小区共 {totals.get('compounds', 0)} 个，"
               f"夜间停车缺口合计 {totals.get('shortage', 0)} 辆。本方案利用周边共享停车资源 "
               f"{totals.get('resources', 0)} 处，安排车辆 {totals.get('placed', 0)} 辆，"
               f"缺口满足率 {'—' if share is None else f'{share}%'}，"
               f"平均步行距离 {'—' if mean is None else f'{mean:.0f}'} 米；仍有 {totals.get('unplaced', 0)} 辆未能安排。")

    if content.get("warning"):  # never a figure computed from unknowns: say what is left out
        _para(doc, f"说明：{content['warning']}，未计入上述缺口与安排数字，须补填后重新测算。")

    _para(doc, "二、缺口小区", font=H1_FONT)
    _table(doc, t["小区缺口"].drop(columns=["社区"]))
    _para(doc)

    _para(doc, "三、共享停车资源及开放时段", font=H1_FONT)
    _para(doc, f"居民夜间停车时段按工作日 {night[0]} 至次日 {night[1]} 计，仅安排开放时段完整覆盖该时段的停车资源。")
    _table(doc, t["共享资源"].drop(columns=["状态"]))
    _para(doc)

    _para(doc, "四、车辆安排", font=H1_FONT)
    _para(doc, f"步行距离按直线距离乘以绕行系数 {params.get('detour', 1.3)} 计算，上限 "
               f"{params.get('walk_limit_m', 500)} 米；各停车资源安排车辆不超过其可共享车位。"
               "在安排车辆最多的前提下，使居民步行距离总和最短。")
    _table(doc, t["车辆安排"].drop(columns=["开放时段（工作日）"]))
    _para(doc)

    _para(doc, "五、需报县综合执法局审批的道路夜间临时泊位", font=H1_FONT)
    roads = t["道路泊位审批"]
    if len(roads):
        pending = totals.get("road_pending", 0)
        _para(doc, f"本方案使用周边道路夜间临时泊位 {len(roads)} 处、{totals.get('road_spaces', 0)} 个，"
                   f"其中 {pending} 处尚待县综合执法局审批同意后施划。")
        _table(doc, roads)
    else:
        _para(doc, "本方案未使用道路夜间临时泊位。")
    _para(doc)

    _para(doc, "六、工作要求", font=H1_FONT)
    for k, text in enumerate(REQUIREMENTS, start=1):
        _para(doc, f"（{'一二三四五六七八九十'[k - 1]}）{text}")
    _para(doc)
    _para(doc)
    _para(doc, issuer(township), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, date_cn(when or proposal.get("updated_at")), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)

    history = t["流转记录"]
    if len(history):
        doc.add_page_break()
        _para(doc, "附件", font=H1_FONT, indent=False)
        _para(doc, "方案流转记录", font=TITLE_FONT, size=18, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        history = history.assign(时间=history["时间"].map(
            lambda v: v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v or "")))
        _table(doc, history)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
