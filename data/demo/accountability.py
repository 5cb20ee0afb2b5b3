"""The accountability side of the demo: monthly township checks, assessment scores, the register.

Townships check most of their compounds each month (月检查, a few unannounced
visits and revisits), the county has township and department assessment
scores for the quarters before the latest one (the latest is still being
compiled, so its last place shows the labelled complaint stand-in), and the
register is synced for the last months with part of the items carried out.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from data.demo.util import month_start
from data.schema import AssessmentScore, Compound, MonthlyCheck, Township
from policy import ladders

DEPARTMENTS = ("住房和城乡建设局", "综合行政执法局", "市场监督管理局", "公安局", "自然资源和规划局")
RESULTS = ("合格", "合格", "合格", "限期整改")


def build_accountability(engine: Engine, seed: int, end_month: str) -> dict:
    r = random.Random(f"{seed}-accountability")
    with Session(engine) as s:
        towns = [tuple(x) for x in s.execute(select(Township.id, Township.name).order_by(Township.id))]
        comps = [tuple(x) for x in s.execute(select(Compound.id, Compound.township_id).order_by(Compound.id))]
    rows = []
    for k in (2, 1, 0):
        month = ladders.shift_month(end_month, -k)
        first = month_start(month)
        share = {t: r.uniform(0.55, 1.0) for t, _ in towns}
        for cid, tid in comps:
            if r.random() >= share[tid]:
                continue
            day = first + timedelta(days=r.randrange(25))
            rows.append({"compound_id": cid, "township_id": tid, "month": month, "checked_on": day,
                         "mode": "暗访" if r.random() < 0.15 else "明查", "revisit": r.random() < 0.1,
                         "result": r.choice(RESULTS), "note": None, "recorded_by": "镇街物业办",
                         "recorded_at": datetime(day.year, day.month, day.day, 17, 0)})
    quarter = ladders.last_complete_quarter(end_month)
    from policy.ratings import quarters_back

    scored = quarters_back(quarter, 4)[:-1]  # the latest quarter's assessment is still being compiled
    scores = []
    for q in scored:
        for tid, name in towns:
            scores.append({"unit_kind": "镇街", "unit_name": name, "township_id": tid, "quarter": q,
                           "score": Decimal(f"{r.uniform(72, 97):.1f}"), "recorded_by": "县考核办"})
        for name in DEPARTMENTS:
            scores.append({"unit_kind": "部门", "unit_name": name, "township_id": None, "quarter": q,
                           "score": Decimal(f"{r.uniform(75, 98):.1f}"), "recorded_by": "县考核办"})
    with engine.begin() as conn:
        if rows:
            conn.execute(insert(MonthlyCheck), rows)
        if scores:
            conn.execute(insert(AssessmentScore), scores)

    from data.queries import register as reg
    from policy import register as R

    today = month_start(end_month, 1) + timedelta(days=4)
    for k in (2, 1, 0):
        reg.sync_register(engine, ladders.shift_month(end_month, -k), today=today, force=True,
                          at=datetime(today.year, today.month, today.day, 8, 0))
    items = reg.items(engine, reg.COUNTY, today=today).sort_values("id")  # same order on every backend
    done = 0
    for item in items.itertuples():
        if item.state in (R.PENDING, R.OVERDUE) and item.period != end_month and r.random() < 0.6:
            reg.update_item(engine, reg.COUNTY, int(item.id), R.DONE, actor="县物业管理专班",
                            note=f"已按要求落实（{item.action_label}）",
                            at=datetime(today.year, today.month, today.day, 10, 0) - timedelta(days=r.randrange(3)))
            done += 1
    return {"月检查": len(rows), "考核成绩": len(scores), "问责台账": int(len(items)), "台账已落实": done}
