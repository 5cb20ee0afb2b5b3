"""Recording fee-adjustment statuses through the state machine on SQLite and PostgreSQL:
date/actor/reason kept, illegal changes refused with nothing written, scope walls, the
candidates query, the fee-status colour mode, and the demo's spread of statuses."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import db
from data.queries import fees
from data.schema import AuditLog, Complaint, Compound, Evaluation, FeeAdjustment
from data.scope import Scope, ScopeError
from policy.fees import TransitionError
from tests.places import two_townships


@pytest.fixture
def world(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with Session(engine) as s:
        ids, towns = [], []
        for i, (town, community) in enumerate(two_townships(s), start=1):
            towns.append(town)
            comp = Compound(code=f"X{i}", name=f"家园{i}", township_id=town, community_id=community, households=100,
                            compound_class="商品房", management_mode="专业化物业", fee_level=2,
                            fee_price=Decimal("1.30"), geometry=box(116.01 + i, 35.01, 116.02 + i, 35.02))
            s.add(comp)
            s.flush()
            ids.append(comp.id)
        s.add(Evaluation(compound_id=ids[0], quarter="2026-Q3", score=Decimal("75")))  # < 80 at 1.30 元
        s.add(Evaluation(compound_id=ids[1], quarter="2026-Q3", score=Decimal("95")))
        for n in range(3):  # exactly 3 per 100 households in 2026-Q3 for compound 2
            s.add(Complaint(order_no=f"N{n}", received_at=datetime(2026, 7 + n, 1), category="物业服务",
                            compound_id=ids[1], township_id=towns[1]))
        s.add(Complaint(order_no="late", received_at=datetime(2026, 10, 1), category="物业服务",
                        compound_id=ids[1], township_id=towns[1]))
        s.commit()
    yield {"engine": engine, "ids": ids, "towns": towns}
    engine.dispose()


def _rows(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(FeeAdjustment))


def test_a_full_raise_then_a_reduction_is_recorded(world):
    engine, cid = world["engine"], world["ids"][0]
    path = [("成本已公开", "甲物业", "公开成本"), ("表决中", "业委会", "书面表决 15 日"),
            ("已通过", "镇物业办", "双过半数同意"), ("降费评估中", "县住建局", "列入黑榜"),
            ("限期整改", "县住建局", "服务质量评价不合格，限期 30 日整改"),
            ("已降费", "县住建局", "评价不合格，下调 0.10 元")]
    for k, (status, actor, reason) in enumerate(path):
        row = fees.record_fee_status(engine, Scope(), cid, status, actor=actor, reason=reason,
                                     at=datetime(2026, 3 + k, 1, 9, 30))
        assert row.status == status and row.changed_at == datetime(2026, 3 + k, 1, 9, 30)
    history = fees.fee_history(engine, Scope(), compound_id=cid)
    assert list(history["status"]) == [p[0] for p in path][::-1]
    assert list(history["actor"])[-1] == "甲物业" and history["reason"].iloc[0].startswith("评价不合格")
    overview = fees.fee_overview(engine, Scope()).set_index("id")
    assert overview.loc[cid, "fee_status"] == "已降费" and overview.loc[world["ids"][1], "fee_status"] == "无"
    assert overview.loc[cid, "fee_level_label"] == "二级"
    with Session(engine) as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "status").order_by(AuditLog.id)).all()
    assert [a.detail["to"] for a in audit] == [p[0] for p in path] and audit[0].detail["from"] == "无"


@pytest.mark.parametrize("first, then, message", [
    (None, "已通过", "只有“表决中”"),
    ("成本已公开", "降费评估中", "表决结束"),
    (None, "已降费", "服务质量评价"),
    (None, "无", "状态未改变"),
])
def test_illegal_changes_are_refused_and_nothing_is_written(world, first, then, message):
    engine, cid = world["engine"], world["ids"][0]
    if first:
        fees.record_fee_status(engine, Scope(), cid, first, actor="甲", reason="r", at=date(2026, 1, 5))
    before = _rows(engine)
    with pytest.raises(TransitionError, match=message):
        fees.record_fee_status(engine, Scope(), cid, then, actor="甲", reason="r")
    assert _rows(engine) == before


@pytest.mark.parametrize("kw, message", [
    ({"actor": " "}, "经办人"), ({"reason": ""}, "理由"), ({"reason": "长" * 301}, "300"),
    ({"at": date(2025, 12, 31)}, "不能早于"),
])
def test_actor_reason_and_date_are_required(world, kw, message):
    engine, cid = world["engine"], world["ids"][0]
    fees.record_fee_status(engine, Scope(), cid, "成本已公开", actor="甲", reason="r", at=date(2026, 1, 1))
    args = dict(actor="乙", reason="开始表决", at=date(2026, 2, 1))
    args.update(kw)
    with pytest.raises(ValueError, match=message):
        fees.record_fee_status(engine, Scope(), cid, "表决中", **args)


def test_scope_wall_for_reads_and_writes(world):
    engine, (a, b), (t1, t2) = world["engine"], world["ids"], world["towns"]
    with pytest.raises(ScopeError):
        fees.record_fee_status(engine, Scope(t2), a, "成本已公开", actor="镇2", reason="r")
    fees.record_fee_status(engine, Scope(t1), a, "成本已公开", actor="镇1", reason="r")
    assert fees.fee_history(engine, Scope(t2)).empty
    assert list(fees.fee_overview(engine, Scope(t2))["id"]) == [b]


def test_reduction_candidates_query(world):
    engine, (a, b) = world["engine"], world["ids"]
    found = fees.reduction_candidates(engine, Scope(), "2026-Q3").set_index("compound_id")
    assert set(found.index) == {a, b}
    assert found.loc[a, "below_price"] and "质价不符" in found.loc[a, "reasons"]
    assert found.loc[b, "many_complaints"] and found.loc[b, "complaints"] == 3  # October is not in Q3
    assert found.loc[b, "complaints_per_100"] == 3.0
    from data import settings

    settings.set_value(engine, "fee_reduction_complaints_per_100", "3.01")
    assert set(fees.reduction_candidates(engine, Scope(), "2026-Q3")["compound_id"]) == {a}
    assert fees.reduction_candidates(engine, Scope(world["towns"][1]), "2026-Q3").empty


def test_status_counts_list_every_status(world):
    engine = world["engine"]
    fees.record_fee_status(engine, Scope(), world["ids"][0], "降费评估中", actor="县住建局", reason="黑榜")
    counts = fees.status_counts(fees.fee_overview(engine, Scope())).set_index("fee_status")["compounds"]
    assert counts["无"] == 1 and counts["降费评估中"] == 1 and counts["已降费"] == 0 and len(counts) == 9


def test_fee_status_colour_mode_has_a_colour_per_status():
    import pandas as pd

    from layers.colours import FEE_STATUS_COLOURS, colour_compounds
    from policy.fees import STATUSES

    df = pd.DataFrame({"fee_status": ["无", "表决中", "已降费", None]})
    fills, entries, title = colour_compounds(df, "fee_status")
    assert title == "物业费调价状态" and [label for _, label in entries] == list(STATUSES)
    assert list(fills) == [FEE_STATUS_COLOURS[s] for s in ("无", "表决中", "已降费", "无")]
    assert len(set(FEE_STATUS_COLOURS.values())) == len(STATUSES)
    fills, entries, _ = colour_compounds(pd.DataFrame({"name": ["a"]}), "fee_status")  # column not loaded
    assert entries == [("#bdbdbd", "无数据")]


def test_demo_has_a_spread_of_statuses_through_the_state_machine(tmp_path):
    from data.demo import build_demo

    engine = db.make_engine(f"sqlite:///{tmp_path}/demo.sqlite")
    db.migrate(engine)
    build_demo(engine, seed=3, compounds=200, complaints=3000)
    overview = fees.fee_overview(engine, Scope())
    shown = set(overview["fee_status"])
    assert {"无", "成本已公开", "表决中", "降费评估中"} <= shown and len(shown) >= 5
    assert (overview["fee_status"] != "无").mean() > 0.05
    # every recorded history obeys the state machine
    from policy.fees import check_transition

    history = fees.fee_history(engine, Scope()).iloc[::-1]
    for _, g in history.groupby("compound_id", sort=False):
        current = "无"
        for status in g.sort_values("changed_at")["status"]:
            check_transition(current, status)
            current = status
    engine.dispose()


def test_rectification_deadline_and_register_item(world):
    """限期整改 (000 §5(2)): a deadline, a register item, reduction only after it, the item then 已落实."""
    from data.queries import register as reg

    engine, cid = world["engine"], world["ids"][0]
    fees.record_fee_status(engine, Scope(), cid, "降费评估中", actor="县住建局", reason="列入黑榜",
                           at=datetime(2026, 3, 1, 9))
    fees.record_fee_status(engine, Scope(), cid, "限期整改", actor="县住建局", reason="评价不合格",
                           at=datetime(2026, 3, 2, 9))  # default 30 days → 2026-04-01
    item = reg.items(engine, Scope(), rules=["fee_rectification"], today=date(2026, 3, 5)).iloc[0]
    assert item["due_date"] == date(2026, 4, 1) and item["state"] == "待落实"
    with pytest.raises(TransitionError, match="期满重新评价"):
        fees.record_fee_status(engine, Scope(), cid, "已降费", actor="县住建局", reason="仍不合格",
                               at=datetime(2026, 3, 31, 9))
    fees.record_fee_status(engine, Scope(), cid, "已降费", actor="县住建局", reason="重新评价仍不合格",
                           at=datetime(2026, 4, 1, 9))
    item = reg.items(engine, Scope(), rules=["fee_rectification"], today=date(2026, 4, 2)).iloc[0]
    assert item["state"] == "已落实" and "已降费" in item["evidence_note"]
