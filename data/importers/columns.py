"""Column headers: the Chinese (and English) names each imported field may carry.

Headers are matched after normalisation: spaces, '*' (required marks) and
bracketed parts are dropped ('建筑面积（万㎡）' → '建筑面积', unit '万㎡'), full-width
letters become half-width and letters lower-case. A unit with 万 scales the
values by 10 000. Shapefile field names are cut at 10 bytes, so for shapefiles
a header that is the unique prefix of an alias also matches (with a note).

Several file columns for one field: the one whose alias comes first wins
('小区名称' before '名称'); the others are reported as unused.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Callable

from data import vocab
from data.importers import values as V

__all__ = ["Field", "FIELDS", "LEVEL_LABELS", "ColumnMap", "map_columns", "normalise_header", "header_score"]

LEVEL_LABELS = {
    "county": "县域边界", "township": "镇街边界", "community": "社区边界", "grid": "网格边界",
    "compounds": "小区档案",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # the column name used in messages when the file has none
    aliases: tuple[str, ...]
    parse: Callable | None = None  # None: handled by the importer itself (places, geometry)
    scalable: bool = False  # values × 10000 when the header's unit has 万


def _f(key, label, *aliases, parse=None, scalable=False) -> Field:
    return Field(key, label, (label, *aliases), parse, scalable)


_TOWNSHIP_REF = ("所属镇街", "所属乡镇", "所属街道", "所属乡镇街道", "镇街", "镇街名称", "乡镇", "乡镇名称",
                 "街道", "所属镇", "所属镇街道", "所属街道办事处", "街道办事处", "办事处", "镇", "乡镇街道",
                 "镇街道", "所属乡镇街道办事处", "township")
_COMMUNITY_REF = ("所属社区", "所属村居", "社区", "社区名称", "村居", "村居名称", "所属村", "所属社区居委会",
                  "所属居委会", "社区居委会", "居委会", "所属村居委会", "社区村", "community")

GEOMETRY_FIELDS = (
    _f("lon", "经度", "lon", "lng", "long", "longitude", "中心经度", "中心点经度", "东经", "高德经度", "百度经度",
       "gps经度", "gcj经度", "bd经度", "x经度", "经度x"),
    _f("lat", "纬度", "lat", "latitude", "中心纬度", "中心点纬度", "北纬", "高德纬度", "百度纬度", "gps纬度",
       "gcj纬度", "bd纬度", "y纬度", "纬度y"),
    # One cell "116.31,35.41" (either order; see values.lonlat_pair).
    _f("lonlat", "经纬度", "坐标", "经纬度坐标", "中心点坐标", "中心坐标", "中心点经纬度", "中心经纬度", "位置坐标",
       "坐标位置", "定位", "定位坐标", "gps坐标", "gps", "地理坐标", "高德坐标", "百度坐标", "高德经纬度",
       "百度经纬度", "经纬度高德", "经纬度百度", "lnglat", "lonlat", "latlng", "latlon", "location", "coordinates"),
    _f("x", "x", "x坐标", "横坐标", "坐标x", "东坐标"),
    _f("y", "y", "y坐标", "纵坐标", "坐标y", "北坐标"),
    _f("wkt", "WKT", "wkt", "geometry", "geom", "几何", "几何图形", "边界", "范围", "空间范围", "边界坐标"),
)

_township_kind = partial(V.choice, allowed=vocab.TOWNSHIP_KINDS, what="镇街类型")
_class = partial(V.choice, allowed=vocab.COMPOUND_CLASSES, what="小区类型",
                 aliases={"商品房小区": "商品房", "商品住宅": "商品房", "老旧": "老旧小区", "回迁": "回迁安置小区",
                          "安置小区": "回迁安置小区", "回迁安置": "回迁安置小区", "三无": "三无小区"})
_mode = partial(V.choice, allowed=vocab.MANAGEMENT_MODES, what="管理模式",
                aliases={"专业化": "专业化物业", "专业物业": "专业化物业", "物业公司": "专业化物业",
                         "社区惠民物业": vocab.MANAGEMENT_MODES[1], "惠民物业": vocab.MANAGEMENT_MODES[1],
                         "国企兜底": "国有企业兜底", "国有企业": "国有企业兜底", "国企": "国有企业兜底",
                         "国有物业兜底": "国有企业兜底", "自管": "业主自管", "业主自治": "业主自管",
                         "自治管理": "业主自管", "单位管理": "单位自管", "产权单位自管": "单位自管",
                         "单位自行管理": "单位自管", "原单位管理": "单位自管", "无": "无物业",
                         "无物业管理": "无物业", "无物业服务": "无物业", "弃管": "无物业", "三无": "无物业",
                         "社区兜底": vocab.MANAGEMENT_MODES[1], "社区代管": vocab.MANAGEMENT_MODES[1],
                         "社区托管": vocab.MANAGEMENT_MODES[1], "物业服务企业": "专业化物业",
                         "市场化物业": "专业化物业", "市场化": "专业化物业"})
_owners = partial(V.choice, allowed=vocab.OWNERS_BODIES, what="业主组织",
                  aliases={"业委会": "业主委员会", "物管会": "物业管理委员会", "居委会": "居委会代行",
                           "社区居委会代行": "居委会代行", "居委会代管": "居委会代行", "社区代行": "居委会代行",
                           "已成立业委会": "业主委员会", "成立业委会": "业主委员会", "已成立业主委员会": "业主委员会",
                           "已成立物管会": "物业管理委员会", "物业管理委员": "物业管理委员会",
                           # a yes/no column "是否成立业委会"
                           "是": "业主委员会", "有": "业主委员会", "已成立": "业主委员会",
                           "未成立": "无", "没有": "无", "否": "无", "暂无": "无", "未组建": "无"})
_fee_level = partial(V.fee_level, labels=vocab.FEE_LEVELS)

FIELDS: dict[str, tuple[Field, ...]] = {
    "county": (
        _f("name", "名称", "县名", "县名称", "县区名称", "区县名称", "行政区名称", "行政区划名称", "xzqmc",
           "县区", "区县", "name", parse=partial(V.text, max_len=50)),
        _f("adcode", "行政区划代码", "adcode", "区划代码", "行政区代码", "xzqdm", "代码", "编码", "code",
           parse=partial(V.code, max_len=12)),
    ),
    "township": (
        _f("name", "名称", "镇街名称", "乡镇名称", "街道名称", "乡镇街道名称", "镇街", "乡镇", "街道", "镇名称",
           "行政区名称", "xzqmc", "name", parse=partial(V.text, max_len=50)),
        _f("code", "代码", "编码", "镇街代码", "镇街编码", "乡镇代码", "乡镇编码", "行政区划代码", "区划代码",
           "xzqdm", "code", parse=partial(V.code, max_len=20)),
        _f("kind", "类型", "镇街类型", "乡镇类型", "kind", "type", parse=_township_kind),
    ),
    "community": (
        _f("name", "社区名称", "名称", "社区", "村居名称", "村名称", "村居", "社区名", "name",
           parse=partial(V.text, max_len=50)),
        _f("code", "社区编码", "社区代码", "村居编码", "村居代码", "编码", "代码", "区划代码", "行政区划代码",
           "code", parse=partial(V.code, max_len=20)),
        _f("township", "所属镇街", *_TOWNSHIP_REF[1:]),
    ),
    "grid": (
        _f("name", "网格名称", "名称", "网格", "网格名", "name", parse=partial(V.text, max_len=50)),
        _f("code", "网格编码", "网格代码", "网格编号", "编码", "代码", "编号", "code",
           parse=partial(V.code, max_len=30)),
        _f("community", "所属社区", *_COMMUNITY_REF[1:]),
        _f("township", "所属镇街", *_TOWNSHIP_REF[1:]),
        _f("worker", "网格员", "网格员姓名", "专职网格员", "worker", parse=partial(V.text, max_len=30)),
        _f("worker_phone", "联系电话", "网格员电话", "网格员联系电话", "电话", "手机", "手机号", "联系方式",
           "phone", parse=V.phone),
    ),
    "compounds": (
        _f("name", "小区名称", "项目名称", "物业项目名称", "小区", "名称", "住宅小区名称", "小区名", "物业项目",
           "项目", "住宅小区", "小区项目名称", "name", parse=partial(V.text, max_len=100)),
        _f("code", "小区编码", "小区代码", "小区编号", "项目编码", "编码", "代码", "编号", "code",
           parse=partial(V.code, max_len=30)),
        _f("aliases", "别名", "曾用名", "其他名称", parse=partial(V.text, max_len=200)),
        _f("address", "地址", "小区地址", "详细地址", "坐落", "坐落位置", "位置", parse=partial(V.text, max_len=200)),
        _f("township", "所属镇街", *_TOWNSHIP_REF[1:]),
        _f("community", "所属社区", *_COMMUNITY_REF[1:]),
        _f("grid", "所属网格", "网格", "网格名称", "网格编码"),
        _f("households", "户数", "总户数", "住户数", "居民户数", "住宅户数", "房屋套数", "住宅套数", "套数",
           "总套数", parse=V.integer),
        _f("buildings", "楼栋数", "楼栋", "栋数", "楼座数", "楼栋数量", "楼幢数", "幢数", "楼数", "住宅楼栋数",
           parse=V.integer),
        _f("floor_area_m2", "建筑面积", "总建筑面积", "面积", "住宅建筑面积", "房屋建筑面积", parse=V.decimal,
           scalable=True),
        _f("year_built", "建成年份", "建成年代", "建成时间", "竣工年份", "建成年度", "竣工时间", "竣工日期",
           "建设年代", "建设年份", "建筑年代", "交付时间", "交付年份", "建成日期", parse=V.year),
        _f("compound_class", "小区类型", "小区类别", "类型", "类别", "小区性质", "小区属性", "住宅类型",
           parse=_class),
        _f("management_mode", "管理模式", "物业管理模式", "服务模式", "管理方式", "物业管理方式", "管理形式",
           "物业管理形式", "物业服务方式", "物业服务模式", "管理类型", "物业管理类型", "物业模式", parse=_mode),
        _f("company", "物业企业", "物业公司", "物业服务企业", "物业企业名称", "物业服务企业名称", "物业公司名称",
           "物业管理公司", "物业服务单位", "服务企业", "物业管理企业", "物业服务公司",
           parse=partial(V.text, max_len=100)),
        _f("manager", "项目经理", "项目经理姓名", "项目负责人", "物业项目经理", "物业项目负责人",
           parse=partial(V.text, max_len=30)),
        _f("manager_phone", "项目经理电话", "项目经理联系电话", "经理电话", "项目负责人电话", "项目经理手机",
           "项目经理联系方式", "项目负责人联系电话", parse=V.phone),
        _f("fee_level", "收费等级", "服务等级", "物业服务等级", "收费级别", "物业服务收费等级", "物业等级",
           parse=_fee_level),
        _f("fee_price", "收费标准", "物业费单价", "物业费标准", "物业费", "单价", "物业服务费", "物业服务收费标准",
           "收费单价", "物业服务费标准", parse=partial(V.decimal, digits=6)),
        _f("owners_body", "业主组织", "业主自治组织", "业主组织形式", "业委会", "业主委员会", "业委会成立情况",
           "业主委员会成立情况", "成立业委会", "成立业主委员会", "业委会物管会", "业主委员会物业管理委员会",
           "业主大会业委会", parse=_owners),
        _f("owners_committee_party_members", "业委会党员数", "业委会党员人数", "业委会中党员人数",
           "业委会成员中党员数", parse=V.integer),
        _f("party_branch", "党支部", "小区党支部", "成立党支部", "党组织", "小区党组织", "建立党支部",
           "党支部建立情况", "成立小区党支部", parse=V.boolean),
        _f("party_secretary_full_time", "专职书记", "专职党支部书记", "党支部专职书记", "党支部书记是否专职",
           "书记专职", "党支部书记专职", parse=V.boolean),
        _f("notice_board", "三会三公开", "三会三公开栏", "公开栏", "公示栏", "三公开", parse=V.boolean),
        _f("smart_property", "智慧物业", "智慧物业平台", "智慧化物业", "智慧小区", parse=V.boolean),
        _f("elevators", "电梯数", "电梯", "电梯数量", "电梯台数", "电梯部数", parse=V.integer),
        _f("parking_spaces", "车位数", "车位", "停车位", "停车位数", "车位数量", "车位总数", "机动车位",
           "机动车车位数", "停车位数量", "停车泊位", parse=V.integer),
        _f("cars", "车辆数", "登记车辆数", "车辆", "汽车数", "机动车数量", "登记车辆", "机动车数", parse=V.integer),
        _f("maintenance_fund", "维修资金余额", "维修资金", "专项维修资金余额", "专项维修资金",
           parse=V.decimal, scalable=True),
    ),
}

_BRACKETS = re.compile(r"[（(\[【{]([^）)\]】}]*)[）)\]】}]")


def normalise_header(header) -> tuple[str, str]:
    """``(key, unit)`` of a header: '建筑面积（万㎡）' → ('建筑面积', '万㎡')."""
    s = unicodedata.normalize("NFKC", str(header or ""))
    units = " ".join(m.group(1) for m in _BRACKETS.finditer(s))
    s = _BRACKETS.sub("", s)
    s = re.sub(r"[\s*＊:：]", "", s).lower()
    return s, units


@lru_cache(maxsize=None)
def _alias_index(level: str) -> dict[str, tuple[str, int]]:
    """normalised alias → (field key, priority); geometry aliases included."""
    index: dict[str, tuple[str, int]] = {}
    for f in (*FIELDS[level], *GEOMETRY_FIELDS):
        for i, alias in enumerate(f.aliases):
            index.setdefault(normalise_header(alias)[0], (f.key, i))
    return index


def _lookup(key: str, index) -> tuple[str, int] | None:
    if key in index:
        return index[key]
    if key.startswith("是否") and key[2:] in index:
        return index[key[2:]]
    return None


def header_score(cells, level: str) -> int:
    """How many cells of a candidate header row are known headers (to find the header row)."""
    index = _alias_index(level)
    return sum(1 for c in cells if isinstance(c, str) and _lookup(normalise_header(c)[0], index))


@dataclass
class ColumnMap:
    """Which file column holds which field, plus what the user should be told."""

    columns: dict[str, str] = field(default_factory=dict)  # field key → file header
    scale: dict[str, int] = field(default_factory=dict)  # field key → multiplier (万 → 10000)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)  # field key → how it was recognised, when not by its own name

    def guesses(self, level: str) -> list[str]:
        """'管理方式 → 管理模式（同义词）', '第5列 → 所属社区（按内容推断）' for every column not read by its own name."""
        return [f"{self.columns[k]} → {_label_of(k, level)}（{how}）" for k, how in self.how.items()
                if k in self.columns]

    def label(self, key: str, level: str) -> str:
        """The header to name in a message: the user's own, else the canonical one."""
        if key in self.columns:
            return self.columns[key]
        for f in (*FIELDS[level], *GEOMETRY_FIELDS):
            if f.key == key:
                return f.label
        return key


