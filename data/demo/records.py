"""Quarterly evaluations, company credit grades, fee records and fee-adjustment histories.

Scores follow company quality and the compound's complaints in the quarter,
so the red/black lists, credit grades and complaint rankings tell one story.
Fee histories end at the price in the compound record: a passed vote raised
it to that price, a fee reduction (降费) lowered it to that price.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from data.demo.complaints import MONTHS, ComplaintStats
from data.demo.places import Places
from data.demo.registers import PRO, SELF, Companies, Compounds
from data.bulk import insert_bulk
from data.demo.util import money, month_start, rngs
from data.schema import CreditGrade, Evaluation, FeeAdjustment, FeeRecord

QUARTERS = 8
BLACK_BELOW = 60.0
GRADE_FLOORS = (("AAA", 90.0), ("AA", 82.0), ("A", 72.0), ("B", 62.0))


@dataclass
class Records:
    quarters: list[str]
    scores: np.ndarray  # (n_compounds, QUARTERS), nan when not evaluated
    counts: dict


def _quarters(stats: ComplaintStats) -> tuple[list[str], list[list[int]]]:
    """The last QUARTERS complete quarters and their month indices in the complaint window."""
    months = stats.months[:MONTHS]
    last = max(i for i, m in enumerate(months) if m.month % 3 == 0)
    out, idx = [], []
    for q in range(QUARTERS - 1, -1, -1):
        end = last - 3 * q
        m = months[end]
        out.append(f"{m.year}-Q{(m.month - 1) // 3 + 1}")
        idx.append([end - 2, end - 1, end])
    return out, idx


def _band(price: float) -> int:
    return 1 if price < 0.575 else 2 if price < 0.875 else 3 if price < 1.275 else 4


def _grade(score: float) -> str:
    return next((g for g, floor in GRADE_FLOORS if score >= floor), "C")


def build_records(conn, seed: int, pl: Places, co: Companies, cs: Compounds,
                  stats: ComplaintStats, end_month: str) -> Records:
    r, rng = rngs(seed, 4)
    n = len(cs.ids)
    quarters, qmonths = _quarters(stats)
    per_q = np.stack([stats.per_compound_month[:, m].sum(axis=1) for m in qmonths], axis=1)
    rate = np.log1p(100.0 * per_q / np.maximum(cs.households, 1)[:, None])
    z = (rate - rate.mean()) / (rate.std() or 1.0)
    served = cs.company >= 0
    q = co.quality[np.maximum(cs.company, 0)]
    score = 58 + 36 * q[:, None] + rng.normal(0, 4, (n, 1)) + rng.normal(0, 3, (n, QUARTERS)) - 5 * z
    score = np.clip(np.round(score * 2) / 2, 40, 100)
    score[~served] = np.nan
    sat = np.clip(score - 4 + rng.normal(0, 4, score.shape), 30, 99.5)

    ev_rows = []
    for i in np.flatnonzero(served):
        evaluator = f"{pl.township_names[cs.lay.township[i]]}物业办" if r.random() < 0.7 else "县住建局物业科"
        for j, qu in enumerate(quarters):
            ev_rows.append({"compound_id": cs.ids[i], "quarter": qu, "score": money(score[i, j]),
                            "satisfaction": money(sat[i, j]), "evaluator": evaluator})
    insert_bulk(conn, Evaluation, ev_rows)

    cg_rows = []
    for k, cid in enumerate(co.ids):
        mine = served & (cs.company == k)
        if not mine.any():
            continue
        for j, qu in enumerate(quarters):
            s = score[mine, j]
            val = float(np.clip(s.mean() - 15 * np.mean(s < BLACK_BELOW) + rng.normal(0, 1.5), 40, 100))
            cg_rows.append({"company_id": cid, "quarter": qu, "grade": _grade(val), "score": money(val)})
    insert_bulk(conn, CreditGrade, cg_rows)

    fee_rows, adj_rows = _fees(r, rng, pl, co, cs, score, end_month)
    insert_bulk(conn, FeeRecord, fee_rows)
    insert_bulk(conn, FeeAdjustment, adj_rows)
    return Records(quarters, score, {"季度考评": len(ev_rows), "信用等级": len(cg_rows),
                                     "收费记录": len(fee_rows), "调价记录": len(adj_rows)})


def _fees(r, rng, pl, co, cs, score, end_month) -> tuple[list[dict], list[dict]]:
    """Fee records for every charged compound, and adjustment status histories."""
    end = month_start(end_month, 1)
    window0 = month_start(end_month, -20)
    span = (end - window0).days
    black = np.nansum(score < BLACK_BELOW, axis=1)
    fee_rows, adj_rows = [], []

    def at(d0: date, days: int) -> date:
        return d0 + timedelta(days=days)

    for i in range(len(cs.ids)):
        price = cs.fee_price[i]
        if np.isnan(price):
            continue
        level = int(cs.fee_level[i]) or None
        tname = pl.township_names[cs.lay.township[i]]
        comp = co.names[cs.company[i]] if cs.company[i] >= 0 else None
        reduce = black[i] >= 2 and r.random() < 0.6
        raise_ = (not reduce and cs.mode[i] == PRO and cs.lay.klass[i] in (0, 1)
                  and price >= 0.45 and r.random() < 0.09)
        hist, old_price, new_from = [], price, None
        if raise_ or reduce:
            t0 = at(window0, r.randrange(span) if raise_ else r.randrange(span // 2, span))
            body = cs.owners_body[i]
            organiser = (f"{pl.community_names[cs.lay.community[i]]}居委会" if body == "居委会代行"
                         else f"{cs.names[i]}{body}" if body != "无" else f"{tname}物业办")
            hist, old_price, new_from = _adjustment(r, raise_, t0, end, price, comp, tname,
                                                    organiser, int(black[i]))
        start_year = max(int(cs.year[i]) + 1, 2012)
        first = min(date(start_year, r.randint(1, 12), 1), month_start(end_month, -r.randint(3, 24)))
        if new_from is not None:
            first = min(first, date(new_from.year - 1, new_from.month, 1))
        if cs.mode[i] == SELF:
            note = "业主大会决定自行管理，收费标准由业主共同议定"
        elif cs.year[i] >= 2012:
            note = "前期物业服务合同约定（按政府指导价备案）"
        else:
            note = "按政府指导价分级定价备案"
        if new_from is not None:
            fee_rows.append(_fee(cs.ids[i], first, old_price, level and _band(old_price), note))
            fee_rows.append(_fee(cs.ids[i], new_from, price, level,
                                 "业主表决通过调价" if old_price < price else "降费管理，下调收费标准"))
        elif (level and r.random() < 0.25 and price >= 0.40 and first.year < 2022
              and (mid := date(r.randint(max(first.year + 1, 2019), 2023), r.randint(1, 12), 1)) < end):
            low = round(price - 0.05 * r.randint(1, 3), 2)
            fee_rows.append(_fee(cs.ids[i], first, low, _band(low), note))
            fee_rows.append(_fee(cs.ids[i], mid, price, level, "物业服务等级重新评定"))
        else:
            fee_rows.append(_fee(cs.ids[i], first, price, level, note))
        for d, status, actor, reason in hist:
            adj_rows.append({"compound_id": cs.ids[i], "status": status, "actor": actor, "reason": reason,
                             "changed_at": _office_time(d, rng)})
    return fee_rows, adj_rows


def _next_month(d: date) -> date:
    d = date(d.year, d.month, 1) + timedelta(days=32)
    return date(d.year, d.month, 1)


def _adjustment(r, up: bool, t0: date, end: date, price: float, company, tname: str,
                organiser: str, black: int) -> tuple[list, float, date | None]:
    """Status history of one fee raise (up) or reduction, ending at today's ``price``.

    Returns the history cut at ``end``, the price before the change and the date
    the new price took effect (None when no change is in force by ``end``).
    """
    delta = 0.05 * r.randint(2, 6 if up else 5)
    office = f"{tname}物业办"
    if up:
        t1 = t0 + timedelta(days=r.randint(10, 25))
        t2 = t1 + timedelta(days=r.randint(30, 45))
        passed = r.random() < 0.6
        applied = passed and _next_month(t2) < end
        old, new = (max(round(price - delta, 2), 0.30), price) if applied else (price, round(price + delta, 2))
        a, b = r.uniform(66.8, 92), r.uniform(66.8, 92)
        hist = [(t0, "成本已公开", company, f"公开近三年物业服务成本，人工及能耗成本上涨约{r.randint(8, 25)}%，"
                 f"申请将物业费由{old:.2f}元/㎡·月调整为{new:.2f}元/㎡·月"),
                (t1, "表决中", organiser, f"业主大会书面表决，表决期{r.choice((15, 20, 30))}日")]
        if passed:
            c, d = r.uniform(50.5, 85), r.uniform(50.5, 85)
            hist.append((t2, "已通过", office, f"参与表决专有部分面积占比{a:.1f}%、人数占比{b:.1f}%；同意面积占比"
                         f"{c:.1f}%、人数占比{d:.1f}%（均过半数），表决通过，自{_next_month(t2):%Y-%m-%d}起执行"))
        elif r.random() < 0.5:
            hist.append((t2, "未通过", office, f"参与表决专有部分面积占比{r.uniform(45, 66):.1f}%，未达三分之二，表决无效"))
        else:
            hist.append((t2, "未通过", office, f"参与表决面积占比{a:.1f}%、人数占比{b:.1f}%；同意面积占比"
                         f"{r.uniform(30, 50):.1f}%、人数占比{r.uniform(30, 50):.1f}%，未过半数"))
        last = t2
    else:
        t1 = t0 + timedelta(days=r.randint(30, 60))
        reduced = r.random() < 0.75
        tr = t0 + timedelta(days=10)  # 限期整改 first (金乡 §5(2)); the reduction only after its 30 days
        t1 = max(t1, tr + timedelta(days=30)) if reduced else t1
        applied = reduced and _next_month(t1) < end
        old, new = (round(price + delta, 2), price) if applied else (price, max(round(price - delta, 2), 0.30))
        hist = [(t0, "降费评估中", "县住建局",
                 f"{black}个季度列入黑榜，服务质量与收费标准不符（质价不符），启动服务质量评价")]
        if reduced:
            hist.append((tr, "限期整改", "县住建局", "服务质量评价不合格，限期 30 日整改，到期重新评价"))
            hist.append((t1, "已降费", "县住建局、县发改局", f"整改期满重新评价仍不合格，物业费由{old:.2f}元/㎡·月"
                         f"下调至{new:.2f}元/㎡·月，自{_next_month(t1):%Y-%m-%d}起执行"))
        last = t1
    hist = [h for h in hist if h[0] < end]
    return hist, (old if applied else price), (_next_month(last) if applied else None)


def _fee(cid, d, price, level, note) -> dict:
    return {"compound_id": cid, "effective_date": d, "fee_level": level, "fee_price": money(price), "note": note}


def _office_time(d: date, rng) -> datetime:
    return datetime(d.year, d.month, d.day, int(rng.integers(8, 18)), int(rng.integers(0, 60)))
