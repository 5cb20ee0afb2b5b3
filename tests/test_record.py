"""The compound record (小区档案) query on both backends: content, trend arithmetic, scope wall."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy.orm import Session

from data import db
from data.queries.record import (compound_record, find_compounds, list_entries, list_of, months_back,
                               ranking_place)
from data.schema import (
    Complaint, Compound, CreditGrade, EnforcementCase, Evaluation, FeeAdjustment,
    PropertyCompany,
)
from data.scope import Period, Scope, ScopeError
from tests.places import two_townships


@pytest.fixture
def world(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with Session(engine) as s:
        towns = two_townships(s)
        co = PropertyCompany(name="金乡物业<b>")
        s.add(co)
        s.flush()
        a = Compound(code="A", name="锦绣家园", aliases="锦绣小区", address="金乡县中心路1号",
                     township_id=towns[0][0], community_id=towns[0][1], households=200,
                     parking_spaces=100, compound_class="商品房", management_mode="专业化物业",
                     company_id=co.id, geometry=box(117, 35, 117.001, 35.001))
        b = Compound(code="B", name="幸福家园", address="鱼山路2号", township_id=towns[1][0],
                     community_id=towns[1][1], households=50, cars=80, parking_spaces=30,
                     compound_class="老旧小区", management_mode="无物业")
        s.add_all([a, b])
        s.flush()
        # 2025-10: 1 complaint, 2026-10: 3 complaints, 2026-09: 2 (one 电梯)
        for n, (when, cat) in enumerate([(datetime(2025, 10, 9), "物业服务"),
                                         (datetime(2026, 9, 1), "物业服务"),
                                         (datetime(2026, 9, 30, 23, 59), "电梯"),
                                         (datetime(2026, 10, 1), "物业服务"),
                                         (datetime(2026, 10, 15), "物业服务"),
                                         (datetime(2026, 10, 31, 23), "物业服务")]):
            s.add(Complaint(order_no=f"N{n}", received_at=when, category=cat, compound_id=a.id,
                            township_id=a.township_id, community_id=a.community_id))
        s.add_all([
            Evaluation(compound_id=a.id, quarter="2026-Q2", score=Decimal("90.00")),
            Evaluation(compound_id=a.id, quarter="2026-Q3", score=Decimal("59.99")),
            CreditGrade(company_id=co.id, quarter="2026-Q2", grade="AA"),
            CreditGrade(company_id=co.id, quarter="2026-Q3", grade="B"),
            FeeAdjustment(compound_id=a.id, status="成本已公开", changed_at=datetime(2026, 5, 1)),
            FeeAdjustment(compound_id=a.id, status="表决中", changed_at=datetime(2026, 6, 1)),
            EnforcementCase(case_no="ZF1", compound_id=a.id, township_id=a.township_id,
                            category="违法建设", department="综合行政执法局", step="制止",
                            opened_at=datetime(2026, 10, 2)),
        ])
        s.commit()
        ids = {"a": a.id, "b": b.id, "towns": towns}
    yield engine, ids
    engine.dispose()


def test_record_gathers_every_part(world):
    engine, ids = world
    r = compound_record(engine, Scope(), ids["a"], Period.months("2026-09", "2026-10"))
    assert r.profile["name"] == "锦绣家园" and r.profile["company"] == "金乡物业<b>"
    assert r.credit_grade == "B" and list(r.credit["quarter"]) == ["2026-Q3", "2026-Q2"]
    assert list(r.evaluations["list"]) == ["黑榜", "红榜"]  # 59.99 < 60; 90 ≥ 90
    assert r.fee_status == "表决中"
    assert list(r.cases["case_no"]) == ["ZF1"]
    assert dict(zip(r.categories["category"], r.categories["count"])) == {"物业服务": 4, "电梯": 1}
    # estimated cars: 0.8 × 200 = 160 against 100 spaces
    assert r.parking == {"spaces": 100, "households": 200, "cars": 160, "cars_estimated": True,
                         "shortage": 60}


def test_trend_is_24_months_against_the_year_before(world):
    engine, ids = world
    r = compound_record(engine, Scope(), ids["a"], Period.months("2026-10"))
    assert len(r.trend) == 24 and r.trend["month"].iloc[0] == "2024-11"
    row = r.trend.set_index("month").loc["2026-10"]
    assert (row["complaints"], row["last_year"]) == (3, 1)
    assert r.trend.set_index("month").loc["2025-10", "complaints"] == 1
    assert r.trend.set_index("month").loc["2026-09", "complaints"] == 2
    # before the first complaint of the data a month is unknown (不可比), never 0
    from data.queries.complaint_stats import data_from

    start = data_from(engine)
    trend = r.trend.set_index("month")
    before = [m for m in trend.index if m < start]
    assert before and trend.loc[before, "complaints"].isna().all()
    assert trend.loc[start:, "complaints"].notna().all()
    assert trend.loc["2026-10", "last_year"] == 1 and pd.isna(trend.loc[before[0], "last_year"])


def test_recorded_cars_beat_the_estimate(world):
    engine, ids = world
    r = compound_record(engine, Scope(), ids["b"], Period.months("2026-10"))
    assert r.parking["cars"] == 80 and not r.parking["cars_estimated"] and r.parking["shortage"] == 50
    assert r.credit_grade is None and r.fee_status == "无"


def test_a_township_cannot_open_another_townships_record(world):
    engine, ids = world
    other = Scope(ids["towns"][1][0])
    with pytest.raises(ScopeError):
        compound_record(engine, other, ids["a"], Period.months("2026-10"))
    assert compound_record(engine, other, ids["b"], Period.months("2026-10")).profile["name"] == "幸福家园"


def test_find_by_partial_name_alias_or_address(world):
    engine, ids = world
    assert list(find_compounds(engine, Scope(), "家园")["name"]) == ["幸福家园", "锦绣家园"]
    assert list(find_compounds(engine, Scope(), "锦绣小区")["id"]) == [ids["a"]]
    assert list(find_compounds(engine, Scope(), "鱼山路")["id"]) == [ids["b"]]
    assert find_compounds(engine, Scope(ids["towns"][1][0]), "锦绣").empty
    assert find_compounds(engine, Scope(), "  ").empty


@pytest.mark.parametrize("score, expected", [
    (Decimal("90"), "红榜"), (Decimal("89.99"), "—"), (Decimal("60"), "—"),
    (Decimal("59.99"), "黑榜"), (None, "—"),
])
def test_list_thresholds(score, expected):
    assert list_of(score, red_min=Decimal(90), black_below=Decimal(60)) == expected


def test_months_back_crosses_year_end():
    assert months_back("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_ranking_place_and_ladder_state(world):
    engine, ids = world
    # A alone has complaints: first in 2026-10 and in 2026-09 too → 2 months running
    r = compound_record(engine, Scope(), ids["a"], Period.months("2026-10")).ranking
    assert (r["month"], r["rank"], r["complaints"], r["ranked"]) == ("2026-10", 1, 3, 1)
    assert r["listed"] and r["consecutive_months"] == 2
    # every consequence, heaviest first: the list is published (通报) and the manager is replaced
    assert (r["action"], r["action_label"]) == ("replace_manager", "建议更换项目经理、通报")
    # 2026-09 was the first month of the run (2026-08 had none): published only
    r = ranking_place(engine, ids["a"], "2026-09")
    assert r["consecutive_months"] == 1 and r["action_label"] == "通报"
    # B has no complaints: no rank, not listed
    r = compound_record(engine, Scope(), ids["b"], Period.months("2026-10")).ranking
    assert r["rank"] is None and not r["listed"] and r["action_label"] == "未上榜"


@pytest.mark.parametrize("month", ["2026-08", "2026-09", "2026-10"])
@pytest.mark.parametrize("which", ["a", "b"])
def test_a_kept_county_ladder_gives_the_same_place(world, month, which):
    """Pages keep the month's county ladder and hand it to every record: same answer, no 36-month read."""
    from data.queries.complaint_stats import county_ladder

    engine, ids = world
    kept = county_ladder(engine, month)
    assert ranking_place(engine, ids[which], month, ladder=kept) == ranking_place(engine, ids[which], month)


