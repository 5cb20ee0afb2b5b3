"""12345 complaints (诉求), vectorised with numpy so half a million take seconds.

The expected count of every (compound, month, category) cell is a product of
a compound weight (size, class, company quality, random hot spots), the
township's year-on-year trend, a short burst for a few compounds, and the
category's share and seasonality adjusted to the compound (no lift → no lift
complaints; parking shortage → parking complaints). Records are sampled from
that table in one call, then dressed with times, texts and contacts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from data.demo import names
from data.demo.places import Places
from data.demo.registers import NONE, SELF, Companies, Compounds
from data.bulk import insert_bulk
from data.demo.util import cross2, month_start, rngs, xy_to_lonlat
from data.aggregates import refresh_all
from data.schema import Complaint
from data.vocab import COMPLAINT_CATEGORIES

# --- texts and routing: ``{n}`` is the compound name; ``镇街`` routes to the compound's own township ---

SHARES = {
    "物业服务": 0.22, "物业收费": 0.13, "停车管理": 0.12, "电梯": 0.045, "供水": 0.06,
    "供暖": 0.06, "供电": 0.03, "燃气": 0.02, "违法建设": 0.04, "占用绿地": 0.025,
    "消防通道": 0.025, "电动车充电": 0.03, "噪音扰民": 0.045, "饲养宠物": 0.03, "治安": 0.015,
    "垃圾清运": 0.045, "房屋质量": 0.035, "维修资金": 0.015, "装修": 0.02, "人防工程": 0.005,
}
assert tuple(SHARES) == COMPLAINT_CATEGORIES

# Month-of-year multipliers (1..12) where a category is seasonal.
SEASON = {
    "供暖": {11: 3.0, 12: 4.0, 1: 4.0, 2: 3.0, 3: 1.2, 10: 0.5, 4: 0.2, 5: 0.1, 6: 0.1, 7: 0.1, 8: 0.1, 9: 0.2},
    "供水": {5: 1.2, 6: 1.8, 7: 2.2, 8: 2.0, 9: 1.2, 1: 1.1, 12: 0.9, 2: 0.7, 3: 0.7, 4: 0.8, 10: 0.8, 11: 0.8},
    "供电": {6: 1.3, 7: 1.8, 8: 1.8, 1: 1.2, 12: 1.1},
    "噪音扰民": {6: 1.4, 7: 1.5, 8: 1.4, 5: 1.2},
    "停车管理": {1: 1.3, 2: 1.5, 10: 1.2},
    "物业收费": {12: 1.3, 1: 1.4},
    "垃圾清运": {7: 1.5, 8: 1.5, 2: 1.3},
    "饲养宠物": {4: 1.2, 5: 1.2, 6: 1.2, 7: 1.2, 8: 1.2, 9: 1.2},
    "电动车充电": {6: 1.3, 7: 1.4, 8: 1.3},
}

# Who handled each category, with the departments named as the duty matrix names them
# (policy.duties.DEFAULT_DUTIES): the matrix's department first, then what 12345 also sends.
ROUTING = {
    "物业服务": (("镇街", 85), ("住房和城乡建设局", 15)),
    "物业收费": (("市场监督管理局", 40), ("镇街", 30), ("发展和改革局", 30)),
    "停车管理": (("镇街", 60), ("综合行政执法局", 25), ("公安局", 15)),
    "电梯": (("市场监督管理局", 100),),
    "供水": (("供水企业", 100),),
    "供暖": (("供热企业", 100),),
    "供电": (("供电公司", 100),),
    "燃气": (("燃气企业", 100),),
    "违法建设": (("综合行政执法局", 85), ("自然资源和规划局", 15)),
    "占用绿地": (("综合行政执法局", 100),),
    "消防通道": (("消防救援大队", 70), ("公安局", 30)),
    "电动车充电": (("消防救援大队", 60), ("公安局", 40)),
    "噪音扰民": (("公安局", 100),),
    "饲养宠物": (("公安局", 100),),
    "治安": (("公安局", 100),),
    "垃圾清运": (("综合行政执法局", 60), ("环卫中心", 40)),
    "房屋质量": (("住房和城乡建设局", 100),),
    "维修资金": (("住房和城乡建设局", 100),),
    "装修": (("住房和城乡建设局", 60), ("综合行政执法局", 40)),
    "人防工程": (("人防办", 100),),
}

TEMPLATES = {
    "物业服务": ("反映{n}楼道卫生长期无人打扫，物业不作为，要求处理。",
                 "{n}单元门禁损坏多日，报修后物业迟迟不修。",
                 "{n}小区内路灯不亮、绿化无人养护，物业服务不到位。",
                 "{n}物业人员态度恶劣，报修电话无人接听。"),
    "物业收费": ("{n}物业费收费标准未公示，要求说明收费依据。",
                 "{n}物业公司擅自上调物业费，业主不认可。",
                 "{n}物业强制收取停车管理费，要求核实。",
                 "{n}公共收益去向不明，要求物业公开账目。"),
    "停车管理": ("{n}车位严重不足，夜间车辆乱停堵塞通道。",
                 "{n}外来车辆随意进入停放，物业不管理。",
                 "{n}地下车位只售不租，地面停车困难。",
                 "{n}门口道路夜间停车难，希望增设临时泊位。"),
    "电梯": ("{n}电梯频繁故障，多次困人，要求检修。",
             "{n}电梯年检标志过期，存在安全隐患。",
             "{n}电梯停运一周无人维修，老人上下楼困难。"),
    "供水": ("{n}突然停水未提前通知，要求尽快恢复。",
             "{n}高层水压低，夏季用水困难。",
             "{n}自来水发黄有异味。"),
    "供暖": ("{n}暖气不热，室温不足十六度。",
             "{n}供暖管道漏水，要求热力公司维修。",
             "{n}已缴纳取暖费但至今未供暖。"),
    "供电": ("{n}频繁停电，影响正常生活。",
             "{n}配电箱老化，存在安全隐患。"),
    "燃气": ("{n}燃气管道有异味，担心泄漏。",
             "{n}燃气表故障，要求燃气公司上门检修。"),
    "违法建设": ("{n}一楼住户私搭乱建扩建院落。",
                 "{n}顶楼住户违规搭建彩钢房。",
                 "{n}有人在公共区域私建车库。"),
    "占用绿地": ("{n}绿地被毁种菜，要求恢复绿化。",
                 "{n}绿化带被改成停车位。"),
    "消防通道": ("{n}消防通道被车辆长期占用。",
                 "{n}楼道堆放杂物堵塞安全出口。"),
    "电动车充电": ("{n}有住户飞线充电，存在火灾隐患。",
                   "{n}电动车在楼道内充电，无人制止。",
                   "{n}缺少电动车集中充电设施。"),
    "噪音扰民": ("{n}夜间装修噪音扰民。",
                 "{n}广场舞音响声音过大。",
                 "{n}小区门口商户噪音扰民。"),
    "饲养宠物": ("{n}有住户遛狗不拴绳，存在安全隐患。",
                 "{n}宠物粪便无人清理。"),
    "治安": ("{n}电动车多次被盗，监控损坏。",
             "{n}门岗无人值守，外来人员随意进出。"),
    "垃圾清运": ("{n}生活垃圾多日未清运，气味难闻。",
                 "{n}垃圾桶满溢无人处理。"),
    "房屋质量": ("{n}新交付房屋墙体开裂，开发商不予维修。",
                 "{n}屋顶渗水漏雨，要求维修。",
                 "{n}外墙保温层脱落。"),
    "维修资金": ("{n}维修资金使用不公开，要求查询余额。",
                 "{n}申请使用维修资金维修电梯，审批缓慢。"),
    "装修": ("{n}有住户装修拆改承重墙。",
             "{n}装修垃圾随意堆放。"),
    "人防工程": ("{n}人防车位被开发商出售，要求核实。",
                 "{n}人防工程内积水严重。"),
}
assert tuple(TEMPLATES) == COMPLAINT_CATEGORIES

# Compounds without a company (无物业 / 业主自管) complain about the lack of one.
NO_COMPANY_TEMPLATES = {
    "物业服务": ("{n}无物业管理，楼道垃圾堆积，要求社区协调引进物业。",
                 "{n}属于无人管理小区，路面破损、路灯不亮无人维修。",
                 "{n}没有物业，外来人员车辆随意进出，存在安全隐患。"),
    "物业收费": ("{n}有人以管理名义收取卫生费，要求核实收费依据。",
                 "{n}自管小组收费不公开，要求公示收支。"),
}

UNMATCHED_TEMPLATES = (
    "反映{p}附近道路积水严重。", "反映{p}附近小区物业问题，具体小区不详。",
    "{p}附近有人私搭乱建。", "反映{p}一带夜间停车困难。", "{p}附近垃圾堆放无人清理。",
)

MONTHS = 26
SHARE_ADDRESS_ONLY = 0.10
SHARE_UNMATCHED = 0.05
# Year-on-year ratios handed out to the 14 townships: some fall 30 %+, some rise.
YOY_RATIOS = (0.58, 0.64, 0.68, 0.72, 0.80, 0.86, 0.90, 0.95, 1.0, 1.06, 1.12, 1.18, 1.25, 0.76)
CATS = COMPLAINT_CATEGORIES


@dataclass
class ComplaintStats:
    """What the evaluation phase needs: complaints per compound and month."""

    per_compound_month: np.ndarray  # (n_compounds, MONTHS)
    months: list  # first day of each month
    count: int


def _profile(cs: Compounds, co: Companies, end_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Compound weights (n,) and category multipliers (n, categories)."""
    n = len(cs.ids)
    k = cs.lay.klass
    q = np.where(cs.company >= 0, co.quality[np.maximum(cs.company, 0)], 0.45)
    mode = np.array(cs.mode)
    w = cs.households.astype(float) ** 0.85
    w *= np.array([1.0, 1.3, 1.2, 1.4])[k]
    w *= np.exp(1.6 * (0.7 - q))
    w *= np.where(mode == NONE, 1.3, np.where(mode == SELF, 1.1, 1.0))
    prof = np.ones((n, len(CATS)))
    col = {c: i for i, c in enumerate(CATS)}
    cars = np.where(cs.cars >= 0, cs.cars, cs.households * 0.7)
    shortage = cars / np.maximum(cs.parking, 1)
    new = cs.year >= end_year - 5
    old = np.isin(k, (1, 3))
    prof[:, col["电梯"]] = np.where(cs.elevators > 0, 1.6, 0.0)
    prof[:, col["供暖"]] = np.where(cs.lay.urban, 1.0, 0.3) * np.where(old, 0.7, 1.0)
    prof[:, col["停车管理"]] = np.clip(0.5 + 0.8 * np.log1p(shortage), 0.4, 3.0)
    prof[:, col["物业服务"]] = np.where(q < 0.4, 1.6, 1.0) * np.where(mode == NONE, 0.7, 1.0)
    prof[:, col["物业收费"]] = np.where(q < 0.4, 1.4, 1.0) * np.where(mode == NONE, 0.2, 1.0) \
        * np.where(cs.fee_level == 4, 1.3, 1.0)
    prof[:, col["房屋质量"]] = np.where(new, 3.0, 1.0) * np.where(k == 2, 1.5, 1.0)
    prof[:, col["维修资金"]] = np.where(k == 0, 1.5, np.where(k == 3, 0.2, 1.0))
    prof[:, col["违法建设"]] = np.where(old, 1.5, 1.0)
    prof[:, col["电动车充电"]] = np.where(k == 0, 1.0, 1.8)
    prof[:, col["装修"]] = np.where(cs.year >= end_year - 8, 2.0, 0.6)
    prof[:, col["人防工程"]] = np.where((k == 0) & (cs.parking >= 200), 2.0, 0.3)
    return w, prof


