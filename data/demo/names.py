"""Word lists and generators for plausible Chinese names, phones and codes.

All lists are tuples in a fixed order, so a seeded generator always picks the
same words. Personal names are synthetic combinations of common surnames and
given-name characters.
"""
from __future__ import annotations

import random

import numpy as np

# Common surnames with rough relative frequencies (Shandong has many 王/张/李/刘).
SURNAMES = (
    ("王", 9.0), ("李", 8.0), ("张", 8.0), ("刘", 6.0), ("陈", 3.0), ("杨", 3.0),
    ("赵", 2.5), ("黄", 1.5), ("周", 2.0), ("吴", 1.2), ("徐", 2.0), ("孙", 2.5),
    ("胡", 1.5), ("朱", 1.5), ("高", 2.0), ("林", 0.6), ("何", 0.8), ("郭", 1.6),
    ("马", 2.0), ("罗", 0.5), ("梁", 0.9), ("宋", 1.2), ("郑", 1.0), ("谢", 0.6),
    ("韩", 1.0), ("唐", 0.8), ("冯", 1.2), ("于", 1.2), ("董", 1.0), ("萧", 0.3),
    ("程", 0.8), ("曹", 1.0), ("袁", 0.6), ("邓", 0.5), ("许", 0.9), ("傅", 0.4),
    ("沈", 0.4), ("曾", 0.4), ("彭", 0.6), ("吕", 0.7), ("苏", 0.6), ("卢", 0.5),
    ("蒋", 0.4), ("蔡", 0.4), ("贾", 0.7), ("丁", 0.8), ("魏", 0.8), ("薛", 0.5),
    ("叶", 0.3), ("阎", 0.4), ("余", 0.3), ("潘", 0.4), ("杜", 0.6), ("戴", 0.3),
    ("夏", 0.4), ("钟", 0.2), ("汪", 0.2), ("田", 0.8), ("任", 0.7), ("姜", 0.9),
    ("范", 0.6), ("方", 0.4), ("石", 0.6), ("姚", 0.5), ("谭", 0.3), ("廖", 0.2),
    ("邹", 0.3), ("熊", 0.2), ("金", 0.4), ("陆", 0.3), ("郝", 0.5), ("孔", 0.6),
    ("白", 0.4), ("崔", 0.6), ("康", 0.3), ("毛", 0.3), ("邱", 0.3), ("秦", 0.4),
    ("江", 0.2), ("史", 0.4), ("顾", 0.2), ("侯", 0.5), ("邵", 0.3), ("孟", 0.7),
    ("龙", 0.2), ("万", 0.3), ("段", 0.3), ("雷", 0.2), ("钱", 0.2), ("汤", 0.2),
    ("尹", 0.3), ("黎", 0.1), ("易", 0.1), ("常", 0.4), ("武", 0.5), ("乔", 0.4),
    ("贺", 0.3), ("赖", 0.1), ("龚", 0.1), ("文", 0.2), ("庞", 0.3), ("颜", 0.3),
)
GIVEN_CHARS = tuple(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华玉兰萍红鹏辉玲"
    "波宁丹斌浩凯俊峰晨阳飞鑫志国文博宇航欣悦雪梅慧琳婷晓东海亮成林彬坤鹤"
    "云龙莉颖倩洁佳怡思源子涵雨轩梓睿一鸣振兴立新永刚德胜长春金凤翠香淑珍"
    "庆丰广田保国爱民学勤守信传忠继承家豪可馨若曦梦琪嘉怡书瑶佳琪诗雨"
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173",
    "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "191", "195", "198", "199",
)

