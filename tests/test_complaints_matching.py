"""Work orders → compounds on a generated county (not the demo): polygons, points only, GCJ-02,
addresses, text, misspellings; method and confidence stored; learned aliases; 12345 categories.

The county is made here: two townships, 48 compounds with realistic names and street
addresses, ~400 m apart. Work orders are written as an Excel file the way a 12345 export
gives them and imported for real on SQLite and PostgreSQL.
"""
from __future__ import annotations

import random

import numpy as np
import openpyxl
import pytest
from shapely.geometry import Point, box
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.importers.complaints import import_complaints
from data.importers.matching import CompoundMatcher, name_variants, normalise
from data.queries import complaint_stats as cq
from data.queries.duties import category_map, set_category_map
from data.schema import Community, Complaint, Compound, CompoundAlias, Township
from data.scope import COUNTY
from geo.crs import wgs84_to_gcj02

NAMES = ["阳光水岸", "翡翠华庭", "盛世名门", "锦绣江南", "龙腾国际", "书香门第", "丽都花园", "湖畔人家",
         "东方明珠", "凤凰城", "御景湾", "紫荆公寓", "香榭丽舍", "泰和家园", "康乐小区", "富民新村",
         "新华苑", "振兴小区", "文昌府", "永安家园", "金色港湾", "银河湾", "碧桂园", "世纪花园",
         "幸福里", "和谐家园", "怡景苑", "鑫源小区", "天誉城", "滨河名居", "润德园", "海棠湾",
         "桃园新村", "春晓苑", "凯旋门", "尚品国际", "君悦府", "华夏新城", "锦江小区", "秀水苑",
         "学府花园", "中央公馆", "明湖小区", "绿城家园", "金秋小区", "奥体花园", "馨园小区", "建设小区"]
STREETS = ["建设路", "中山街", "人民路", "解放路", "青年路", "文化路", "光明街", "胜利路"]
HOMOPHONES = {"华": "花", "庭": "亭", "名": "明", "绣": "秀", "第": "弟", "榭": "谢", "景": "井", "岸": "按",
              "腾": "藤", "际": "集", "珠": "株", "园": "圆", "湾": "弯", "门": "们", "家": "佳", "国": "郭",
              "新": "欣", "城": "成", "水": "氺", "江": "疆", "秋": "球", "体": "提", "学": "雪", "中": "钟",
              "央": "秧", "绿": "律", "阳": "杨", "光": "广"}
TOWNS = [("卧龙山街道", box(116.20, 35.00, 116.30, 35.06)), ("纸坊镇", box(116.30, 35.00, 116.40, 35.06))]
CATEGORY = ["电梯安全", "社会生活噪声", "物业管理", "供水", "违章搭建"]


