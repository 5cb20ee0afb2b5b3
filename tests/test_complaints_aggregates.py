"""Monthly aggregates (``complaint_month``): every overview figure read from them equals the raw rows'.

The readers sum ``complaint_month`` for whole-month periods; inside
``data.aggregates.raw_counts()`` the same functions count the raw complaint rows,
which is the reference. After each write path (demo build, a file import that adds
orders and moves some to another month, place and category, a manual match of the
unmatched queue, the same file imported again, ORM edits, a restore) every figure is
compared, for several scopes and periods, on SQLite and PostgreSQL.
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data import aggregates, db, queries
from data.__main__ import main as cli
from data.demo import build_demo
from data.importers.complaints import import_complaints
from data.queries import complaint_stats as cs
from data.queries.overview import overview
from data.schema import Complaint, ComplaintMonth, ComplaintMonthPlace, Compound
from data.scope import COUNTY, Period, Scope

HEADERS = ["工单编号", "来电时间", "诉求分类", "诉求内容", "事件发生地", "经度", "纬度", "所属区域"]
BY = ["compound", "township", "community", "category", "month", ("compound", "month"),
      ("township", "category"), ("community", "month", "category")]


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = list(a.columns)
    if list(b.columns) != cols or len(a) != len(b):
        return False
    key = [c for c in cols if c not in ("count", "complaints", "n")] or cols
    a = a.sort_values(key, na_position="first").reset_index(drop=True)
    b = b.sort_values(key, na_position="first").reset_index(drop=True)
    return a.astype(str).equals(b.astype(str))


def _figures(engine, scope: Scope, period: Period) -> dict:
    """Every figure the overview counts from complaints, by name (overview() holds the top list from
    county_ladder, the township table with its ladder, the target progress and the quarterly ladder)."""
    month = period.last_month().label()
    out = {f"counts by {by}": queries.complaint_counts(engine, scope, period, by=by) for by in BY}
    out |= {
        "months": queries.complaint_months(engine),
        "monthly_counts 物业服务": cs.monthly_counts(engine, scope, period, cs.ComplaintFilter(categories=("物业服务",))),
        "trend": cs.trend(engine, scope, period),
        "ranking_counts": cs.ranking_counts(engine, scope, month),
        "ranking_counts top 3": cs.ranking_counts(engine, scope, month, top_n=3),
        "township_month_counts": cs.township_month_counts(engine, scope, month),
    }
    ov = overview(engine, scope, period)
    out |= {f"overview.{k}": getattr(ov, k) for k in ("month", "month_complaints", "month_last_year", "target",
                                                        "quarter", "ladder_quarter", "data_from")}
    out |= {f"overview.{k}": getattr(ov, k).drop(columns=["actions"], errors="ignore")
            for k in ("target_table", "top_list", "townships", "alerts", "quarter_alerts")}
    return out


def _cases(engine) -> list[tuple[str, Scope, Period]]:
    """Scopes × periods: the county, a township, a community; 12 months, the imports' month, four months
    across a year end."""
    months = queries.complaint_months(engine)
    with Session(engine) as s:
        # the community with the most compounds (one with no evaluations trips quarter_lists; not ours)
        town, comm = s.execute(select(Compound.township_id, Compound.community_id)
                               .group_by(Compound.township_id, Compound.community_id)
                               .order_by(func.count().desc(), Compound.community_id)).first()
    periods = {"last 12": Period.months(months[-12], months[-1]), "2026-03": Period.months("2026-03"),
               "2025-12..2026-03": Period.months("2025-12", "2026-03")}
    scopes = {"county": COUNTY, "township": Scope(town), "community": Scope(town, comm)}
    return [(f"{sn} / {pn}", s, p) for sn, s in scopes.items() for pn, p in periods.items()]


def assert_aggregates_match_raw(engine, where: str) -> None:
    bad = []
    for label, scope, period in _cases(engine):
        got = _figures(engine, scope, period)
        with aggregates.raw_counts():
            want = _figures(engine, scope, period)
        for name, value in got.items():
            same = _frames_equal(value, want[name]) if isinstance(value, pd.DataFrame) else value == want[name]
            if not same:
                bad.append(f"{label}: {name}")
    assert not bad, f"after {where}, aggregates differ from the raw rows: {bad}"
    assert_place_months_sum_the_categories(engine, where)


def assert_place_months_sum_the_categories(engine, where: str) -> None:
    """``complaint_month_place`` is exactly ``complaint_month`` summed over the categories."""
    keys = ("month", "township_id", "community_id", "compound_id")
    a, p = ComplaintMonth, ComplaintMonthPlace
    with Session(engine) as s:
        summed = s.execute(select(*(getattr(a, k) for k in keys), func.sum(a.n))
                           .group_by(*(getattr(a, k) for k in keys))).all()
        places = s.execute(select(*(getattr(p, k) for k in keys), p.n)).all()
    assert len(places) == len({tuple(r[:4]) for r in places}), f"after {where}: a place month twice"
    assert sorted(map(tuple, places), key=str) == sorted(map(tuple, summed), key=str), where


def _write_orders(path, rows) -> None:
    pd.DataFrame(rows, columns=HEADERS).to_csv(path, index=False, encoding="gbk")


def _orders(engine) -> list[list]:
    """New orders in March 2026 (inside compounds, a new month-category mix), one with no usable place,
    and two stored orders moved: to March 2026 and to another category."""
    frame = queries.compounds(engine, COUNTY)
    pts = [frame.geometry.iloc[i].representative_point() for i in (0, 1, 2)]
    rows = [[f"AGG2026030{i}", f"2026-03-0{i + 1} 09:00:00", "物业服务", "楼道卫生", "某路", p.x, p.y,
             frame["township"].iloc[i]] for i, p in enumerate(pts)]
    rows.append(["AGG20260399", "2026-03-31 23:59:59", "电梯", "电梯故障", "无法识别的地址", None, None, None])
    with Session(engine) as s:
        moved = s.execute(select(Complaint).where(Complaint.compound_id.is_not(None))
                          .order_by(Complaint.id).limit(2)).scalars().all()
        for i, c in enumerate(moved):
            when = "2026-03-15 12:00:00" if i == 0 else c.received_at.strftime("%Y-%m-%d %H:%M:%S")
            category = c.category if i == 0 else ("电梯" if c.category != "电梯" else "物业服务")
            p = pts[2]
            rows.append([c.order_no, when, category, c.content or "内容", c.address or "某路", p.x, p.y,
                         frame["township"].iloc[2]])
    return rows


@pytest.fixture
def county(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    build_demo(engine, seed=5, compounds=50, complaints=1500)
    yield engine
    engine.dispose()


def test_aggregates_equal_the_raw_rows_through_every_write(county, tmp_path, db_url):
    engine = county
    with Session(engine) as s:
        assert s.scalar(select(func.sum(ComplaintMonth.n))) == s.scalar(select(func.count()).select_from(Complaint))
    assert_aggregates_match_raw(engine, "the demo build")

    path = tmp_path / "12345工单.csv"
    _write_orders(path, _orders(engine))
    report = import_complaints(engine, path, crs="wgs84")
    assert report.ok and report.created == 4 and report.updated == 2, report.summary()
    assert_aggregates_match_raw(engine, "an import")

    queue = cs.unmatched(engine, COUNTY)
    assert "AGG20260399" in set(queue["order_no"])
    with Session(engine) as s:
        target = s.execute(select(Compound.id).order_by(Compound.id.desc())).scalar()
    cs.assign_compound(engine, COUNTY, "AGG20260399", target)
    assert_aggregates_match_raw(engine, "a manual match")
    march = queries.complaint_counts(engine, COUNTY, Period.months("2026-03"), by="compound")
    assert int(march.loc[march["compound"] == target, "count"].sum()) >= 1

    before = _figures(engine, COUNTY, Period.months("2026-03"))
    again = import_complaints(engine, path, crs="wgs84")
    assert again.ok and again.created == 0
    assert_aggregates_match_raw(engine, "the same file imported again")
    after = _figures(engine, COUNTY, Period.months("2026-03"))
    assert after["counts by compound"]["count"].sum() == before["counts by compound"]["count"].sum()


def test_orm_writes_refresh_their_months(county):
    engine = county
    with Session(engine) as s:
        comp = s.execute(select(Compound).order_by(Compound.id)).scalars().first()
        s.add(Complaint(order_no="ORM1", received_at=datetime(2024, 2, 29, 23, 59), category="噪音扰民",
                        compound_id=comp.id, township_id=comp.township_id, community_id=comp.community_id))
        s.commit()
    assert_aggregates_match_raw(engine, "an ORM insert in a month without complaints")
    with Session(engine) as s:
        row = s.execute(select(Complaint).where(Complaint.order_no == "ORM1")).scalar_one()
        row.received_at = datetime(2026, 3, 1)  # leaves 2024-02 empty again
        row.category = "电梯"
        s.commit()
    assert_aggregates_match_raw(engine, "an ORM change of month and category")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ComplaintMonth).where(ComplaintMonth.month == "2024-02")) == 0
        s.delete(s.execute(select(Complaint).where(Complaint.order_no == "ORM1")).scalar_one())
        s.commit()
    assert_aggregates_match_raw(engine, "an ORM delete")


def test_a_rolled_back_write_leaves_the_aggregates_as_they_were(county):
    engine = county
    with Session(engine) as s:
        before = s.execute(select(func.sum(ComplaintMonth.n))).scalar()
        comp = s.execute(select(Compound).order_by(Compound.id)).scalars().first()
        s.add(Complaint(order_no="RB1", received_at=datetime(2026, 3, 2), category="电梯", compound_id=comp.id,
                        township_id=comp.township_id, community_id=comp.community_id))
        s.flush()
        assert s.execute(select(func.sum(ComplaintMonth.n))).scalar() == before + 1  # same transaction
        s.rollback()
    with Session(engine) as s:
        assert s.execute(select(func.sum(ComplaintMonth.n))).scalar() == before


def test_refresh_aggregates_command_repairs_the_table(county, db_url, capsys):
    engine = county
    with engine.begin() as conn:  # damage both tables: a month lost, another month doubled
        for table in (ComplaintMonth, ComplaintMonthPlace):
            conn.execute(delete(table).where(table.month == "2026-01"))
            conn.execute(table.__table__.update().where(table.month == "2026-02").values(n=table.n * 2))
    period = Period.months("2026-01", "2026-02")
    for by in ("month", ("category", "month")):  # read from complaint_month_place, then complaint_month
        with aggregates.raw_counts():
            want = queries.complaint_counts(engine, COUNTY, period, by=by)
        assert not _frames_equal(queries.complaint_counts(engine, COUNTY, period, by=by), want)
    assert cli(["refresh-aggregates", "--db", db_url]) == 0
    assert "诉求月度汇总已重算" in capsys.readouterr().out
    assert_aggregates_match_raw(engine, "python -m data refresh-aggregates")


@pytest.mark.parametrize("first, last, whole", [
    ("2026-03-01", "2026-04-01", True),     # one month
    ("2025-11-01", "2026-11-01", True),     # twelve months across a year
    ("2026-03-01", "2026-03-31", False),    # cut one day short: raw rows
    ("2026-03-02", "2026-04-01", False),    # starts mid-month: raw rows
])
def test_only_whole_month_periods_are_read_from_the_aggregates(first, last, whole):
    from datetime import date

    period = Period(date.fromisoformat(first), date.fromisoformat(last))
    assert (aggregates.aggregated_period(period) is not None) is whole


def test_a_mid_month_period_still_counts_exactly(county):
    """A custom period cut mid-month cannot be summed from months: it counts the raw rows."""
    from datetime import date

    engine = county
    period = Period(date(2026, 3, 10), date(2026, 5, 20))
    with Session(engine) as s:
        want = s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.received_at >= datetime(2026, 3, 10), Complaint.received_at < datetime(2026, 5, 20)))
    assert int(queries.complaint_counts(engine, COUNTY, period, by="month")["count"].sum()) == want


def test_restore_recounts_the_aggregates(tmp_path):
    from data import backup

    url = f"sqlite:///{tmp_path}/live.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=5, compounds=50, complaints=600)
    saved = backup.backup(engine, tmp_path / "b.sqlite", actor=None)
    import sqlite3

    with sqlite3.connect(saved) as raw:  # the backup's aggregates were not kept (an older build, a hand edit)
        raw.execute("DELETE FROM complaint_month WHERE month >= '2026-01'")
    raw.close()
    backup.restore(engine, saved, actor=None)
    assert_aggregates_match_raw(engine, "a restore")
    engine.dispose()


def test_home_page_tiles_show_the_raw_rows_counts(tmp_path, monkeypatch):
    """The page reads the aggregates; its 本期诉求 and 本月诉求 equal the raw rows' counts after an import."""
    from tests import apptest

    url = f"sqlite:///{tmp_path}/page.sqlite"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=5, compounds=50, complaints=1500)
    path = tmp_path / "12345工单.csv"
    _write_orders(path, _orders(engine))
    assert import_complaints(engine, path, crs="wgs84").ok
    months = queries.complaint_months(engine)
    period = Period.months(months[-12], months[-1])
    with Session(engine) as s:
        in_period = s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.received_at >= period.start_dt, Complaint.received_at < period.end_dt))
        last = period.last_month()
        in_month = s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.received_at >= last.start_dt, Complaint.received_at < last.end_dt))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page(None, user="leader", timeout=180)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["本期诉求"] == f"{in_period:,}"
    assert tiles[f"本月诉求（同比） {months[-1]}"] == f"{in_month:,}"


