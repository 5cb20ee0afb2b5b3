"""月度通报: the monthly briefing pack for the joint meeting, as a filed paper (.docx, and PDF).

One call, :func:`briefing_docx`, writes for a month and a scope what the
seeds make the centre of the work (000, 001, 004): the month's figures and the
progress to the −30 % target; the complaint heat map and the township
choropleth of year-on-year change; the township ladder with every
consequence; the top list with consecutive months and consequences; the
latest red and black lists and the company blacklist; the accountability
register when it exists; overdue enforcement cases, parking proposals in
progress and spot-check results. Figures come from the same queries as the
pages (``data.queries.overview`` and friends); long tables are attachments.

Deterministic: "now" is the end of the month (cases overdue by then, checks
due by then), the 成文日期 and core-property dates are that day, the 文号 is
kept per month and scope, and the maps and .docx carry no time stamps, so the
same month and data give the same bytes. A month whose year-earlier data is
incomplete says so, and its year-on-year figures are not read as rises or falls.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import audit, settings
from data.documents.mapdata import heat_map, is_synthetic, yoy_map
from data.documents.maps import render
from data.documents.numbering import number_for
from data.documents.numbers import month_cn, num, pct
from data.documents.official import OfficialDocument
from data.queries import complaint_months
from data.queries import cases as case_queries
from data.queries import evaluation as ev
from data.queries import inspection as insp
from data.queries import parking as pq
from data.queries.overview import overview
from data.schema import Township
from data.scope import Period, Scope
from policy import ladders, ratings

REGISTER_MODULE = "data.queries.register"


def consequences(value) -> list[str]:
    """Every consequence of a ladder row in words, whether the ladder gives one action or a list.

    ``policy.ladders`` is moving from one action per row to a list of consequences;
    reading through here keeps the briefing right either way.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    items = list(value) if isinstance(value, (list, tuple, set)) else [value]
    out = []
    for item in items:
        label = ladders.ACTION_LABELS.get(item, item) if isinstance(item, str) else getattr(item, "label", item)
        if label and str(label) not in ("无", ladders.NONE, ""):
            out.append(str(label))
    return out


def _joined(value) -> str:
    return "；".join(consequences(value)) or "—"