def build_county(engine, *, points_only: bool) -> dict[int, dict]:
    """Two townships and 48 compounds (polygons ~120 m, or points only); → {compound id: facts}."""
    out = {}
    with Session(engine) as s, s.begin():
        towns = []
        for i, (name, geom) in enumerate(TOWNS, start=1):
            t = Township(code=f"37082910{i}", name=name, kind="街道" if "街道" in name else "镇", geometry=geom)
            s.add(t)
            s.flush()
            c = Community(code=f"C{i}", township_id=t.id, name=f"{name[:2]}社区", geometry=geom)
            s.add(c)
            s.flush()
            towns.append((t, c))
        for k, name in enumerate(NAMES):
            t, c = towns[k % 2]
            row, col = divmod(k // 2, 6)
            lon = t.geometry.bounds[0] + 0.012 + col * 0.0045
            lat = 35.010 + row * 0.0045
            geom = Point(lon, lat) if points_only else box(lon - 0.0007, lat - 0.0006, lon + 0.0007, lat + 0.0006)
            address = f"{STREETS[k % len(STREETS)]}{100 + k}号"
            cp = Compound(code=f"X{k:03d}", name=name, address=address, township_id=t.id, community_id=c.id,
                          geometry=geom, compound_class="商品房", management_mode="专业化物业")
            s.add(cp)
            s.flush()
            out[cp.id] = {"name": name, "lon": lon, "lat": lat, "address": address, "town": t.name}
    return out


def misspell(name: str) -> str | None:
    """One homophone substituted in a name of four characters or more (None if none applies)."""
    if len(name) < 4:
        return None
    for i in range(len(name) - 1, -1, -1):
        if name[i] in HOMOPHONES:
            return name[:i] + HOMOPHONES[name[i]] + name[i + 1:]
    return None


HEADERS = ["工单编号", "受理时间", "诉求类型", "诉求内容", "小区名称", "事发地址", "所属区域", "经度", "纬度"]


def work_orders(county: dict[int, dict], *, seed: int = 5) -> tuple[list[list], dict[str, int | None]]:
    """Rows for the Excel file and the true compound of each order (None: names or locates none)."""
    rng = random.Random(seed)
    rows, truth = [], {}

    def add(kind, cid, *, content, name=None, address=None, lon=None, lat=None, town=None):
        no = f"W{len(rows):05d}{kind}"
        rows.append([no, f"2026-0{1 + len(rows) % 9}-1{len(rows) % 9} 09:30", CATEGORY[len(rows) % 5], content,
                     name, address, town, lon, lat])
        truth[no] = cid

    for cid, c in county.items():
        # GCJ-02 coordinates (as AMap gives them) inside the compound, 小区名称 too: the 196 orders
        jx, jy = rng.uniform(-0.0003, 0.0003), rng.uniform(-0.0003, 0.0003)
        glon, glat = wgs84_to_gcj02(c["lon"] + jx, c["lat"] + jy)
        add("G", cid, content="电梯坏了三天无人修", name=c["name"], lon=round(float(glon), 6),
            lat=round(float(glat), 6))
        # an address naming the compound after the township prefix, no coordinates
        add("A", cid, content="楼道灯不亮", address=f"嘉祥县{c['town']}{c['name']}{rng.randint(1, 20)}号楼")
        # the compound's street address only
        add("S", cid, content="门口垃圾堆放", address=f"{c['town']}{c['address']}")
        # only the complaint text names it
        add("T", cid, content=f"我是{c['name']}的业主，物业不作为，晚上噪音很大")
        bad = misspell(c["name"])
        if bad:
            add("M", cid, content="物业费太高", name=bad)
    for k in range(10):  # names or locates nothing: must stay unmatched, never guessed
        add("N", None, content="路灯不亮，请尽快维修", address=f"{STREETS[k % 8]}与{STREETS[(k + 3) % 8]}交叉口")
    return rows, truth


def write_xlsx(path, rows) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["嘉祥县 12345 政务服务便民热线工单导出"])  # a title row above the header, as exports have
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)


def stored(engine) -> dict[str, Complaint]:
    with Session(engine) as s:
        return {c.order_no: c for c in s.scalars(select(Complaint))}


@pytest.mark.parametrize("points_only", [False, True], ids=["polygons", "points"])
def test_orders_reach_their_compounds(engine, tmp_path, points_only):
    county = build_county(engine, points_only=points_only)
    rows, truth = work_orders(county)
    path = tmp_path / "工单.xlsx"
    write_xlsx(path, rows)
    report = import_complaints(engine, path, crs="gcj02")
    assert report.ok, report.error_lines()
    got = stored(engine)
    located = [no for no, cid in truth.items() if cid is not None]
    right = [no for no in located if got[no].compound_id == truth[no]]
    wrong = [no for no in located if got[no].compound_id not in (None, truth[no])]
    assert len(right) / len(located) >= 0.90, (len(right), len(located), wrong[:10])
    assert len(wrong) <= 0.02 * len(located)  # misses go to the queue, they are not guessed
    for no in truth:
        if truth[no] is None:
            assert got[no].compound_id is None and got[no].match_method == "未匹配"
    # the coordinates stage decides the GCJ-02 orders: polygon, or nearest point when compounds are points
    expected = "邻近" if points_only else "坐标"
    g = [got[no] for no in located if no.endswith("G")]
    assert sum(c.match_method == expected for c in g) / len(g) >= 0.95
    assert all(c.match_confidence is not None and 0.5 <= c.match_confidence <= 1 for c in g
               if c.match_method == expected)
    for suffix in "ASTM":  # orders without coordinates are matched by name or address
        cs = [got[no] for no in located if no.endswith(suffix) and got[no].compound_id is not None]
        assert cs and all(c.match_method == "地址" and 0.75 <= c.match_confidence <= 1 for c in cs), suffix
    assert report.related.get("按名称或地址匹配", 0) >= len(county) * 3


