"""Fee-adjustment procedures under way at the end of the demo window.

``records`` already writes quarterly evaluations for every served compound,
company credit grades per quarter and finished fee histories (raises voted on,
reductions made). This adds what a county sees in the current quarter: raise
procedures open (成本已公开, 表决中) and fee-reduction reviews (降费评估中)
started for this quarter's reduction candidates, so the fee map shows every
stage and the candidates list connects to it. Every change goes through
:func:`data.queries.fees.record_fee_status`, so the demo obeys the state machine.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Engine

from data.demo.util import month_start
from data.queries import compounds, latest_fee_status
from data.queries.evaluation import quarters
from data.queries.fees import reduction_candidates, record_fee_status
from data.scope import Scope
from data.vocab import MANAGEMENT_MODES

PRO = MANAGEMENT_MODES[0]
REVIEW_SHARE = 0.5      # of this quarter's candidates not yet under any procedure
DISCLOSE_SHARE = 0.06   # of professionally managed compounds without a procedure
VOTE_SHARE = 0.5        # of those, the vote has opened


def build_fee_procedures(engine: Engine, seed: int, end_month: str) -> dict:
    """Open raise procedures and reduction reviews in the last weeks before ``end_month`` ends."""
    r = random.Random(f"{seed}-fees")
    qs = quarters(engine)
    if not qs:
        return {"调价程序": 0}
    scope = Scope()
    end = month_start(end_month, 1)
    start = end - timedelta(days=75)
    latest = latest_fee_status(engine, scope).set_index("compound_id")
    status, last_at = latest["status"].to_dict(), latest["changed_at"].to_dict()
    frame = compounds(engine, scope)
    candidates = reduction_candidates(engine, scope, qs[-1])
    changes = 0

    def when(offset_days: int = 0) -> datetime:
        day = start + timedelta(days=r.randrange(45) + offset_days)
        return datetime(day.year, day.month, day.day, r.randint(8, 17), r.randrange(60))

    for row in candidates.itertuples(index=False):
        if status.get(row.compound_id, "无") in ("无", "已通过", "未通过") and r.random() < REVIEW_SHARE:
            at = when()
            before = last_at.get(row.compound_id)
            if before is not None and at <= before:
                at = before + timedelta(days=r.randint(20, 40))
            if at >= datetime(end.year, end.month, end.day):
                continue
            record_fee_status(engine, scope, row.compound_id, "降费评估中", actor="县住建局",
                              reason=f"列为降费管理候选（{qs[-1]}）：{row.reasons}"[:300], at=at)
            status[row.compound_id] = "降费评估中"
            changes += 1

    chosen = {int(c) for c in candidates["compound_id"]}
    for row in frame.itertuples(index=False):
        if (row.management_mode != PRO or row.company is None or row.id in chosen
                or status.get(row.id, "无") != "无" or r.random() >= DISCLOSE_SHARE):
            continue
        t0 = when()
        raise_pct = r.randint(8, 20)
        record_fee_status(engine, scope, row.id, "成本已公开", actor=row.company,
                          reason=f"公开近三年物业服务成本，人工及能耗成本上涨约{raise_pct}%，申请调整物业公共服务费",
                          at=t0)
        changes += 1
        if r.random() < VOTE_SHARE:
            record_fee_status(engine, scope, row.id, "表决中", actor=f"{row.community}居委会",
                              reason=f"组织业主大会书面表决，表决期 {r.choice((15, 20, 30))} 日",
                              at=t0 + timedelta(days=r.randint(7, 20)))
            changes += 1
    return {"调价程序": changes}
