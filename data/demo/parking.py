"""Staggered-parking resources (错时停车资源) near compounds short of spaces.

Offices, schools and hospitals, enterprises and malls near the city's most
car-crowded compounds share spaces at night; a few roads get night-time
temporary bays (short line strings). Some malls open only by day — they do
not cover the night and a parking plan must not count them.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from data.demo import names
from data.demo.places import STREETS, Places
from data.demo.registers import Compounds
from data.bulk import insert_bulk
from data.demo.util import rngs, to_wgs
from data.schema import ParkingResource

KINDS = ("机关", "事业单位", "企业", "商业配建", "道路夜间临时泊位")
KIND_P = (0.25, 0.25, 0.15, 0.15, 0.20)
UNITS = {
    "机关": ("县人民政府", "县住房和城乡建设局", "县财政局", "县人力资源和社会保障局", "县税务局",
             "县自然资源和规划局", "县市场监督管理局", "县行政审批服务局", "县人民法院", "县人民检察院",
             "县教育和体育局", "县卫生健康局", "县农业农村局", "县水务局"),
    "事业单位": ("县人民医院", "县中医院", "县妇幼保健院", "金乡一中", "金乡二中", "县实验小学",
                 "县第二实验小学", "县图书馆", "县文化馆", "县体育中心", "县职业中专", "县疾控中心"),
    "企业": ("国网金乡县供电公司", "中国移动金乡分公司", "金乡农商银行", "中国银行金乡支行",
             "金乡宾馆", "县自来水公司", "县热力公司", "金乡县城投集团", "金乡大蒜电商产业园"),
    "商业配建": ("金乡时代广场", "金乡百货大楼", "大蒜国际交易市场", "金乡华联商厦", "万福购物中心",
                 "金城商业街", "蒜都国际商贸城", "鸿儒国际广场", "奎星路农贸市场", "金山街步行街"),
}
CAPACITY = {"机关": (30, 150), "事业单位": (40, 200), "企业": (20, 100), "商业配建": (100, 600),
            "道路夜间临时泊位": (15, 60)}
ALL_DAY = ("00:00", "23:59")


def _hours(r, kind: str, unit: str) -> tuple[str, str, str, str, str]:
    """weekday opens/closes, weekend opens/closes, status — as such notices word them
    (工作日 18:00 至次日 07:30 开放，节假日全天开放). Hospitals and schools need their
    car parks early or late and so miss part of the residents' night; day-time
    malls miss it altogether: the plan must leave them out."""
    status = "可用" if r.random() < 0.9 else "暂停"
    if kind == "机关":
        return (r.choice(("18:00", "18:30", "19:00")), r.choice(("07:30", "07:30", "08:00")), *ALL_DAY, status)
    if kind == "事业单位":
        if "医院" in unit or "保健院" in unit or "疾控" in unit:
            return ("20:00", "07:00", "20:00", "07:00", status)
        if any(w in unit for w in ("一中", "二中", "小学", "中专")):  # schools: staff arrive before 07:30
            return ("18:30", r.choice(("07:00", "07:30")), *ALL_DAY, status)
        return (r.choice(("18:00", "18:30")), "07:30", *ALL_DAY, status)
    if kind == "企业":
        wk = (r.choice(("18:30", "19:00")), r.choice(("07:30", "08:00")))
        return (*wk, *(ALL_DAY if r.random() < 0.5 else wk), status)
    if kind == "商业配建":
        if r.random() < 0.35:  # daytime only: no help at night
            return ("09:00", "22:00", "08:30", "22:30", status)
        if r.random() < 0.5:
            return (*ALL_DAY, *ALL_DAY, status)
        return ("21:30", "08:30", "22:00", "09:00", status)
    # night-time road bays: 19:00 to 07:30 on weekdays, a lie-in at weekends; new ones await 综合执法局
    return ("19:00", "07:30", "19:00", "08:30", "可用" if r.random() < 0.6 else "待审批")


def build_parking(conn, seed: int, pl: Places, cs: Compounds, n_compounds: int) -> int:
    """Insert 44–80 parking resources near car-crowded urban compounds; return the count."""
    r, rng = rngs(seed, 5)
    total = max(44, min(80, n_compounds // 20))
    cars = np.where(cs.cars >= 0, cs.cars, cs.households * 0.7)
    short = np.maximum(cars - cs.parking, 0) * cs.lay.urban
    anchors_p = (short + 1.0) * cs.lay.urban
    anchors_p /= anchors_p.sum()
    quads = shapely.polygons(cs.lay.quads)
    tree = shapely.STRtree(quads)
    streets = shapely.union_all(pl.township_geoms[: len(STREETS)])
    shapely.prepare(streets)
    used: dict[str, int] = {}
    rows = []
    kinds = rng.choice(len(KINDS), total, p=KIND_P)
    for kind_i in kinds:
        kind = KINDS[kind_i]
        geom = None
        for _ in range(300):
            a = int(rng.choice(len(cs.ids), p=anchors_p))
            cen = cs.lay.quads[a].mean(axis=0)
            ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(120, 450)
            p = cen + dist * np.array([np.cos(ang), np.sin(ang)])
            if kind == "道路夜间临时泊位":
                half = rng.uniform(80, 200)
                d = np.array([1.0, 0.0]) if r.random() < 0.5 else np.array([0.0, 1.0])
                cand = LineString([p - half * d, p + half * d])
            else:
                cand = Point(p)
            if streets.contains(cand) and len(tree.query(cand, predicate="intersects")) == 0:
                geom = cand
                break
        if geom is None:
            continue
        if kind == "道路夜间临时泊位":
            road = r.choice(names.ROADS)
            cross = [x for x in names.ROADS if x != road]
            a, b = r.sample(cross, 2)
            name = f"{road}（{a}至{b}段）夜间临时泊位"
        else:
            unit = r.choice(UNITS[kind])
            used[unit] = used.get(unit, 0) + 1
            suffix = "停车场" if kind == "商业配建" else "院内停车场"
            name = unit + suffix if used[unit] == 1 else f"{unit}{('东', '西', '南', '北')[used[unit] % 4]}{suffix}"
        wo, wc, eo, ec, status = _hours(r, kind, name)
        t = next((k for k in range(len(STREETS)) if pl.township_geoms[k].intersects(geom)), None)
        lo, hi = CAPACITY[kind]
        contact = (f"{names.person(r)} {names.phone(r)}" if r.random() < 0.6
                   else f"{'综合行政执法局' if kind == '道路夜间临时泊位' else '办公室'} {names.landline(r)}")
        rows.append({"name": name, "owner_kind": kind, "township_id": pl.township_ids[t] if t is not None else None,
                     "geometry": to_wgs(geom), "capacity": int(rng.integers(lo, hi + 1)),
                     "weekday_opens": wo, "weekday_closes": wc, "weekend_opens": eo, "weekend_closes": ec,
                     "contact": contact, "status": status})
    return insert_bulk(conn, ParkingResource, rows)
