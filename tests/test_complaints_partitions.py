"""Complaints partitioned by month on PostgreSQL (issue 17, migration 0011a_partitions).

The migration converts a populated table without losing a row; new months get their partition on
demand (rows that arrive first wait in the DEFAULT partition and move); ``order_no`` stays unique
across partitions, so a re-import — also one where an order's 受理时间 moved to another month —
leaves exactly one row per work order; row-level security binds the partitions for a township
user; a one-month query reads one partition. SQLite stays one plain table.
"""
from __future__ import annotations

import importlib
from datetime import datetime

import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import db, partitions
from data.importers.complaints import import_complaints
from data.schema import Community, Complaint, ComplaintMonth, Compound, Township
from tests.pg_roles import app_role

MIGRATION = importlib.import_module("data.migrations.versions.0011a_partitions")
MONTHS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


def _places(s: Session) -> list[tuple[int, int, int]]:
    """Two townships with one community and one compound each: (township, community, compound) ids."""
    out = []
    for i, x in enumerate((116.30, 116.32), start=1):
        t = Township(code=f"T{i}", name=f"第{i}街道", kind="街道", geometry=box(x, 35.0, x + 0.02, 35.02))
        s.add(t)
        s.flush()
        c = Community(code=f"C{i}", township_id=t.id, name=f"第{i}社区", geometry=box(x, 35.0, x + 0.02, 35.02))
        s.add(c)
        s.flush()
        cp = Compound(code=f"X{i}", name=f"第{i}小区", township_id=t.id, community_id=c.id,
                      geometry=box(x + 0.005, 35.005, x + 0.01, 35.01), households=100,
                      compound_class="商品房", management_mode="专业化物业")
        s.add(cp)
        s.flush()
        out.append((t.id, c.id, cp.id))
    return out


def _complaints(s: Session, places, prefix: str = "JX") -> None:
    for k in range(30):
        town, comm, comp = places[k % 2]
        month = MONTHS[k % len(MONTHS)]
        s.add(Complaint(order_no=f"{prefix}{k:04d}", received_at=datetime.fromisoformat(f"{month}-{1 + k % 27:02d} 09:30"),
                        category="物业服务" if k % 3 else "电梯", township_id=town, community_id=comm,
                        compound_id=comp, complainant_name="张三", complainant_phone="13812341234"))


def _rows(engine) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT id, order_no, received_at, category, township_id, compound_id, complainant_phone "
            "FROM complaint ORDER BY id"))]


def _aggregates_agree(engine) -> None:
    with Session(engine) as s:
        assert s.scalar(select(func.sum(ComplaintMonth.n))) == s.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.postgis
def test_the_migration_partitions_a_populated_table_and_keeps_every_row(pg_url):
    engine = db.make_engine(pg_url)
    for head in MIGRATION.down_revision:  # everything but this migration
        db.migrate(engine, head)
    with Session(engine) as s:
        _complaints(s, _places(s))
        s.commit()
    with engine.connect() as c:
        assert c.execute(text("SELECT relkind FROM pg_class WHERE relname = 'complaint'")).scalar() == "r"
    before = _rows(engine)
    assert len(before) == 30

    db.migrate(engine)
    assert _rows(engine) == before  # same ids, orders, dates, places, personal data
    with engine.connect() as c:
        assert c.execute(text("SELECT relkind FROM pg_class WHERE relname = 'complaint'")).scalar() == "p"
        parts = partitions.partitions(c)
    assert parts == {**{f"complaint_p{m.replace('-', '')}": 6 for m in MONTHS}, "complaint_pdefault": 0}
    _aggregates_agree(engine)

    # a new month: the row is written at once (default partition), then moved into its own table
    with Session(engine) as s:
        s.add(Complaint(order_no="NEW1", received_at=datetime(2026, 7, 4, 8), category="物业服务"))
        s.commit()
    with engine.connect() as c:
        parts = partitions.partitions(c)
        new_id = c.execute(text("SELECT id FROM complaint WHERE order_no = 'NEW1'")).scalar()
    assert parts["complaint_p202607"] == 1 and parts["complaint_pdefault"] == 0
    assert new_id > max(r[0] for r in before)  # the id sequence came along
    _aggregates_agree(engine)

    # order_no is still unique across the whole table, whatever the month
    for when in (datetime(2026, 7, 4, 8), datetime(2026, 3, 9, 10), datetime(2030, 1, 1)):
        with Session(engine) as s:
            s.add(Complaint(order_no="NEW1", received_at=when, category="物业服务"))
            with pytest.raises(IntegrityError):
                s.commit()
    assert len(_rows(engine)) == 31
    engine.dispose()