def month_end(month: str) -> date:
    y, m = (int(p) for p in month.split("-"))
    return (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


def year_earlier_gaps(engine: Engine, month: str) -> list[str]:
    """The months of last year's January..``month`` that have no complaint data."""
    have = set(complaint_months(engine))
    y, m = (int(p) for p in month.split("-"))
    return [f"{y - 1:04d}-{k:02d}" for k in range(1, m + 1) if f"{y - 1:04d}-{k:02d}" not in have]


def _scope_name(engine: Engine, scope: Scope) -> str:
    county = settings.get(engine, "county_name")
    if scope.township_id is None:
        return county
    with Session(engine) as s:
        return s.scalar(select(Township.name).where(Township.id == scope.township_id)) or county


def _register_section(doc, engine, scope, month) -> None:
    """责任落实台账: only when the register module exists (it is being built); else say so."""
    if importlib.util.find_spec(REGISTER_MODULE) is None:
        doc.para("问责事项台账尚未建立，本期不作通报。")
        return
    module = importlib.import_module(REGISTER_MODULE)
    summary = getattr(module, "briefing_summary", None) or getattr(module, "summary", None)
    if summary is None:
        doc.para("问责事项台账已建立，本期暂无可汇总的事项。")
        return
    table = summary(engine, scope, month, today=month_end(month))
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    if {"应落实", "已落实", "逾期"} <= set(frame.columns):
        owed, done, overdue = (int(frame[c].sum()) for c in ("应落实", "已落实", "逾期"))
        doc.para(f"截至{month_cn(month)}末，各项排名、榜单和考核触发的问责事项应落实 {num(owed, '项')}，"
                 f"已落实 {num(done, '项')}，逾期未落实 {num(overdue, '项')}"
                 f"（分镇街情况见附件{doc.attach('问责事项落实情况（分镇街）', frame)}）。")
        return
    doc.para(f"问责事项台账本期共 {num(len(frame), '项')}（明细见附件{doc.attach('问责事项台账', frame)}）。")


@dataclass
class Briefing:
    docx: bytes
    number: str | None
    title: str
    gaps: list[str]


def briefing_docx(engine: Engine, scope: Scope, month: str, *, actor=None, dated: date | None = None,
                  log: bool = True) -> Briefing:
    """The briefing of ``month`` (YYYY-MM) for ``scope``; audited as an export when ``log``.

    ``actor``: an Account or a CLI name; it takes the 文号 (once per month and scope) and is logged.
    """
    ladders.shift_month(month, 0)  # a clear error for a malformed month
    year = int(month[:4])
    end = month_end(month)
    dated = dated or end
    as_of = datetime(end.year, end.month, end.day, 23, 59, 59)
    period = Period.months(f"{year:04d}-01", month)
    ov = overview(engine, scope, period)
    synthetic = is_synthetic(engine)
    place = _scope_name(engine, scope)
    gaps = year_earlier_gaps(engine, month)
    top_n = int(settings.get(engine, "ranking_top_n"))
    county = str(settings.get(engine, "county_name"))  # the county of the data, never a literal
    issuer = str(settings.get(engine, "doc_briefing_issuer")).replace("{county}", county)
    actor_name = getattr(actor, "username", actor)
    pattern = str(settings.get(engine, "doc_briefing_number")).replace("{county1}", county[:1])
    number = number_for(engine, kind="briefing", office=issuer, subject=f"briefing:{month}:{scope.key()}",
                        pattern=pattern, year=end.year, actor=actor_name)
    title = f"关于{month_cn(month)}{place}物业管理工作情况的通报"
    doc = OfficialDocument(kind="briefing", issuer=issuer, title=title, dated=dated, number=number,
                           addressees=list(settings.get(engine, "doc_briefing_addressees")),
                           subtitle="（演示数据（合成），不作正式发文）" if synthetic else None)
    doc.para(f"根据物业管理联席会议制度，现将{month_cn(month)}{place}物业管理投诉、问责、考评和执法联动情况通报如下。")

    # 一、总体情况与目标进度 ------------------------------------------------------------
    doc.numbered(1, "总体情况和目标进度")
    tg = ov.target
    goal = pct(float(tg.target), decimals=0)
    before = ov.month_last_year
    month_gap = f"{year - 1:04d}{month[4:]}" in gaps
    if month_gap:
        yoy = "上年同月无数据，不作同比"
    elif before:
        yoy = f"上年同月 {num(before, '件')}，同比{'上升' if ov.month_complaints > before else '下降'} " \
              f"{pct(abs(ov.month_complaints - before) / before)}"
    else:
        yoy = "上年同月为 0 件"
    doc.para(f"{month_cn(month)}，{place}受理物业类诉求 {num(ov.month_complaints, '件')}，{yoy}。")
    if tg.change is None or gaps:
        ytd = (f"1—{int(month[5:])}月累计 {num(tg.current, '件')}；上年同期数据不完整"
               f"（缺 {'、'.join(month_cn(g) for g in gaps)} 共 {num(len(gaps), '个')}月），"
               f"同比目标进度暂不评价，上升或下降均不计。") if gaps else \
              f"1—{int(month[5:])}月累计 {num(tg.current, '件')}，上年同期无数据，目标进度暂不评价。"
    else:
        state = "已达到" if tg.met else f"距目标还差 {num(tg.gap, '件')}"
        way = "下降" if tg.change < 0 else "上升"
        ytd = (f"1—{int(month[5:])}月累计 {num(tg.current, '件')}，上年同期 {num(tg.baseline, '件')}，"
               f"同比{way} {pct(abs(float(tg.change)))}；年度目标为同比下降不少于 {goal}，{state}。")
    doc.para(ytd)
    if gaps:
        doc.note(f"说明：上年同期缺少 {'、'.join(gaps)} 的诉求数据，相关同比和镇街问责连续月数只从有可比数据的月份起算。")
    target = ov.target_table.rename(columns={"month": "月份", "complaints": "诉求（件）", "last_year": "上年同月（件）",
                                             "change": "同比", "ytd": "累计（件）", "ytd_last_year": "上年累计（件）",
                                             "ytd_change": "累计同比"})
    for col in ("同比", "累计同比"):
        if col in target:
            target[col] = target[col].map(lambda v: pct(v, signed=True, unknown="无可比数据"))
    target = target[[c for c in target.columns if not str(c).isascii() or c == "月份"]]
    doc.para(f"诉求分布见图1，各镇街同比变化见图2，逐月目标进度见附件{doc.attach('诉求同比目标进度（逐月）', target)}。")

    # 二、镇街问责阶梯 ------------------------------------------------------------------
    doc.numbered(2, "镇街问责情况")
    towns = ov.townships
    hit = [(r.township, consequences(r.action), r) for r in towns.itertuples() if consequences(r.action)]
    if hit:
        for town, items, r in hit:
            doc.para(f"{town}：本月诉求 {num(r.month_complaints, '件')}，同比增加 {num(r.yoy_change, '件')}，"
                     f"连续上升 {num(r.consecutive_rises, '个')}月，{'、'.join(items)}。")
    else:
        doc.para("本月无镇街诉求同比上升，不启动问责。")
    for r in ov.quarter_alerts.itertuples():
        doc.para(f"{ov.ladder_quarter}：{r.township}诉求同比增幅居末位（第 {num(r.times_last, '次')}），{_joined(r.action)}。")
    ladder = pd.DataFrame({"镇街": towns["township"], "小区（个）": towns["compounds"],
                           "本月诉求（件）": towns["month_complaints"], "上年同月（件）": towns["last_year"],
                           "同比增减（件）": towns["yoy_change"],
                           "同比": towns["yoy_pct"].map(lambda v: pct(v, signed=True, unknown="无可比数据")),
                           "连续上升（月）": towns["consecutive_rises"],
                           "问责措施": towns["action"].map(_joined)})
    doc.para(f"各镇街明细见附件{doc.attach('镇街诉求同比及问责措施', ladder)}。")
    # the two maps together after the words they illustrate: both fit one page, and the text above flows
    heat = render(heat_map(engine, scope, Period.months(month, month), synthetic=synthetic), "png")
    doc.figure(heat, f"{month_cn(month)}{place}物业诉求热力图（250 米六边形）")
    choro = render(yoy_map(engine, scope, ov.townships, synthetic=synthetic), "png")
    doc.figure(choro, f"{month_cn(month)}各镇街诉求同比变化")

    # 三、投诉排名 ----------------------------------------------------------------------
    doc.numbered(3, f"物业项目投诉排名（前 {top_n} 名）")
    top = ov.top_list
    if len(top):
        action_col = "action" if "action" in top.columns else "action_label"
        repeat = top[top["consecutive_months"] >= 2]
        doc.para(f"本月进入投诉排名前 {top_n} 名的物业项目 {num(len(top), '个')}，其中连续 2 个月及以上上榜 "
                 f"{num(len(repeat), '个')}。")
        for r in repeat.sort_values(["consecutive_months", "rank"], ascending=[False, True]).head(15).itertuples():
            doc.para(f"{r.compound}（{r.township}，{r.company or '无物业'}）：第 {num(r.rank)} 名，连续上榜 "
                     f"{num(r.consecutive_months, '个')}月，{_joined(getattr(r, action_col))}。")
        frame = pd.DataFrame({"排名": top["rank"], "小区": top["compound"], "镇街": top["township"],
                              "物业企业": top["company"], "项目经理": top["manager"], "诉求（件）": top["complaints"],
                              "连续上榜（月）": top["consecutive_months"], "措施": top[action_col].map(_joined)})
        doc.para(f"排名明细见附件{doc.attach(f'{month_cn(month)}物业项目投诉排名', frame)}。")
    else:
        doc.para("本月无物业项目进入投诉排名。")

    # 四、红黑榜与企业黑名单 -------------------------------------------------------------
    doc.numbered(4, "红黑榜和物业企业黑名单")
    if ov.quarter is None:
        doc.para("尚无季度考评结果。")
    else:
        lists = ev.quarter_lists(engine, scope, ov.quarter)
        red, black = lists[lists["list"] == ratings.RED], lists[lists["list"] == ratings.BLACK]
        companies = ev.company_status(engine, scope, ov.quarter)
        listed = companies[companies["blacklisted"]]
        doc.para(f"{ov.quarter}考评：红榜 {num(len(red), '个')}项目，黑榜 {num(len(black), '个')}项目；"
                 f"列入物业企业黑名单 {num(len(listed), '家')}"
                 + (f"（{'、'.join(listed['company'].astype(str))}）" if len(listed) else "") + "。")
        if len(red):
            doc.para(f"红榜：{'、'.join(red['compound'].astype(str).head(20))}{'等' if len(red) > 20 else ''}。")
        both = pd.concat([red, black])
        if len(both):
            frame = pd.DataFrame({"榜单": both["list"], "小区": both["compound"], "镇街": both["township"],
                                  "物业企业": both.get("company"), "考评得分": both["score"],
                                  "黑榜次数": both["black_count"], "措施": both["consequence"]})
            doc.para(f"红黑榜明细见附件{doc.attach(f'{ov.quarter}红黑榜', frame)}。")

    # 五、问责事项台账 ------------------------------------------------------------------
    doc.numbered(5, "问责事项落实情况")
    _register_section(doc, engine, scope, month)

    # 六、执法联动、错时停车、双随机抽查 -------------------------------------------------
    doc.numbered(6, "执法联动、错时停车和双随机抽查")
    open_cases = case_queries.cases(engine, scope, open_only=True, now=as_of)
    open_cases = open_cases[open_cases["opened_at"] <= as_of]
    overdue = open_cases[open_cases["overdue"]]
    doc.heading(f"（一）执法联动案件。截至{month_cn(month)}底，未结案件 {num(len(open_cases), '件')}，其中超期 "
                f"{num(len(overdue), '件')}（立案满 {num(settings.get(engine, 'case_overdue_days'), '天')}未结案）。", 2)
    if len(overdue):
        frame = pd.DataFrame({"案件编号": overdue["case_no"], "小区": overdue["compound"], "镇街": overdue["township"],
                              "类别": overdue["category"], "承办部门": overdue["department"], "当前环节": overdue["step"],
                              "立案时间": overdue["opened_at"].dt.strftime("%Y-%m-%d"), "已立案（天）": overdue["days_open"]})
        doc.para(f"超期案件见附件{doc.attach('超期未结执法案件', frame)}。")
    proposals = pq.proposals(engine, scope)
    proposals = proposals[proposals["created_at"] <= as_of]
    going = proposals[proposals["status"] != "已批准"]
    doc.heading(f"（二）错时停车方案。在办方案 {num(len(going), '个')}，已批准 "
                f"{num((proposals['status'] == '已批准').sum(), '个')}。", 2)
    for r in going.head(10).itertuples():
        doc.para(f"{r.township}《{r.title}》：{r.status}，停车缺口 {num(r.shortage, '辆')}，已安排 {num(r.placed, '辆')}。")
    draws = insp.draws(engine, scope)
    draws = draws[draws["drawn_at"] <= as_of]
    if len(draws):
        d = draws.iloc[0]
        results = insp.draw_results(engine, scope, int(d["draw_id"]), today=end)
        checked = results[results["checked_at"].notna()]
        failed = checked[checked["verdict"].astype(str).str.contains("不合格")]
        doc.heading(f"（三）双随机抽查。最近一批（第 {num(d['draw_id'])} 批，{d['drawn_at']:%Y-%m-%d}）抽取小区 "
                    f"{num(len(results), '个')}，已检查 {num(len(checked), '个')}，不合格 {num(len(failed), '个')}，"
                    f"整改逾期 {num(int(results['overdue'].sum()), '个')}。", 2)
        if len(results):
            frame = pd.DataFrame({"小区": results["compound"], "镇街": results["township"],
                                  "物业企业": results["company"], "检查组": results["team"],
                                  "检查时间": results["checked_at"], "结论": results["verdict"],
                                  "得分": results["score"], "整改期限": results["rectification_due"],
                                  "整改逾期": results["overdue"].map({True: "是", False: "否"})})
            doc.para(f"抽查结果见附件{doc.attach(f'第 {d.draw_id} 批双随机抽查结果', frame)}。")
    else:
        doc.heading("（三）双随机抽查。本期无抽查批次。", 2)

    doc.numbered(7, "工作要求")
    doc.para("各镇街、各有关部门要对照本通报逐项落实：被通报问责的镇街于下月联席会议前报送整改情况；"
             "连续上榜的物业项目按规定更换项目经理或启动更换物业企业程序；超期案件由承办部门说明原因、限期办结。")
    data = doc.save()
    if log:
        audit.record(engine, actor, "export", f"月度通报_{month}.docx", scope, kind="briefing", month=month,
                     number=number)
    return Briefing(data, number, title, gaps)