def test_coordinates_that_miss_still_read_the_name(engine, tmp_path):
    """GCJ-02 points imported as WGS-84 (500 m off, in gaps between compounds) still match by 小区名称."""
    county = build_county(engine, points_only=False)
    rows, truth = work_orders(county)
    rows = [r for r in rows if r[0].endswith("G")]
    for r in rows:  # push the point well clear of every compound: the coordinates alone would lose it
        r[7], r[8] = r[7] + 0.0022, r[8] + 0.0022
    path = tmp_path / "gcj.xlsx"
    write_xlsx(path, rows)
    assert import_complaints(engine, path, crs="wgs84").ok
    got = stored(engine)
    right = sum(got[r[0]].compound_id == truth[r[0]] for r in rows)
    assert right / len(rows) >= 0.90
    assert {got[r[0]].match_method for r in rows} == {"地址"}


@pytest.mark.parametrize(("text", "expected"), [
    ("翡翠华庭", "翡翠华庭"),                 # exact
    ("嘉祥县卧龙山街道翡翠华庭小区", "翡翠华庭"),  # county and township prefix, 小区 suffix
    ("翡翠华亭", "翡翠华庭"),                 # one homophone in four characters: score 75, the threshold
    ("ＦＦ翡翠华庭", "翡翠华庭"),              # full-width letters (NFKC) around it
    ("华庭", None),                          # two characters are too little to guess from
    ("阳光", None),
    ("银河湾小区", "银河湾"),
    ("胜利路147号", "建设小区"),               # the compound's street address
    ("胜利路146号", None),                    # a neighbouring number is another place: no fuzzy addresses
])
def test_name_stage_table(text, expected):
    from types import SimpleNamespace as N

    compounds = [N(id=i, name=n, township_id=1, address=f"{STREETS[i % 8]}{100 + i}号", geometry=None)
                 for i, n in enumerate(NAMES)]
    m = CompoundMatcher(compounds, prefixes=["嘉祥县", "卧龙山街道", "纸坊镇"], threshold=75)
    got = m.by_text([text])
    assert (NAMES[got.compound_id] if got.compound_id is not None else None) == expected, got


def test_suffix_variants_are_careful():
    assert name_variants("金城花园小区") == ["金城花园小区", "金城花园"]
    assert name_variants("幸福苑") == ["幸福苑"]  # "幸福" alone would match half the county
    assert name_variants("阳光水岸花园") == ["阳光水岸花园", "阳光水岸"]
    assert normalise(" 翡翠 华庭（一期）") == "翡翠华庭一期"


def test_nearest_limit_is_a_setting(engine):
    from data import settings

    county = build_county(engine, points_only=True)
    cid, c = next(iter(county.items()))
    m = CompoundMatcher([type("C", (), dict(id=cid, name=c["name"], township_id=1, address=None,
                                            geometry=Point(c["lon"], c["lat"])))],
                        nearest_m=float(settings.get(engine, "match_nearest_m")))
    east = lambda metres: c["lon"] + metres / (111_320 * np.cos(np.radians(c["lat"])))  # noqa: E731
    near, far = m.by_points([east(140), east(160)], [c["lat"], c["lat"]])
    assert (near.compound_id, near.method) == (cid, "邻近") and 0.5 <= near.confidence < 0.55
    assert far.compound_id is None