def _points_in_quads(quads: np.ndarray, idx: np.ndarray, rng) -> np.ndarray:
    """One uniform point per ``idx`` inside its (convex) quad, kept 10 % clear of the edge."""
    a, b, c, d = (quads[idx, j] for j in range(4))
    area1 = np.abs(cross2(b - a, c - a))
    area2 = np.abs(cross2(c - a, d - a))
    second = rng.random(len(idx)) * (area1 + area2) > area1
    p1, p2 = np.where(second[:, None], c, b), np.where(second[:, None], d, c)
    u, v = rng.random(len(idx)), rng.random(len(idx))
    flip = u + v > 1
    u, v = np.where(flip, 1 - u, u), np.where(flip, 1 - v, v)
    pts = a + u[:, None] * (p1 - a) + v[:, None] * (p2 - a)
    cen = quads[idx].mean(axis=1)
    return cen + 0.9 * (pts - cen)


def _months(end_month: str) -> tuple[list, np.ndarray, np.ndarray]:
    starts = [month_start(end_month, k - MONTHS + 1) for k in range(MONTHS + 1)]
    days = np.array([(starts[k + 1] - starts[k]).days for k in range(MONTHS)])
    moy = np.array([s.month for s in starts[:MONTHS]])
    return starts, days, moy