@pytest.mark.parametrize("top_n", [1, 3, 10, 50])
def test_the_ladder_of_the_sql_ranked_rows_is_the_ladder_of_all_rows(county, top_n):
    """The top list ranks in SQL (each month's rows ranked ``top_n`` or better, ties included):
    the ladder of those rows must be the ladder of every row, for every month, raw or aggregated."""
    from policy import ladders

    for month in queries.complaint_months(county)[-14:]:
        for raw in (False, True):
            with aggregates.raw_counts() if raw else nullcontext():
                every = cs.ranking_counts(county, COUNTY, month)
                ranked = cs.ranking_counts(county, COUNTY, month, top_n=top_n)
            assert len(ranked) <= len(every)
            assert ladders.complaint_ladder(ranked, month, top_n).equals(
                ladders.complaint_ladder(every, month, top_n)), (month, raw)


def test_every_write_of_complaints_replaces_the_data_version_token(county):
    """The refresh replaces the token in the writer's transaction: other app processes drop their
    cached figures, and the register's fingerprint sees the change, whoever wrote the complaints."""
    from data import settings

    engine = county
    before = settings.data_version(engine)
    with Session(engine) as s:
        s.add(Complaint(order_no="TOKEN1", received_at=datetime(2026, 3, 9, 10), category="物业服务"))
        s.commit()
    added = settings.data_version(engine)
    with Session(engine) as s:  # a write that is rolled back leaves the token as it was
        s.add(Complaint(order_no="TOKEN2", received_at=datetime(2026, 3, 9, 11), category="物业服务"))
        s.flush()
        s.rollback()
    assert settings.data_version(engine) == added
    with Session(engine) as s:
        s.delete(s.scalars(select(Complaint).where(Complaint.order_no == "TOKEN1")).one())
        s.commit()
    assert len({before, added, settings.data_version(engine)}) == 3