def test_rank_outside_the_top_list_counts_the_whole_county(world):
    engine, ids = world
    from data import settings

    settings.set_value(engine, "ranking_top_n", 1)
    with Session(engine) as s:  # B gets 5 complaints in 2026-10, more than A's 3
        for n in range(5):
            s.add(Complaint(order_no=f"B{n}", received_at=datetime(2026, 10, 5 + n), category="物业服务",
                            compound_id=ids["b"], township_id=ids["towns"][1][0],
                            community_id=ids["towns"][1][1]))
        s.commit()
    r = ranking_place(engine, ids["a"], "2026-10")
    assert (r["rank"], r["listed"], r["top_n"], r["ranked"]) == (2, False, 1, 2)
    assert r["consecutive_months"] == 0 and r["action_label"] == "未上榜"
    # the other township sees A's place too: the ranking is county-wide, A's record is in scope
    assert compound_record(engine, Scope(ids["towns"][0][0]), ids["a"],
                           Period.months("2026-10")).ranking["rank"] == 2


def test_list_entries_say_what_follows(world):
    engine, ids = world
    r = compound_record(engine, Scope(), ids["a"], Period.months("2026-10"))
    assert list(r.lists["quarter"]) == ["2026-Q3", "2026-Q2"]
    black, red = r.lists.iloc[0], r.lists.iloc[1]
    assert (black["list"], black["black_count"], black["consequence"]) == ("黑榜", 1, "更换项目经理、媒体曝光")
    assert (red["list"], red["consequence"]) == ("红榜", "列入红榜，予以通报表扬")


