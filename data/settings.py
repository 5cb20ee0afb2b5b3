"""Settings: every policy number and deployment choice, with default and help, in one place.

Defaults come from the county documents (``shared/seeds``); a deployment
overrides them in the ``setting`` table (page 设置, or ``set_value``).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.schema import Setting


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    label: str
    help: str


DEFINITIONS: tuple[SettingDef, ...] = (
    SettingDef("county_name", "金乡县", "县（市）名称", "本部署所服务的县（市）。"),
    SettingDef("county_adcode", "370828", "行政区划代码", "6 位行政区划代码。"),
    SettingDef("ranking_top_n", 50, "月度投诉排名公布数",
               "每月公布投诉量前 N 名的物业项目（沂水 §3(3)：前 50 名）。"),
    SettingDef("city_ranking_top_n", 50, "全市月度投诉排名公布数",
               "市级部署：每月公布全市（跨各县区）投诉量前 N 名的物业项目（沂水 §3(3)：全市前 50 名）。"),
    SettingDef("ranking_months_replace_manager", 2, "连续上榜更换项目经理（月）",
               "连续 N 个月进入前列的项目更换项目经理。"),
    SettingDef("ranking_months_replace_company", 3, "连续上榜启动更换物业企业（月）",
               "连续 N 个月进入前列的项目启动更换物业企业程序。"),
    SettingDef("red_list_min_score", 90, "红榜分数线", "季度考评分数不低于此值列入红榜。"),
    SettingDef("black_list_below_score", 60, "黑榜分数线", "季度考评分数低于此值列入黑榜。"),
    SettingDef("company_black_share", "1/3", "企业黑名单项目比例",
               "企业在管项目被列入黑榜的比例达到此值（含）列入企业黑名单。"),
    SettingDef("excellent_company_share", "0.05", "年度优秀企业比例上限",
               "半年考核评为优秀的企业不超过此比例（向下取整）。"),
    SettingDef("credit_grades", ["AAA", "AA", "A", "B", "C"], "信用等级", "由高到低。"),
    SettingDef("company_match_threshold", 90, "企业名称近似匹配阈值",
               "去掉地区前缀和“物业服务有限公司”等后缀后，名称相似度（0–100）达到此值视为同一企业。"),
    # 考核评价与物业费 (issue 5)
    SettingDef("black_list_window_quarters", 8, "黑榜累计统计季度数",
               "最近 N 个季度内第 2 次列入黑榜的项目启动更换物业企业程序。"),
    SettingDef("credit_incentive_floor", "A", "信用激励等级下限",
               "此等级及以上（A级以上，含）的物业企业享受守信激励。"),
    SettingDef("fee_reduction_complaints_per_100", "3", "降费管理：投诉较多（件/百户·季度）",
               "季度诉求每百户达到此值（含）的小区列为降费管理候选（业主投诉较多）。"),
    SettingDef("fee_quality_floors", [["0.80", 70], ["1.20", 80]], "质价相符分数线",
               "[收费标准起点（元/㎡·月）, 季度考评最低分]：收费达到起点而考评低于最低分的为质价不符。"),
    SettingDef("complaint_reduction_target", "0.30", "投诉同比下降目标",
               "物业投诉同比下降不少于此比例（沂水 2024；青州 11 月底前）。"),
    SettingDef("complaints_data_from", "", "诉求数据起始月份",
               "YYYY-MM：自此月起诉求数据完整。上年同期早于此月的月份、季度“不可比”（既非上升也非下降）；"
               "留空表示以库中最早的诉求月份为准。"),
    # 问责台账 (issue 14): due dates, counted from the end of the triggering month or quarter
    SettingDef("register_days_notice", 10, "台账期限：通报、工作提醒、曝光（天）", "自触发月份（季度）结束起算。"),
    SettingDef("register_days_statement", 30, "台账期限：公开承诺、集中谈话、表态发言（天）", "自触发月份（季度）结束起算。"),
    SettingDef("register_days_replace_manager", 30, "台账期限：更换项目经理、镇街督促整改（天）",
               "自触发月份（季度）结束起算。"),
    SettingDef("register_days_replace_company", 60, "台账期限：启动更换物业企业、兜底、企业黑名单（天）",
               "自触发月份（季度）结束起算。"),
    SettingDef("register_days_rectification", 30, "降费管理：限期整改期限（天）",
               "服务质量评价不合格的小区限期整改的天数，到期重新评价（金乡 §5(2)）。"),
    SettingDef("party_branch_target", "0.80", "党支部专职书记覆盖目标", "比例，含。"),
    SettingDef("owners_committee_min_party_members", 3, "业委会党员人数下限", "人。"),
    SettingDef("smart_property_target", "0.20", "智慧物业覆盖目标", "比例，含。"),
    SettingDef("parking_walk_limit_m", 500, "错时停车步行距离上限（米）", "直线距离 × 绕行系数。"),
    SettingDef("parking_detour_factor", "1.3", "绕行系数", "直线距离换算步行距离的系数。"),
    SettingDef("parking_night_window", ["19:00", "07:30"], "居民夜间停车时段", "工作日。"),
    SettingDef("parking_weekend_night_window", ["19:00", "07:30"], "居民夜间停车时段（周末及节假日）",
               "周末及节假日夜间；停车资源在周末的开放时段须覆盖此时段才计入。"),
    SettingDef("parking_shortage_min_cars", 1, "供需矛盾突出：停车缺口下限（辆）",
               "小区停车缺口达到此数（含）才列入错时停车方案；1 表示有缺口即列入。"),
    SettingDef("cars_per_household", "0.8", "户均车辆（无登记时）", "用于估算停车需求。"),
    SettingDef("basemap", "none", "默认底图", "none（无底图，适用于内网）/ tianditu / amap / osm / custom。"),
    SettingDef("tianditu_key", "", "天地图密钥 tk", "也可写入 .streamlit/secrets.toml 的 tianditu_key。"),
    SettingDef("custom_tile_url", "", "自建瓦片服务地址", "形如 http://内网地址/{z}/{x}/{y}.png"),
    SettingDef("map_all_compounds_max", 5000, "地图整体下发小区数上限",
               "范围内小区不超过此数时，地图一次载入全部小区（平移无需等待）；超过时只载入当前视野附近的小区，"
               "缩小到看不清小区时只显示镇街（社区）着色。市、省级部署靠它控制浏览器收到的数据量。"),
    SettingDef("match_nearest_m", 150, "诉求匹配：最近小区距离上限（米）",
               "小区只有点位（无边界）时，诉求坐标距最近小区点位在此距离内即匹配到该小区。"),
    SettingDef("match_name_threshold", 75, "诉求匹配：名称相似度下限",
               "按小区名称、别名或地址模糊匹配时的最低相似度（0–100）；低于此值或与次优候选相差不足 5 分的不自动匹配。"),
    # 双随机抽查 (issue 7): risk weights are 1 + Σ coefficient × factor
    SettingDef("inspection_team_size", 2, "抽查每组检查人员数", "不少于 2 人（双随机）。"),
    SettingDef("inspection_exclude_months", 6, "近期已检查小区排除（月）",
               "抽取前 K 个月内已接受抽查的小区不参与本次抽取；0 表示不排除。"),
    SettingDef("inspection_complaint_window_months", 3, "风险权重：诉求统计月数", "抽取前 N 个月的诉求。"),
    SettingDef("inspection_weight_complaints", "0.5", "风险权重：每百户诉求系数",
               "每百户诉求件数乘以此系数计入权重。"),
    SettingDef("inspection_weight_black_list", "1", "风险权重：黑榜", "最近一季度考评列入黑榜的小区加权。"),
    SettingDef("inspection_weight_low_credit", "0.5", "风险权重：信用等级低",
               "物业企业最新信用等级低于 A 级的小区加权。"),
    SettingDef("inspection_weight_overdue", "1", "风险权重：整改逾期", "有逾期未整改问题的小区加权。"),
    SettingDef("inspection_weight_never_inspected", "0.5", "风险权重：从未抽查", "从未被抽查过的小区加权。"),
    SettingDef("inspection_rectification_days", 30, "抽查整改期限（天）", "不合格事项的默认整改期限。"),
    # 执法联动 (issue 7)
    SettingDef("case_overdue_days", 30, "执法案件超期天数", "立案后达到此天数（含）仍未结案即为超期。"),
    SettingDef("photo_max_mb", 10, "照片大小上限（MB）", "上传的照片超过此大小将被拒绝。"),
    # 登录与导入安全 (issue 8)
    SettingDef("session_hours", 10, "登录保持时长（小时）",
               "登录后在同一浏览器中刷新或重新打开页面无需再次登录，直到退出登录或超过此时长；0 表示每次打开都需登录。"),
    SettingDef("password_min_length", 10, "密码最短长度", "新设置的本地账号密码不少于此长度。"),
    # 公文 (issue 16): issuing offices, addressees and numbering per kind of document
    SettingDef("doc_briefing_issuer", "{county}物业管理工作专班办公室", "月度通报：发文机关",
               "月度通报版头的发文机关（标志为“发文机关 + 文件”）和落款；{county} 为县（市）名称（随县界导入）。"),
    SettingDef("doc_briefing_number", "{county1}物专办〔{year}〕{n}号", "月度通报：发文字号格式",
               "{county1} 为县（市）名称首字，{year} 为年份，{n} 为当年顺序号（按发文机关和文种逐年递增）。"),
    SettingDef("doc_briefing_addressees", ["各镇人民政府、街道办事处", "县直有关部门"], "月度通报：主送机关",
               "逗号分隔，按顺序写在标题下。"),
    SettingDef("doc_parking_number", "{short}发〔{year}〕{n}号", "错时停车方案：发文字号格式",
               "{short} 为镇街简称（某某街道 → 某某街办，某某镇 → 某某政），{year} 年份，{n} 顺序号。"),
    SettingDef("doc_parking_addressees", ["县住房和城乡建设局", "县综合行政执法局"], "错时停车方案：主送机关",
               "方案报送的单位（审批方案、审批道路夜间临时泊位）。"),
    SettingDef("doc_case_addressees", ["县物业管理领导小组办公室"], "案件呈报表：报送单位",
               "呈报表一式叁份中县级留存单位。"),
    # 上传与导入限制 (issue 13): every upload and import is refused beyond these, with a Chinese message
    SettingDef("upload_max_mb", 50, "上传文件大小上限（MB）",
               "单个文件或一个压缩包解压后的总大小上限；不超过 .streamlit/config.toml 的 maxUploadSize。"),
    SettingDef("upload_max_rows", 1_000_000, "导入行数上限", "Excel/CSV 文件的数据行数上限。"),
    SettingDef("upload_max_features", 200_000, "导入要素数上限", "GeoJSON/Shapefile/GeoPackage 的要素数上限。"),
    SettingDef("upload_max_vertices", 5_000_000, "导入顶点数上限", "一个空间文件全部几何的顶点总数上限。"),
    SettingDef("upload_max_field_chars", 32_767, "单个字段字符数上限", "任一单元格/字段的字符数上限（Excel 单元格上限 32767）。"),
    SettingDef("road_max_segments", 20_000, "路网线段数上限",
               "错时停车上传的路网（按交叉点打断后）线段数上限，防止路网计算耗尽服务器。"),
    SettingDef("road_county_margin_km", 5, "路网超出县界容差（公里）",
               "路网须位于县界（含此外扩距离）以内，否则拒绝。"),
    # 登录限速 (issue 13): backoff per username and client, never a hard lockout
    SettingDef("login_backoff_free_failures", 3, "登录失败免等待次数",
               "同一账号名 + 同一客户端连续失败达到此次数后开始等待。"),
    SettingDef("login_backoff_base_seconds", 2, "登录失败等待起始秒数", "此后每次失败等待时间加倍。"),
    SettingDef("login_backoff_max_seconds", 300, "登录失败等待上限（秒）", "等待时间不超过此值。"),
)
BY_KEY = {d.key: d for d in DEFINITIONS}


def get(engine: Engine, key: str) -> Any:
    """The stored value of ``key``, else its default. Unknown keys raise KeyError."""
    definition = BY_KEY[key]
    with Session(engine) as s:
        row = s.get(Setting, key)
    return definition.default if row is None else row.value


def all_values(engine: Engine) -> dict[str, Any]:
    """Every setting, stored overrides applied."""
    values = {d.key: d.default for d in DEFINITIONS}
    with Session(engine) as s:
        for row in s.scalars(select(Setting)):
            if row.key in values:
                values[row.key] = row.value
    return values


def _is_number(text: str) -> bool:
    try:
        Fraction(text)
    except (ValueError, ZeroDivisionError):
        return False
    return True


def parse_value(key: str, value: Any) -> Any:
    """``value`` as the type of the setting's default (text from a form); Chinese ValueError if it is not."""
    definition = BY_KEY.get(key)
    if definition is None:
        raise KeyError(f"未知设置项：{key}")
    default = definition.default
    if isinstance(value, str):
        value = value.strip()
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in {"true", "false", "1", "0", "是", "否"}:
                    raise ValueError
                return value.lower() in {"true", "1", "是"}
            return bool(value)
        if isinstance(default, int):
            number = float(value)
            if number != int(number):
                raise ValueError
            return int(number)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, tuple)):
            items = value if isinstance(value, (list, tuple)) else [v for v in str(value).replace("，", ",").split(",")]
            return [str(v).strip() for v in items if str(v).strip()]
        if isinstance(default, str) and _is_number(default):  # exact numbers kept as text ("1/3", "0.05")
            Fraction(str(value))
    except (TypeError, ValueError, ZeroDivisionError):
        raise ValueError(f"“{definition.label}”的值“{value}”格式不对（应与默认值 {default!r} 同类）") from None
    return "" if value is None else str(value)