def test_queue_offers_candidates_and_learns_the_alias(engine, tmp_path):
    county = build_county(engine, points_only=False)
    target = next(cid for cid, c in county.items() if c["name"] == "翡翠华庭")
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["Q1", "2026-03-01 10:00", "物业管理", "物业不管事", "翡翠小区", None, None, None, None]])
    assert import_complaints(engine, path).ok
    queue = cq.unmatched(engine, COUNTY)
    assert list(queue["order_no"]) == ["Q1"]
    cands = cq.match_candidates(engine, COUNTY, "Q1")
    assert target in [c.compound_id for c in cands] and len(cands) <= 3
    cq.assign_compound(engine, COUNTY, "Q1", target, actor="housing", learn_alias=True)
    with Session(engine) as s:
        learned = s.scalars(select(CompoundAlias.alias).where(CompoundAlias.compound_id == target)).all()
    assert learned == ["翡翠小区"]
    # the next import matches that name by itself
    write_xlsx(path, [["Q2", "2026-03-02 10:00", "物业管理", "又没人管", "翡翠小区", None, None, None, None]])
    assert import_complaints(engine, path).ok
    q2 = stored(engine)["Q2"]
    assert (q2.compound_id, q2.match_method) == (target, "地址")
    # a wrong confirmation is taken back: the alias is forgotten (matches already made stay)
    learned = cq.learned_aliases(engine, COUNTY)
    assert list(learned["alias"]) == ["翡翠小区"] and list(learned["compound"]) == ["翡翠华庭"]
    cq.delete_alias(engine, COUNTY, int(learned["id"].iloc[0]), actor="housing")
    assert cq.learned_aliases(engine, COUNTY).empty and stored(engine)["Q2"].compound_id == target


def test_12345_categories_map_and_unknown_are_reported(engine, tmp_path):
    build_county(engine, points_only=False)
    rows = [["K1", "2026-03-01 10:00", "电梯安全", "电梯困人", "翡翠华庭", None, None, None, None],
            ["K2", "2026-03-01 11:00", "城乡建设-社会生活噪声", "楼上装修噪声", "银河湾", None, None, None, None],
            ["K3", "2026-03-01 12:00", "违章搭建", "楼顶违建", "银河湾", None, None, None, None],
            ["K4", "2026-03-01 13:00", "奇怪类别", "其他", "银河湾", None, None, None, None]]
    path = tmp_path / "c.xlsx"
    write_xlsx(path, rows)
    report = import_complaints(engine, path)
    assert report.ok
    got = stored(engine)
    assert [got[k].category for k in ("K1", "K2", "K3", "K4")] == ["电梯", "噪音扰民", "违法建设", "奇怪类别"]
    assert got["K1"].department == "市场监督管理局" and got["K3"].department == "综合行政执法局"
    assert any("奇怪类别" in line for line in report.note_lines())
    assert report.related["未知诉求类别"] == 1
    # the table is editable: map the unknown name, re-import, it is converted
    set_category_map(engine, "奇怪类别", "物业服务", actor=None)
    assert category_map(engine)["奇怪类别"] == "物业服务"
    report = import_complaints(engine, path)
    assert stored(engine)["K4"].category == "物业服务" and "未知诉求类别" not in report.related
    with pytest.raises(ValueError):
        set_category_map(engine, "x", "不存在的类别")


def test_heat_map_and_compound_colours_count_the_same_complaints(engine, tmp_path):
    from data import queries
    from data.scope import Period

    county = build_county(engine, points_only=False)
    rows, truth = work_orders(county)
    path = tmp_path / "h.xlsx"
    write_xlsx(path, rows)
    assert import_complaints(engine, path, crs="gcj02").ok
    period = Period.months("2026-01", "2026-12")
    per_compound = queries.complaint_counts(engine, COUNTY, period, by="compound").dropna(subset=["compound"])
    heat = queries.complaint_point_counts(engine, COUNTY, period)
    assert heat["count"].sum() == per_compound["count"].sum() > 0
    assert heat["count"].sum() == cq.point_counts(engine, COUNTY, period)["count"].sum()
    # an order matched by its address alone is drawn at its compound's centre
    cid, c = next((k, v) for k, v in county.items() if v["name"] == "翡翠华庭")
    near = heat[(abs(heat["lon"] - c["lon"]) < 0.0006) & (abs(heat["lat"] - c["lat"]) < 0.0006)]
    assert near["count"].sum() >= sum(1 for no, t in truth.items() if t == cid)


