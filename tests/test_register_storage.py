"""问责台账 on SQLite and PostgreSQL: created once per trigger, withdrawn after a correction,
restored when the trigger returns, overdue past the due date, township scope in the data layer."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import audit, db
from data.queries import register as reg
from data.schema import AccountabilityEvent, AccountabilityItem, Complaint, Compound, PropertyCompany
from data.scope import Scope, ScopeError
from policy import register as R
from tests.places import two_townships


class Account:  # the shape of data.auth.Account that authorize() reads
    def __init__(self, username, role, township_id=None):
        self.username, self.role, self.display_name = username, role, username
        self.scope = Scope(township_id)


@pytest.fixture
def world(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with Session(engine) as s:
        towns = two_townships(s)
        co = PropertyCompany(name="金乡物业")
        s.add(co)
        s.flush()
        a = Compound(code="A", name="锦绣家园", address="中心路1号", township_id=towns[0][0],
                     community_id=towns[0][1], households=200, compound_class="商品房",
                     management_mode="专业化物业", company_id=co.id, geometry=box(117, 35, 117.001, 35.001))
        b = Compound(code="B", name="幸福家园", address="鱼山路2号", township_id=towns[1][0],
                     community_id=towns[1][1], households=50, compound_class="老旧小区", management_mode="业主自管")
        s.add_all([a, b])
        s.flush()
        n = 0
        # complete data from 2025-01; township 1 rises in 2026-08, -09, -10 (3 running), township 2 flat
        for month in range(1, 13):
            for cid, tid, per in ((a.id, towns[0][0], 1), (b.id, towns[1][0], 1)):
                for _ in range(per):
                    s.add(Complaint(order_no=f"N{n}", received_at=datetime(2025, month, 5), category="物业服务",
                                    compound_id=cid, township_id=tid, community_id=None))
                    n += 1
        for month in range(1, 11):
            for cid, tid, per in ((a.id, towns[0][0], 3 if month >= 8 else 1), (b.id, towns[1][0], 1)):
                for _ in range(per):
                    s.add(Complaint(order_no=f"N{n}", received_at=datetime(2026, month, 5), category="物业服务",
                                    compound_id=cid, township_id=tid, community_id=None))
                    n += 1
        s.commit()
        ids = {"a": a.id, "b": b.id, "t1": towns[0][0], "t2": towns[1][0]}
    yield engine, ids
    engine.dispose()


def _count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(AccountabilityItem))


def test_items_are_created_once_per_trigger(world):
    engine, ids = world
    first = reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    n = _count(engine)
    assert first["created"] == n > 0
    again = reg.sync_register(engine, "2026-10", today=date(2026, 11, 2), force=True)
    assert again["created"] == 0 and _count(engine) == n  # re-running the month never duplicates
    town = reg.items(engine, Scope(), period="2026-10", rules=["township_ladder"], today=date(2026, 11, 2))
    mine = town[town["township_id"] == ids["t1"]]
    # every consequence: three rises running → talk; the largest rise 2 months → commitment; reminder
    assert set(mine["action"]) == {"collective_talk", "public_commitment", "reminder"}
    assert (mine["state"] == R.PENDING).all()
    assert mine.set_index("action").loc["public_commitment", "responsible_unit"].endswith("党（工）委")
    top = reg.items(engine, Scope(), period="2026-10", rules=["complaint_ladder"], today=date(2026, 11, 2))
    assert "notify" in set(top["action"])


def test_a_correction_withdraws_and_a_return_restores(world):
    engine, ids = world
    reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    # correction: the 2026-10 complaints of township 1 were another county's (deleted)
    with Session(engine) as s:
        extra = s.scalars(select(Complaint).where(Complaint.township_id == ids["t1"],
                                                  Complaint.received_at == datetime(2026, 10, 5))).all()
        saved = [(c.order_no, c.received_at, c.category, c.compound_id, c.township_id) for c in extra]
        for c in extra:
            s.delete(c)
        s.commit()
    out = reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    assert out["withdrawn"] >= 1
    talk = reg.items(engine, Scope(), period="2026-10", rules=["township_ladder"], today=date(2026, 11, 2))
    gone = talk[(talk["township_id"] == ids["t1"]) & (talk["action"] == "collective_talk")].iloc[0]
    assert gone["state"] == R.WITHDRAWN and R.AUTO_WITHDRAWN in gone["reason"]
    with Session(engine) as s:
        s.add_all([Complaint(order_no=o, received_at=t, category=c, compound_id=cid, township_id=tid)
                   for o, t, c, cid, tid in saved])
        s.commit()
    back = reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    assert back["restored"] >= 1 and back["created"] == 0
    talk = reg.items(engine, Scope(), period="2026-10", rules=["township_ladder"], today=date(2026, 11, 2))
    row = talk[(talk["township_id"] == ids["t1"]) & (talk["action"] == "collective_talk")].iloc[0]
    assert row["state"] == R.PENDING
    hist = reg.item_history(engine, Scope(), int(row["id"]))
    assert hist["to_state"].tolist() == [R.PENDING, R.WITHDRAWN, R.PENDING]


@pytest.mark.parametrize("today, state", [(date(2026, 11, 10), R.PENDING), (date(2026, 11, 11), R.OVERDUE)])
def test_overdue_after_the_due_date(world, today, state):
    engine, ids = world
    reg.sync_register(engine, "2026-10", today=date(2026, 11, 1))
    # 工作提醒: 10 days (register_days_notice) after 2026-10-31 → due 2026-11-10 inclusive
    rows = reg.items(engine, Scope(), period="2026-10", rules=["township_ladder"], today=today)
    reminder = rows[(rows["township_id"] == ids["t1"]) & (rows["action"] == "reminder")].iloc[0]
    assert reminder["due_date"] == date(2026, 11, 10) and reminder["state"] == state


def test_township_sees_and_updates_only_its_own_items(world):
    engine, ids = world
    reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    mine, other = Scope(ids["t1"]), Scope(ids["t2"])
    t1 = Account("t1user", "township", ids["t1"])
    seen = reg.items(engine, mine, today=date(2026, 11, 2))
    assert len(seen) and set(seen["township_id"]) == {ids["t1"]}
    theirs = reg.items(engine, Scope(), today=date(2026, 11, 2))
    theirs = theirs[theirs["township_id"] == ids["t2"]]
    item = int(seen["id"].iloc[0])
    with pytest.raises(R.RegisterError, match="落实情况"):
        reg.update_item(engine, mine, item, R.DONE, actor=t1)
    reg.update_item(engine, mine, item, R.DONE, actor=t1, note="已于11月5日在县电视台公开承诺")
    assert reg.items(engine, mine, today=date(2026, 11, 2)).set_index("id").loc[item, "state"] == R.DONE
    if len(theirs):
        with pytest.raises(ScopeError):
            reg.update_item(engine, mine, int(theirs["id"].iloc[0]), R.DONE, actor=t1, note="x")
    with pytest.raises(ScopeError):  # the actor's own jurisdiction is the wall, whatever scope is passed
        reg.update_item(engine, other, item, R.PENDING, actor=t1, note="x")
    with pytest.raises(PermissionError):
        reg.update_item(engine, mine, item, R.PENDING, actor=Account("c", "community", ids["t1"]), note="x")
    log = audit.entries(engine, username="t1user")
    assert (log["action"] == "edit").any() and "问责台账" in log["target"].iloc[0]
    with Session(engine) as s:
        assert s.scalar(select(AccountabilityEvent.username).where(AccountabilityEvent.item_id == item)
                        .order_by(AccountabilityEvent.id.desc())) == "t1user"


def test_summary_and_scores_and_checks(world):
    engine, ids = world
    reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    summary = reg.summary_by_township(engine, Scope(), periods=["2026-10"], today=date(2026, 11, 2)).set_index(
        "township_id")
    assert summary.loc[ids["t1"], "owed"] >= 3 and summary.loc[ids["t1"], "done"] == 0
    reg.record_score(engine, "镇街", _town_name(engine, ids["t1"]), "2026-Q3", "88", actor="housing")
    reg.record_score(engine, "镇街", _town_name(engine, ids["t2"]), "2026-Q3", "91.5", actor="housing")
    q = reg.township_scores(engine)
    assert len(q) == 2
    from data.queries import complaint_stats as cs

    table = cs.township_quarter_ranking(engine, Scope(), "2026-Q3").set_index("township_id")
    assert table.loc[ids["t1"], "basis"] == "score" and table.loc[ids["t1"], "last_place"]
    assert not table.loc[ids["t2"], "last_place"]
    reg.record_check(engine, Scope(ids["t1"]), ids["a"], date(2026, 10, 8), actor="镇街", mode="暗访", revisit=True)
    cov = reg.check_coverage(engine, Scope(), "2026-10").set_index("township_id")
    assert (cov.loc[ids["t1"], "checked"], cov.loc[ids["t1"], "share"]) == (1, 1.0)
    assert cov.loc[ids["t1"], "unannounced"] == 1 and cov.loc[ids["t1"], "revisits"] == 1
    assert cov.loc[ids["t2"], "checked"] == 0
    with pytest.raises(ScopeError):
        reg.record_check(engine, Scope(ids["t1"]), ids["b"], date(2026, 10, 8), actor="镇街")


def _town_name(engine, tid):
    from data.schema import Township

    with Session(engine) as s:
        return s.get(Township, tid).name


def test_township_scores_import_writes_all_or_nothing(world, tmp_path):
    """python -m data import township-scores: a real xlsx with a title row; a bad row writes nothing."""
    import openpyxl

    from data.importers.township_scores import import_township_scores

    engine, ids = world
    t1, t2 = _town_name(engine, ids["t1"]), _town_name(engine, ids["t2"])

    def book(rows, name):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["2026年第三季度镇街和部门考核成绩"])
        ws.append(["单位名称", "单位类型", "季度", "考核成绩"])
        for r in rows:
            ws.append(r)
        path = tmp_path / name
        wb.save(path)
        return path

    bad = book([[t1, "镇街", "2026年第三季度", 88], ["不存在镇", "镇街", "2026-Q3", 90]], "bad.xlsx")
    report = import_township_scores(engine, bad, actor="housing")
    assert not report.ok and "不存在镇" in " ".join(report.error_lines()) and reg.township_scores(engine) is None
    good = book([[t1, "镇街", "2026年第三季度", 88], [t2, None, "2026-Q3", "91.5"],
                 ["住房和城乡建设局", "部门", "2026Q3", 95]], "good.xlsx")
    report = import_township_scores(engine, good, actor="housing")
    assert report.ok and report.created == 3, report.error_lines()
    got = reg.scores(engine, quarter="2026-Q3").set_index("unit_name")
    assert got.loc[t2, "unit_kind"] == "镇街" and got.loc[t2, "score"] == 91.5  # a township's name → 镇街
    assert got.loc[t1, "rank"] == 2 and got.loc["住房和城乡建设局", "unit_kind"] == "部门"
    again = import_township_scores(engine, book([[t1, "镇街", "2026-Q3", 89]], "again.xlsx"), actor="housing")
    assert again.ok and again.updated == 1
    with pytest.raises(PermissionError):
        import_township_scores(engine, good, actor=Account("t", "township", ids["t1"]))


@pytest.mark.parametrize("action, recomputed", [("login", False), ("export", False), ("reveal", False),
                                                ("edit", True), ("import", True), ("settings", True)])
def test_a_new_session_does_not_recompute_the_register_but_a_write_does(world, action, recomputed):
    """Every signed-in tab logs a login; the register must not be recomputed for it (it cost half
    of a new session's server CPU), but an audited write may change what the rules owe."""
    engine, _ = world
    reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))
    assert reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))["skipped"]
    audit.record(engine, "leader", action, "x")
    assert reg.sync_register(engine, "2026-10", today=date(2026, 11, 2))["skipped"] is not recomputed
    assert set(audit.READS) <= set(audit.ACTIONS)  # one vocabulary


def test_the_fingerprint_sees_a_month_lose_all_its_orders(world):
    """The register's fingerprint counts no complaints (5 million rows per page run on a province):
    the aggregates' refresh shows every write, including one that leaves a month empty."""
    engine, _ = world
    with Session(engine) as s:
        month = s.scalar(select(func.min(Complaint.received_at)))
        before = reg._fingerprint(engine)
        after = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
        gone = s.scalars(select(Complaint).where(Complaint.received_at < after)).all()
        assert gone
        for c in gone:  # the first month's every order: its aggregate rows go, none come back
            s.delete(c)
        s.commit()
        assert s.scalar(select(func.min(Complaint.received_at))) >= after
    assert reg._fingerprint(engine) != before