def build_complaints(conn, seed: int, pl: Places, co: Companies, cs: Compounds,
                     n: int, end_month: str) -> ComplaintStats:
    """Sample and insert ``n`` complaints over the 26 months ending ``end_month``."""
    r, rng = rngs(seed, 3)
    starts, days, moy = _months(end_month)
    nc = len(cs.ids)
    w, prof = _profile(cs, co, starts[-1].year)

    hot = (np.isin(cs.lay.klass, (1, 3)) | (cs.company >= 0) & co.poor[np.maximum(cs.company, 0)]) \
        & (rng.random(nc) < 0.08)
    w = w * rng.gamma(2.0, 0.5, nc) * np.where(hot, 3.0, 1.0)
    ratios = rng.permutation(np.array(YOY_RATIOS[: len(pl.township_ids)]))
    t_idx = np.arange(MONTHS)
    trend = ratios[:, None] ** ((t_idx[None, :] - (MONTHS - 1) / 2) / 12.0)
    trend *= np.exp(rng.normal(0, 0.08, trend.shape))
    cm = w[:, None] * trend[cs.lay.township] * (days / 30.44)[None, :]
    burst = np.flatnonzero(rng.random(nc) < 0.04)  # a failed lift, a long water cut…
    at = rng.integers(0, MONTHS, len(burst))
    cm[burst, at] *= 4.0
    cm[burst, np.minimum(at + 1, MONTHS - 1)] *= 2.0
    season = np.ones((MONTHS, len(CATS)))
    for j, cat in enumerate(CATS):
        season[:, j] = [SEASON.get(cat, {}).get(int(m), 1.0) for m in moy]
    share = np.array([SHARES[c] for c in CATS])
    W = cm[:, :, None] * (share[None, :] * season)[None, :, :] * prof[:, None, :]

    n_un = int(round(n * SHARE_UNMATCHED))
    n_m = n - n_un
    cdf = np.cumsum(W.ravel())
    cell = np.searchsorted(cdf, rng.random(n_m) * cdf[-1], side="right")
    comp, month, cat = np.unravel_index(cell, W.shape)
    # Unmatched: month and category from the county-wide table, no compound.
    mc = W.sum(axis=0).ravel()
    ucell = np.searchsorted(np.cumsum(mc), rng.random(n_un) * mc.sum(), side="right")
    umonth, ucat = np.unravel_index(ucell, (MONTHS, len(CATS)))
    comp = np.concatenate([comp, np.full(n_un, -1)])
    month = np.concatenate([month, umonth])
    cat = np.concatenate([cat, ucat])

    # Times: day in month, mostly office and evening hours.
    day = (rng.random(n) * days[month]).astype(int)
    minute = np.where(rng.random(n) < 0.85, np.clip(rng.normal(630, 180, n), 420, 1380),
                      rng.uniform(0, 1440, n)).astype(int)
    base = np.array([np.datetime64(s, "s") for s in starts[:MONTHS]])
    recv = base[month] + (day * 86400 + minute * 60 + rng.integers(0, 60, n)).astype("timedelta64[s]")
    order = np.lexsort((np.arange(n), recv))
    comp, month, cat, recv = comp[order], month[order], cat[order], recv[order]

    matched = comp >= 0
    addr_only = matched & (rng.random(n) < SHARE_ADDRESS_ONLY / (1 - SHARE_UNMATCHED))
    coord = matched & ~addr_only
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    pts = _points_in_quads(cs.lay.quads, comp[coord], rng)
    x[coord], y[coord] = pts[:, 0], pts[:, 1]
    # Unmatched: township for some, and a point on a road (outside compounds) for a few.
    un_t = np.where(~matched & (rng.random(n) < 0.6),
                    rng.integers(0, len(pl.township_ids), n), -1)
    t_of = np.where(matched, cs.lay.township[np.maximum(comp, 0)], un_t)
    c_of = np.where(matched, cs.lay.community[np.maximum(comp, 0)], -1)
    un_pt = np.flatnonzero((un_t >= 0) & (rng.random(n) < 0.5))
    if len(un_pt):
        seats = np.array(pl.township_seats)[un_t[un_pt]]
        cand = seats + rng.normal(0, 900, (len(un_pt), 2))
        inside_c = np.zeros(len(un_pt), bool)
        hits = shapely.STRtree(shapely.polygons(cs.lay.quads)).query(
            shapely.points(cand), predicate="within")[0]
        inside_c[hits] = True
        keep = ~inside_c & np.array([pl.township_geoms[t].contains(shapely.Point(p))
                                     for t, p in zip(un_t[un_pt], cand)])
        x[un_pt[keep]], y[un_pt[keep]] = cand[keep, 0], cand[keep, 1]
    lon, lat = xy_to_lonlat(x, y)

    # Handling: slower for weak companies; the newest are still open.
    q = np.where(comp >= 0, np.where(cs.company[np.maximum(comp, 0)] >= 0,
                                     co.quality[np.maximum(cs.company[np.maximum(comp, 0)], 0)], 0.4), 0.5)
    handle_h = np.minimum(np.exp(rng.normal(np.log(60), 0.8, n)) * (1 + 1.5 * (1 - q)), 720)
    closed = recv + (handle_h * 3600).astype("timedelta64[s]")
    end = np.datetime64(starts[-1], "s")
    recent = recv > end - np.timedelta64(60, "D")
    u = rng.random(n)
    status = np.where(closed >= end, "办理中", np.where(recent & (u < 0.05), "办理中",
                                                      np.where(u > 0.985, "退回", "已办结")))
    p_bad = 0.04 + 0.3 * (1 - q)
    v = rng.random(n)
    sat = np.where(v < p_bad, "不满意", np.where(v < p_bad + 0.2, "基本满意", "满意"))
    sat = np.where((status == "已办结") & (rng.random(n) > 0.04), sat, None)

    rows = _rows(r, rng, pl, cs, comp, cat, recv, closed, status, sat, coord, lon, lat, t_of, c_of)
    insert_bulk(conn, Complaint, rows)
    refresh_all(conn)  # the monthly aggregates the overview reads, in the build's transaction
    per = np.zeros((nc, MONTHS), int)
    np.add.at(per, (comp[matched], month[matched]), 1)
    return ComplaintStats(per_compound_month=per, months=starts, count=n)