@pytest.mark.parametrize("quarters, expected", [
    # (quarter, score) history → consequence of the newest black entry
    ([("2026-Q3", "50")], "更换项目经理、媒体曝光"),
    # a 2nd listing owes every consequence: the manager and exposure again, and the company
    ([("2026-Q2", "50"), ("2026-Q3", "50")], "更换项目经理、媒体曝光；启动更换物业企业程序"),
    ([("2024-Q3", "50"), ("2026-Q3", "50")], "更换项目经理、媒体曝光"),   # 9 quarters apart: outside 8
    ([("2024-Q4", "50"), ("2026-Q3", "50")], "更换项目经理、媒体曝光；启动更换物业企业程序"),  # 8 quarters: inside
    ([("2026-Q2", "95"), ("2026-Q3", "59.99")], "更换项目经理、媒体曝光"),
])
def test_black_list_consequence_by_history(quarters, expected):
    evaluations = pd.DataFrame({"quarter": [q for q, _ in quarters],
                                "score": [Decimal(s) for _, s in quarters]})
    evaluations["list"] = [list_of(s, red_min=Decimal(90), black_below=Decimal(60))
                           for s in evaluations["score"]]
    out = list_entries(evaluations.iloc[::-1], window=8)
    assert out.iloc[0]["quarter"] == "2026-Q3" and out.iloc[0]["consequence"] == expected


def test_list_entries_of_a_compound_never_listed():
    evaluations = pd.DataFrame({"quarter": ["2026-Q3"], "score": [Decimal("75")], "list": ["—"]})
    assert list_entries(evaluations, window=8).empty


def _item(s, compound_id, state, due, key):
    from data.schema import AccountabilityItem

    s.add(AccountabilityItem(trigger_key=key, rule="complaint_ladder", action="notify", subject_kind="compound",
                             subject_id=compound_id, subject_name="锦绣家园", period="2026-10",
                             responsible_unit="金乡物业", due_date=due, state=state,
                             created_at=datetime(2026, 11, 1)))


@pytest.mark.parametrize("today, overdue", [(date(2026, 12, 10), 0), (date(2026, 12, 11), 1)])
def test_record_facts_beside_the_map(world, today, overdue):
    """The panel beside a map: latest rating and list, fee status, credit, last check, open items."""
    from data.queries.inspection import TRUSTED
    from data.queries.record import record_facts
    from data.schema import SpotCheckDraw, SpotCheckResult

    engine, ids = world
    with Session(engine) as s:
        _item(s, ids["a"], "待落实", date(2026, 12, 10), "k1")
        _item(s, ids["a"], "已落实", date(2026, 12, 1), "k2")  # done: not open
        _item(s, ids["b"], "待落实", date(2026, 12, 1), "k3")  # another compound
        draw = SpotCheckDraw(drawn_at=datetime(2026, 11, 2), seed=1, scope="county", published=True)
        s.add(draw)
        s.flush()
        s.add(SpotCheckResult(draw_id=draw.id, compound_id=ids["a"], checked_at=date(2026, 11, 9),
                              verdict="不合格", rectification_due=date(2026, 12, 9)))
        s.commit()
    f = record_facts(engine, Scope(), ids["a"], today=today, viewer=TRUSTED)
    assert f.evaluation == {"quarter": "2026-Q3", "score": Decimal("59.99"), "list": "黑榜"}
    assert (f.fee_status, f.credit) == ("表决中", {"grade": "B", "quarter": "2026-Q3"})
    assert (f.last_check["verdict"], f.last_check["rectification_due"]) == ("不合格", date(2026, 12, 9))
    assert (f.open_items, f.overdue_items, f.open_cases) == (1, overdue, 1)
    b = record_facts(engine, Scope(), ids["b"], today=today)
    assert (b.evaluation, b.fee_status, b.credit, b.last_check, b.open_cases) == (None, "无", None, None, 0)
    with pytest.raises(ScopeError):
        record_facts(engine, Scope(ids["towns"][1][0]), ids["a"], today=today)