_SURNAME_CHARS = np.array([s for s, _ in SURNAMES])
_SURNAME_P = np.array([w for _, w in SURNAMES]) / sum(w for _, w in SURNAMES)
_GIVEN = np.array(GIVEN_CHARS)
_PREFIX = np.array(MOBILE_PREFIXES)


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` synthetic Chinese personal names (surname + one or two characters)."""
    sur = rng.choice(_SURNAME_CHARS, size=n, p=_SURNAME_P)
    g1 = rng.choice(_GIVEN, size=n)
    g2 = rng.choice(_GIVEN, size=n)
    two = rng.random(n) < 0.7
    g2 = np.where(two, g2, "")
    return (np.char.add(np.char.add(sur, g1), g2)).tolist()


def phones(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` 11-digit mobile numbers as text (three-digit prefix + eight digits)."""
    pre = rng.choice(_PREFIX, size=n)
    tail = rng.integers(0, 100_000_000, size=n)
    return np.char.add(pre, np.char.zfill(tail.astype("U8"), 8)).tolist()


def person(r: random.Random) -> str:
    """One synthetic name from a ``random.Random``."""
    sur = r.choices([s for s, _ in SURNAMES], weights=[w for _, w in SURNAMES])[0]
    given = r.choice(GIVEN_CHARS) + (r.choice(GIVEN_CHARS) if r.random() < 0.7 else "")
    return sur + given


def phone(r: random.Random) -> str:
    """One 11-digit mobile number."""
    return r.choice(MOBILE_PREFIXES) + f"{r.randrange(100_000_000):08d}"


def landline(r: random.Random) -> str:
    """A Jinxiang office landline (area code 0537, eight digits)."""
    return f"0537-{r.choice('8876')}{r.randrange(1_000_000, 9_999_999):07d}"


# --- unified social credit code (GB 32100-2015) --------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(r: random.Random, region: str = "370828") -> str:
    """A well-formed 18-character 统一社会信用代码 for an enterprise in ``region``."""
    body = "91" + region + "".join(r.choice(_USCC_CHARS[:10] + "MA") for _ in range(2)) \
        + "".join(r.choice(_USCC_CHARS) for _ in range(7))
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


# --- places and compounds -------------------------------------------------------

STREET_COMMUNITY_WORDS = (
    "莲花", "金城", "奎星", "文峰", "金山", "书院", "南店子", "东关", "西关", "北关",
    "冯庄", "崇文", "金曼克", "翰林", "鸿儒", "胜利", "建设", "新华", "人民", "光明",
    "和平", "城东", "城南", "城西", "城北", "金源", "富民", "兴华", "锦华", "万福",
    "莱河", "太平", "营里", "康庄", "丰乐", "香城", "状元", "青山", "金华", "桃园",
)
VILLAGE_WORDS = (
    "王庄", "李楼", "张集", "刘庄", "周堂", "马集", "孙庄", "朱楼", "杨桥", "陈庄",
    "赵堂", "吴庄", "丁庄", "郭楼", "曹庄", "胡楼", "唐口", "宋集", "董庄", "苏楼",
    "侯庄", "韩集", "蔡庄", "彭庄", "孟楼", "任庄", "姜集", "魏楼", "田庄", "程集",
    "后屯", "前营", "大刘", "小李", "西吕", "东孙", "北杨", "南王", "卢桥", "贾楼",
)
ROADS = (
    "金山街", "中心街", "奎星路", "金城路", "文峰路", "莱河路", "建设路", "崇文大道",
    "金曼克大道", "鸿儒路", "冯庄街", "南店子街", "胜利路", "新华路", "金乡大道", "金珠路",
    "北环路", "南环路", "东环路", "西环路", "缗城路", "蒜都大道", "兴业路", "香城路",
)
TOWN_ROADS = ("人民路", "中心街", "政府路", "商贸街", "建设路", "文化路", "工业路", "振兴路")

LUXURY_HEADS = (
    "金城", "御景", "阳光", "翰林", "锦绣", "鸿儒", "金山", "奎星", "书香", "盛世",
    "泰和", "龙湖", "紫金", "华府", "帝景", "香榭", "滨河", "凤凰", "银河", "东方",
    "学府", "中央", "天悦", "明珠", "锦华", "金色", "蓝湾", "名仕", "盛泰", "嘉和",
    "康桥", "丽景", "御湖", "怡和", "君悦", "世纪", "春晖", "金辉", "瑞祥", "福地",
)
LUXURY_TAILS = (
    "花园", "湾", "名苑", "府", "华庭", "雅苑", "家园", "新城", "公馆", "御府",
    "嘉园", "尚城", "壹号", "国际", "豪庭", "水岸", "和院", "春天", "城", "悦府",
)
BRAND_PREFIXES = ("阳光城", "金乡", "鸿福", "中梁", "城投", "新城")
BRAND_TAILS = ("翡翠湾", "中央华府", "观澜", "壹号院", "锦园", "玖珑湾", "御湖", "云境")
WORK_UNITS = (
    "供销社", "县医院", "粮食局", "棉纺厂", "县一中", "农机公司", "税务局", "电业局",
    "二轻局", "食品公司", "化肥厂", "邮电局", "物资局", "交通局", "水利局", "农业银行",
    "工商银行", "酒厂", "纺织厂", "建筑公司", "外贸公司", "教育局", "人民法院", "卫生局",
)
TOWN_UNITS = ("供销社", "粮所", "卫生院", "中学", "信用社", "农机站", "兽医站", "政府", "食品站", "棉站")
OLD_HEADS = ("莲花", "金城", "南园", "东关", "西关", "北关", "奎星", "文峰", "鱼山",
             "胜利", "建设", "新华", "光明", "和平", "城南", "城北", "冯庄", "南店子")
RESETTLE_HEADS = ("鱼山", "王丕", "高河", "冯庄", "营里", "太平", "康庄", "丰乐",
                  "后屯", "前营", "富民", "幸福", "安居", "和谐", "惠民", "民安")
RESETTLE_TAILS = ("新村", "安置小区", "佳苑", "家园", "新居", "和园")
ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九")


def compound_name(r: random.Random, klass: str, place: str, town: bool) -> str:
    """A plausible compound name for class ``klass`` in ``place`` (a street or town name)."""
    root = place[:-2] if place.endswith("街道") else place.rstrip("镇")
    if klass == "商品房":
        if r.random() < 0.12:
            return f"{r.choice(BRAND_PREFIXES)}·{r.choice(BRAND_TAILS)}"
        head = root if town and r.random() < 0.5 else r.choice(LUXURY_HEADS)
        return head + r.choice(LUXURY_TAILS)
    if klass == "老旧小区":
        if town:
            return place + r.choice(TOWN_UNITS) + r.choice(("宿舍", "家属院"))
        if r.random() < 0.5:
            return r.choice(WORK_UNITS) + r.choice(("宿舍", "家属院", "小区"))
        return r.choice(OLD_HEADS) + r.choice(("小区", "新村", "南区", "北区"))
    if klass == "回迁安置小区":
        head = root if town or r.random() < 0.3 else r.choice(RESETTLE_HEADS)
        return head + r.choice(RESETTLE_TAILS)
    if town:
        return place + r.choice(TOWN_UNITS + WORK_UNITS[:4]) + r.choice(("宿舍", "宿舍楼", "家属楼"))
    return r.choice(("原", "县", "")) + r.choice(WORK_UNITS) + r.choice(("宿舍", "宿舍楼", "家属院", "家属楼"))


def unique(make, taken: set[str], tries: int = 12) -> str:
    """A name from ``make()`` not yet in ``taken`` (recorded there).

    Draws again a few times; when the pool runs dry (large demos) the name
    gets a phase suffix (二期, 三期, …) as real developments do.
    """
    name = make()
    for _ in range(tries):
        if name not in taken:
            break
        name = make()
    base, k = name, 1
    while name in taken:
        k += 1
        name = f"{base}{ORDINALS[k - 1]}期" if k <= len(ORDINALS) else f"{base}{k}期"
    taken.add(name)
    return name


PRIVATE_COMPANY_WORDS = (
    "恒安", "鑫源", "瑞丰", "安居", "宏达", "润泽", "佳和", "诚信", "绿城", "盛邦",
    "华润", "金鼎", "同创", "万家", "祥和", "明德", "信达", "圣源", "康宁", "德馨",
    "泰安", "金泽", "嘉诚", "百顺", "鲁信", "润华", "中建", "远洋", "汇丰", "永安",
    "海川", "众和", "昌盛", "银丰", "天成", "尚品", "宜居", "蓝天", "彩虹", "金桥",
)
COMPANY_REGIONS = (("金乡县", 6), ("济宁", 3), ("山东", 2))