def map_columns(headers, level: str, *, allow_prefix: bool = False) -> ColumnMap:
    """Map the file's headers to field keys of ``level`` (see module docstring)."""
    index = _alias_index(level)
    best: dict[str, tuple[int, str]] = {}
    out = ColumnMap()
    for header in headers:
        if not isinstance(header, str):
            continue
        key, _unit = normalise_header(header)
        hit = _lookup(key, index)
        if hit is None and allow_prefix and len(key) >= 3:
            candidates = {v[0] for k, v in index.items() if k.startswith(key)}
            if len(candidates) == 1:
                fkey = candidates.pop()
                hit = (fkey, 99)
                out.notes.append(f"列 '{header}' 按截断的字段名识别为 {_label_of(fkey, level)}")
        if hit is None:
            out.unused.append(header)
            continue
        fkey, prio = hit
        if fkey in best and best[fkey][0] <= prio:
            out.unused.append(header)
            continue
        if fkey in best:
            out.unused.append(best[fkey][1])
        best[fkey] = (prio, header)
    out.columns = {k: h for k, (_, h) in best.items()}
    for fkey, header in out.columns.items():
        if best[fkey][0] == 99:
            out.how[fkey] = "按截断的字段名"
        elif fkey == "lonlat":
            out.how[fkey] = "一列经纬度，顺序按数值判断"
        elif normalise_header(header)[0] != normalise_header(_label_of(fkey, level))[0]:
            out.how[fkey] = "同义列名"
    for fkey, header in out.columns.items():
        if "万" in normalise_header(header)[1] and _field(fkey, level).scalable:
            out.scale[fkey] = 10000
            out.notes.append(f"列 '{header}' 的单位含“万”，数值已乘以 10000")
    return out


def crs_hint(header: str) -> str | None:
    """The CRS a coordinate column's header names: '经度（高德）' → 'gcj02', '百度坐标' → 'bd09'."""
    key, unit = normalise_header(header)
    text = (key + unit).lower()
    if any(w in text for w in ("高德", "gcj", "腾讯", "火星", "amap")):
        return "gcj02"
    if any(w in text for w in ("百度", "bd09", "bd-09", "baidu")) or text.startswith("bd"):
        return "bd09"
    if any(w in text for w in ("wgs", "gps", "天地图", "cgcs", "2000", "北斗")):
        return "wgs84"
    return None


def field_label(key: str, level: str) -> str:
    return _label_of(key, level)


def _field(key: str, level: str) -> Field:
    return next(f for f in (*FIELDS[level], *GEOMETRY_FIELDS) if f.key == key)


def _label_of(key: str, level: str) -> str:
    return _field(key, level).label