def test_sqlite_stays_one_plain_table(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    db.migrate(engine)
    uniques = inspect(engine).get_unique_constraints("complaint")
    assert [u["column_names"] for u in uniques] == [["order_no"]]
    assert not any(t.startswith("complaint_p") for t in inspect(engine).get_table_names())
    with Session(engine) as s:
        s.add(Complaint(order_no="A1", received_at=datetime(2026, 7, 4), category="物业服务"))
        s.commit()
        assert partitions.ensure_months(s, ["2026-07"]) == [] and partitions.partitions(s.connection()) == {}
    engine.dispose()


HEADERS = ["工单编号", "来电时间", "诉求分类", "诉求内容", "经度", "纬度"]


def _file(path, orders):
    pd.DataFrame(orders, columns=HEADERS).to_csv(path, index=False, encoding="gbk")
    return path


@pytest.mark.postgis
def test_a_reimport_leaves_one_row_per_order_even_when_its_month_changed(pg_url, tmp_path):
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with Session(engine) as s:
        places = _places(s)
        s.commit()
    inside = (116.3075, 35.0075)  # within the first compound
    orders = [[f"R2026{k:04d}", f"2026-0{1 + k % 3}-1{k % 9} 09:{k:02d}", "物业服务", "楼道卫生", *inside]
              for k in range(9)]
    first = _file(tmp_path / "a.csv", orders)
    for _ in range(2):  # the same file twice
        report = import_complaints(engine, first)
        assert report.ok, report.error_lines()
    assert report.created == 0 and report.unchanged == 9
    rows = _rows(engine)
    assert len(rows) == 9 and len({r[1] for r in rows}) == 9

    moved = [row[:] for row in orders]
    moved[0][1] = "2026-05-20 10:00"  # R20260000: January → May
    moved[4][1] = "2025-12-31 23:59"  # R20260004: February → December of the year before
    report = import_complaints(engine, _file(tmp_path / "b.csv", moved))
    assert report.ok, report.error_lines()
    assert report.created == 0 and report.updated == 2
    with engine.connect() as c:
        per_order = dict(c.execute(text("SELECT order_no, count(*) FROM complaint GROUP BY order_no")).all())
        where = dict(c.execute(text("SELECT order_no, tableoid::regclass::text FROM complaint")).all())
        keys = c.execute(text("SELECT count(*) FROM complaint_order_no")).scalar()
    assert per_order == {f"R2026{k:04d}": 1 for k in range(9)}
    assert where["R20260000"] == "complaint_p202605" and where["R20260004"] == "complaint_p202512"
    assert keys == 9
    assert rows[0][0] in {r[0] for r in _rows(engine)}  # updated in place: the id is kept
    _aggregates_agree(engine)
    with Session(engine) as s:  # the moved orders count in their new months only
        may = s.scalar(select(func.sum(ComplaintMonth.n)).where(ComplaintMonth.month == "2026-05"))
        assert may == 1
    assert places  # the first compound matched by coordinates
    engine.dispose()


@pytest.mark.postgis
def test_row_level_security_binds_every_partition_for_a_township_user(pg_url):
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with Session(engine) as s:
        places = _places(s)
        _complaints(s, places)
        s.commit()
    own, other = places[0][0], places[1][0]
    with app_role(pg_url, "SELECT, INSERT, UPDATE, DELETE") as app_url:
        fenced = db.make_engine(app_url, township_id=own)
        try:
            with fenced.connect() as c:
                assert {r[0] for r in c.execute(text("SELECT DISTINCT township_id FROM complaint"))} == {own}
                for part in ("complaint_p202601", "complaint_pdefault"):  # a partition named directly
                    seen = {r[0] for r in c.execute(text(f"SELECT DISTINCT township_id FROM {part}"))}
                    assert seen <= {own}
                assert c.execute(text("SELECT count(*) FROM complaint_p202601")).scalar() == 3
                assert c.execute(text("SELECT count(*) FROM complaint_order_no")).scalar() == 0  # owner only
            # the app role makes a new month's partition (the function runs as the table's owner) …
            with Session(fenced) as s:
                s.add(Complaint(order_no="OWN1", received_at=datetime(2026, 8, 1, 9), category="物业服务",
                                township_id=own))
                s.commit()
            # … and the row is in it (the app role reads it through complaint: it has no right on the new
            # table itself); another township's row is refused
            with fenced.connect() as c:
                assert c.execute(text("SELECT count(*) FROM complaint "
                                      "WHERE tableoid = 'complaint_p202608'::regclass")).scalar() == 1
            with Session(fenced) as s:
                s.add(Complaint(order_no="OTHER1", received_at=datetime(2026, 8, 2, 9), category="物业服务",
                                township_id=other))
                with pytest.raises(Exception, match="row-level security"):
                    s.commit()
            with engine.connect() as c:  # unscoped: everything, in the right partitions
                assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 31
                assert partitions.partitions(c)["complaint_p202608"] == 1
        finally:
            fenced.dispose()
    engine.dispose()


@pytest.mark.postgis
def test_a_one_month_query_reads_only_that_months_partition(pg_url):
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with Session(engine) as s:
        _complaints(s, _places(s))
        s.commit()
    with engine.connect() as c:
        c.execute(text("ANALYZE complaint"))
        plan = "\n".join(r[0] for r in c.execute(text(
            "EXPLAIN SELECT category, count(*) FROM complaint "
            "WHERE received_at >= '2026-01-01' AND received_at < '2026-02-01' GROUP BY category")))
        # the same query as the app's bound parameters (a generic plan prunes at execution)
        rows = c.execute(select(Complaint.category, func.count()).where(
            Complaint.received_at >= datetime(2026, 1, 1), Complaint.received_at < datetime(2026, 2, 1))
            .group_by(Complaint.category)).all()
    assert "complaint_p202601" in plan
    others = [p for p in ("complaint_p202512", "complaint_p202602", "complaint_pdefault") if p in plan]
    assert not others, plan
    assert sum(n for _, n in rows) == 6
    engine.dispose()


@pytest.mark.postgis
def test_partitions_carry_the_tables_policies_also_after_a_later_change(pg_url):
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    with Session(engine) as s:
        _complaints(s, _places(s))
        s.commit()

    def policies(c, table):
        return c.execute(text("SELECT polname, polcmd, polpermissive, pg_get_expr(polqual, polrelid), "
                              "pg_get_expr(polwithcheck, polrelid) FROM pg_policy "
                              "WHERE polrelid = CAST(:t AS regclass) ORDER BY 1"), {"t": table}).all()

    with engine.begin() as c:
        parent = policies(c, "complaint")
        assert any(p[0] == "township_scope" and "app.township_id" in p[3] for p in parent)
        assert any(p[0] == "place_scope" for p in parent)  # 0011b's county/city fence, whichever ran first
        for part in ("complaint_pdefault", "complaint_p202511", "complaint_p202603"):
            assert policies(c, part) == parent
            assert c.execute(text("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
                                  "WHERE oid = CAST(:t AS regclass)"), {"t": part}).scalar()
        # a later migration changes complaint's policy: new partitions copy it, sync fixes the old ones
        c.execute(text("DROP POLICY township_scope ON complaint"))
        c.execute(text("CREATE POLICY township_scope ON complaint USING (township_id > 0)"))
        c.execute(text("CREATE POLICY no_delete ON complaint AS RESTRICTIVE FOR DELETE USING (false)"))
        assert c.execute(text("SELECT complaint_add_month('2027-01-05')")).scalar() == "complaint_p202701"
        changed = policies(c, "complaint")
        assert len(changed) == len(parent) + 1 and changed != parent
        assert policies(c, "complaint_p202701") == changed
        assert policies(c, "complaint_p202511") == parent
        assert c.execute(text("SELECT complaint_sync_policies()")).scalar() == 7  # 5 months, 2027-01, default
        for part in ("complaint_pdefault", "complaint_p202511", "complaint_p202603"):
            assert policies(c, part) == changed
    engine.dispose()