def test_an_exact_name_outweighs_a_point_in_another_compound(engine, tmp_path):
    """GCJ-02 points read as WGS-84 can fall in a neighbouring compound: the typed 小区名称 wins."""
    county = build_county(engine, points_only=False)
    ids = {v["name"]: k for k, v in county.items()}
    other = county[ids["银河湾"]]
    rows = [["P1", "2026-03-01 10:00", "物业管理", "漏水", "翡翠华庭", None, None, other["lon"], other["lat"]],
            ["P2", "2026-03-01 10:00", "物业管理", "漏水", "翡翠", None, None, other["lon"], other["lat"]]]
    path = tmp_path / "p.xlsx"
    write_xlsx(path, rows)
    report = import_complaints(engine, path, crs="wgs84")
    got = stored(engine)
    assert (got["P1"].compound_id, got["P1"].match_method) == (ids["翡翠华庭"], "地址")
    assert (got["P2"].compound_id, got["P2"].match_method) == (ids["银河湾"], "坐标")  # a vague name does not
    assert report.related["坐标与小区名称不一致"] == 1


@pytest.mark.parametrize(("address", "expected"), [
    ("卧龙山街道翡翠路", None),               # a road that shares the compound's first characters
    ("翡翠路与人民路交叉口", None),
    ("卧龙山街道翡翠华庭东门", "翡翠华庭"),
    ("卧龙山街道翡翠华亭3号楼", "翡翠华庭"),    # misspelt inside an address
])
def test_roads_named_like_a_compound_are_not_the_compound(address, expected):
    from types import SimpleNamespace as N

    compounds = [N(id=i, name=n, township_id=1, address=None, geometry=None) for i, n in enumerate(NAMES)]
    got = CompoundMatcher(compounds, prefixes=["卧龙山街道"]).by_text([None, address])
    assert (NAMES[got.compound_id] if got.compound_id is not None else None) == expected, got


def test_queue_offers_compounds_near_a_point_that_fell_between_them(engine, tmp_path):
    county = build_county(engine, points_only=False)
    ids = {v["name"]: k for k, v in county.items()}
    c = county[ids["翡翠华庭"]]
    # 200 m north of its centre: outside every polygon (they are ~130 m tall), no name given
    path = tmp_path / "n.xlsx"
    write_xlsx(path, [["N1", "2026-03-01 10:00", "物业管理", "垃圾没人清", None, None, None, c["lon"],
                       c["lat"] + 0.0018]])
    assert import_complaints(engine, path, crs="wgs84").ok
    assert stored(engine)["N1"].compound_id is None
    cands = cq.match_candidates(engine, COUNTY, "N1")
    assert cands and cands[0].compound_id == ids["翡翠华庭"] and 0 < cands[0].score < 100


def test_gcj02_orders_without_a_declared_crs_reach_their_compounds(engine, tmp_path):
    """The issue's 200 AMap orders: GCJ-02 points, no --crs, 小区名称 filled in. Whatever the datum
    detection decides, the point and the name together find the compound."""
    county = build_county(engine, points_only=False)
    rows, truth = work_orders(county, seed=9)
    rows = [r for r in rows if r[0].endswith("G")]
    path = tmp_path / "amap.xlsx"
    write_xlsx(path, rows)
    report = import_complaints(engine, path)
    assert report.ok, report.error_lines()
    got = stored(engine)
    right = sum(got[r[0]].compound_id == truth[r[0]] for r in rows)
    assert right / len(rows) >= 0.90 and report.related.get("未匹配", 0) <= 0.1 * len(rows)