def set_value(engine: Engine, key: str, value: Any, *, actor=None) -> None:
    """Store an override for ``key`` (must be a known setting), converted to its default's type.

    A signed-in ``actor`` needs ``edit_settings``; the change is audited with the old and new value.
    """
    from data import audit, permissions

    permissions.authorize(actor, permissions.EDIT_SETTINGS)
    value = parse_value(key, value)
    with Session(engine) as s, s.begin():
        row = s.get(Setting, key)
        before = BY_KEY[key].default if row is None else row.value
        if row is None:
            s.add(Setting(key=key, value=value))
        else:
            row.value = value
        if actor is not None:
            audit.record(s, actor, "settings", f"设置：{BY_KEY[key].label}", None, key=key, before=before,
                         after=value)


# --------------------------------------------------------------------------- data version (several processes)
# Not a setting a person edits (not in DEFINITIONS, so neither the settings page nor all_values shows it):
# a token every write that clears the app's caches replaces. Each app process compares it once per run
# with the token it last saw and clears its own caches when it changed (ui/cache_version.py), so an
# import in one process never leaves another serving stale figures.
DATA_VERSION_KEY = "_data_version"


def data_version(engine: Engine) -> str | None:
    """The current data-version token (None before the first bump): one primary-key lookup."""
    with Session(engine) as s:
        row = s.get(Setting, DATA_VERSION_KEY)
    return None if row is None else str(row.value)


def bump_data_version_in(connection) -> str:
    """:func:`bump_data_version` in ``connection``'s transaction (a Connection or a Session's): the
    new token commits with the write that called it. The row exists after the first bump; before
    it, it is inserted here."""
    import uuid

    from sqlalchemy import insert, update

    token = uuid.uuid4().hex
    done = connection.execute(update(Setting).where(Setting.key == DATA_VERSION_KEY).values(value=token)).rowcount
    if not done:
        connection.execute(insert(Setting).values(key=DATA_VERSION_KEY, value=token))
    return token


def bump_data_version(engine: Engine) -> str:
    """Replace the data-version token with a new one and return it (safe when processes bump at once)."""
    import uuid

    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    token = uuid.uuid4().hex
    for _ in range(3):
        with Session(engine) as s, s.begin():
            done = s.execute(update(Setting).where(Setting.key == DATA_VERSION_KEY).values(value=token)).rowcount
        if done:
            return token
        try:
            with Session(engine) as s, s.begin():
                s.add(Setting(key=DATA_VERSION_KEY, value=token))
            return token
        except IntegrityError:  # another process inserted it first: update that row instead
            continue
    raise RuntimeError("数据版本号更新失败")