def _departments(rng, cat: np.ndarray, t_of: np.ndarray, pl: Places, bare: np.ndarray | None = None) -> list[str]:
    """Handling department per complaint, by the routing table of its category.

    ``bare``: complaints about a compound with no property company; their 物业服务 and
    停车管理 go to the compound's township (000 §1(3)2: 其他的由所在镇街牵头处理).
    """
    u = rng.random(len(cat))
    out = np.empty(len(cat), dtype=object)
    for j, c in enumerate(CATS):
        sel = np.flatnonzero(cat == j)
        opts = [d for d, _ in ROUTING[c]]
        cum = np.cumsum([wt for _, wt in ROUTING[c]], dtype=float)
        out[sel] = np.array(opts, dtype=object)[np.searchsorted(cum / cum[-1], u[sel], side="right")]
    if bare is not None:
        township_led = np.isin(cat, [CATS.index(c) for c in ("物业服务", "停车管理") if c in CATS])
        out[bare & township_led] = "镇街"
    local = out == "镇街"
    town_names = np.array(pl.township_names + ["住房和城乡建设局"], dtype=object)  # index −1: no township
    out[local] = town_names[t_of[local]]
    return out.tolist()


def _rows(r, rng, pl, cs, comp, cat, recv, closed, status, sat, coord, lon, lat, t_of, c_of) -> list[dict]:
    n = len(comp)
    day = recv.astype("datetime64[D]")
    first = np.r_[True, day[1:] != day[:-1]]
    seq = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0)) + 1
    order_no = np.char.add(np.char.add("JX", np.char.replace(np.datetime_as_string(day), "-", "")),
                           np.char.zfill(seq.astype("U5"), 5)).tolist()
    recv_l = recv.astype("datetime64[s]").tolist()
    closed_l = np.where(status == "已办结", closed.astype("datetime64[s]"), np.datetime64("NaT")).tolist()
    who = names.person_names(rng, n)
    tel = names.phones(rng, n)
    tpl_k = rng.integers(0, 12, n).tolist()
    bldg = rng.integers(0, 1000, n)
    dept = _departments(rng, cat, t_of, pl, (comp >= 0) & (cs.company[np.maximum(comp, 0)] < 0))
    lon_l = [None if v != v else v for v in np.round(lon, 7).tolist()]
    lat_l = [None if v != v else v for v in np.round(lat, 7).tolist()]
    cid = np.array([None] + list(cs.ids), dtype=object)[comp + 1].tolist()
    tid = np.array(pl.township_ids + [None], dtype=object)[t_of].tolist()
    mid = np.array(pl.community_ids + [None], dtype=object)[c_of].tolist()
    method = np.where(coord, "坐标", np.where(comp >= 0, "地址", "未匹配")).tolist()
    bno = (1 + bldg % cs.buildings[np.maximum(comp, 0)]).tolist()
    comp_l, cat_l, t_l = comp.tolist(), cat.tolist(), t_of.tolist()
    status_l, sat_l = status.tolist(), sat.tolist()
    no_co = (cs.company < 0).tolist()
    tpl_by = [(TEMPLATES[k], NO_COMPANY_TEMPLATES.get(k, TEMPLATES[k])) for k in CATS]
    roads, unmatched = names.ROADS, UNMATCHED_TEMPLATES
    rows = []
    for i in range(n):
        c, k = comp_l[i], tpl_k[i]
        if c >= 0:
            nm = cs.names[c]
            tpls = tpl_by[cat_l[i]][no_co[c]]
            content = tpls[k % len(tpls)].format(n=nm)
            address = f"{cs.addresses[c]}{nm}{bno[i]}号楼"
        else:
            t = t_l[i]
            place = (pl.township_names[t] if t >= 0 else "金乡县") + roads[k % len(roads)]
            content = unmatched[k % len(unmatched)].format(p=place)
            address = place if k % 3 else None
        rows.append({
            "order_no": order_no[i], "received_at": recv_l[i], "category": CATS[cat_l[i]],
            "content": content, "address": address, "lon": lon_l[i], "lat": lat_l[i],
            "compound_id": cid[i], "township_id": tid[i], "community_id": mid[i],
            "match_method": method[i], "department": dept[i], "status": status_l[i],
            "closed_at": closed_l[i], "satisfaction": sat_l[i],
            "complainant_name": who[i], "complainant_phone": tel[i],
        })
    return rows
