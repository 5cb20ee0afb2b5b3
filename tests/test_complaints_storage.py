"""Complaint import and queries on both backends (SQLite and PostgreSQL/PostGIS via ``db_url``)."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import db
from data.demo import build_demo
from data.exporters import to_xlsx_bytes
from data.importers.complaints import import_complaints
from data.queries import compounds as compound_frame
from data.queries import complaint_stats as cq
from data.schema import Complaint
from data.scope import COUNTY, Period, Scope, ScopeError

HEADERS = ["工单编号", "受理时间", "诉求类型", "诉求内容", "诉求详细地址", "经度", "纬度", "承办单位", "办理状态",
           "办结时间", "满意度", "来电人", "联系电话"]


@pytest.fixture
def engine(db_url):
    eng = db.make_engine(db_url)
    db.migrate(eng)
    build_demo(eng, seed=3, compounds=50, complaints=300)
    yield eng
    eng.dispose()


def _file(engine, *, status="办理中", bad_row=False) -> bytes:
    frame = compound_frame(engine, COUNTY)
    rows = []
    for i, c in enumerate(frame.head(6).itertuples()):
        pt = c.geometry.representative_point()
        rows.append([f"S2026030{i}", f"2026-03-0{i + 1} 09:00", "物业服务", "楼道堆物", None, pt.x, pt.y, None,
                     status, "2026-03-20 10:00" if status == "已办结" else None, None, "王小明", "13812345678"])
    rows.append(["S20260399", "2026-03-09 09:00", "供水", "停水", "不在任何小区的地方", None, None, "供水公司",
                 status, None, None, None, None])
    if bad_row:
        rows[3][1] = "昨天"
    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Complaint))


def test_reimport_upserts_and_never_duplicates(engine):
    before = _count(engine)
    first = import_complaints(engine, _file(engine), filename="a.xlsx")
    assert first.ok and first.created == 7, first.error_lines()
    again = import_complaints(engine, _file(engine), filename="a.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 7)
    updated = import_complaints(engine, _file(engine, status="已办结"), filename="b.xlsx")
    assert updated.ok and (updated.created, updated.updated) == (0, 7)
    assert _count(engine) == before + 7
    with Session(engine) as s:
        statuses = set(s.scalars(select(Complaint.status).where(Complaint.order_no.like("S2026%"))))
    assert statuses == {"已办结"}


def test_a_bad_row_writes_nothing(engine):
    before = _count(engine)
    report = import_complaints(engine, _file(engine, bad_row=True), filename="bad.xlsx")
    assert not report.ok and not report.written and _count(engine) == before
    assert report.errors[0].row == 5 and report.errors[0].column == "受理时间"


def test_queries_are_scoped_and_masked(engine):
    assert import_complaints(engine, _file(engine), filename="a.xlsx").ok
    period = Period.months("2026-03")
    town = int(compound_frame(engine, COUNTY)["township_id"].iloc[0])
    county = cq.complaint_records(engine, COUNTY, period)
    mine = cq.complaint_records(engine, Scope(town), period)
    assert 0 < len(mine) < len(county)
    assert set(mine["township"]) == {compound_frame(engine, Scope(town))["township"].iloc[0]}
    ours = county[county["order_no"].str.startswith("S2026")]
    assert set(ours["complainant_name"].dropna()) == {"王**"}
    assert set(ours["complainant_phone"].dropna()) == {"138****5678"}
    # exports carry only what the query gave: masked
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(county)))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row}
    assert "13812345678" not in cells and "王小明" not in cells and "138****5678" in cells
    # the unmatched queue holds the water complaint, county-wide only (it has no township)
    queue = cq.unmatched(engine, COUNTY)
    assert "S20260399" in set(queue["order_no"])
    assert "S20260399" not in set(cq.unmatched(engine, Scope(town))["order_no"])
    # ranking: county ranks, township sees only its own compounds
    ranking = cq.complaint_ranking(engine, COUNTY, "2026-03")
    local = cq.complaint_ranking(engine, Scope(town), "2026-03")
    assert set(local["project_id"]) <= set(ranking["project_id"])
    merged = local.merge(ranking, on="project_id", suffixes=("", "_county"))
    assert (merged["rank"] == merged["rank_county"]).all()
    towns = cq.township_ranking(engine, Scope(town), "2026-03")
    assert towns["township_id"].tolist() == [town]


def test_trend_breakdown_target_and_heat(engine):
    period = Period.months("2025-11", "2026-10")
    trend = cq.trend(engine, COUNTY, period)
    assert len(trend) == 12 and trend["complaints"].sum() > 0 and "last_year" in trend
    by_cat = cq.breakdown(engine, COUNTY, period, "category")
    assert by_cat["complaints"].sum() == trend["complaints"].sum()
    flt = cq.ComplaintFilter(categories=(by_cat["category"].iloc[0],))
    assert cq.trend(engine, COUNTY, period, flt)["complaints"].sum() == by_cat["complaints"].iloc[0]
    target = cq.target_progress(engine, COUNTY, period)
    assert target["month"].tolist() == trend["month"].tolist()
    assert (target["complaints"] == trend["complaints"]).all()
    heat = cq.point_counts(engine, COUNTY, period)
    assert heat["count"].sum() <= trend["complaints"].sum() and len(heat) > 0


def test_assign_compound_from_the_queue(engine):
    assert import_complaints(engine, _file(engine), filename="a.xlsx").ok
    frame = compound_frame(engine, COUNTY)
    target = frame.iloc[-1]
    other_town = int(frame[frame["township_id"] != target.township_id]["township_id"].iloc[0])
    with pytest.raises(ScopeError):
        cq.assign_compound(engine, Scope(other_town), "S20260399", int(target.id))
    cq.assign_compound(engine, COUNTY, "S20260399", int(target.id))
    with Session(engine) as s:
        c = s.scalar(select(Complaint).where(Complaint.order_no == "S20260399"))
    assert (c.compound_id, c.township_id, c.match_method) == (int(target.id), int(target.township_id), "地址")
    assert "S20260399" not in set(cq.unmatched(engine, COUNTY)["order_no"])


def test_duty_matrix_edit_changes_routing(engine):
    from data.queries.duties import set_duty

    set_duty(engine, "供水", "县水务局")
    frame = pd.DataFrame([["S1", "2026-03-01 09:00", "供水", "停水"]], columns=HEADERS[:4])
    report = import_complaints(engine, frame.to_csv(index=False).encode(), filename="w.csv")
    assert report.ok
    with Session(engine) as s:
        assert s.scalar(select(Complaint.department).where(Complaint.order_no == "S1")) == "县水务局"


def _add(engine, order_no: str, category: str, department: str, status: str = "办理中") -> None:
    town = queries_townships(engine)
    with Session(engine) as s:
        s.add(Complaint(order_no=order_no, received_at=pd.Timestamp("2026-10-08 09:00").to_pydatetime(),
                        category=category, department=department, status=status, township_id=town[0][0]))
        s.commit()


def queries_townships(engine) -> list[tuple[int, str]]:
    from data.schema import Township

    with Session(engine) as s:
        return [tuple(r) for r in s.execute(select(Township.id, Township.name).order_by(Township.id))]


def _department(engine, order_no: str) -> str:
    with Session(engine) as s:
        return s.scalar(select(Complaint.department).where(Complaint.order_no == order_no))


@pytest.mark.parametrize("reassign", [False, True])
def test_a_duty_change_can_move_the_open_complaints_it_routed(engine, reassign):
    from data import audit
    from data.queries.duties import set_duty

    _add(engine, "R-open", "供水", "供水企业")               # routed by the old duty, open → moves
    _add(engine, "R-back", "供水", "供水企业", "退回")        # returned is still open → moves
    _add(engine, "R-done", "供水", "供水企业", "已办结")      # closed → stays
    _add(engine, "R-file", "供水", "镇街联席会议")            # given elsewhere → stays
    _add(engine, "R-other", "供电", "供水企业")              # another category → stays
    moved = set_duty(engine, "供水", "县水务局", actor="cli:test", reassign_open=reassign)
    expected = {"R-open": "县水务局", "R-back": "县水务局"} if reassign else {}
    for order, before in [("R-open", "供水企业"), ("R-back", "供水企业"), ("R-done", "供水企业"),
                          ("R-file", "镇街联席会议"), ("R-other", "供水企业")]:
        assert _department(engine, order) == expected.get(order, before), order
    assert moved == len(expected) + (_moved_demo(engine) if reassign else 0)
    entry = audit.entries(engine, username="cli:test").iloc[0]
    assert entry["target"] == "职责分工：供水"
    assert (f"reassigned_open={moved}" in entry["detail"]) == reassign, entry["detail"]


def _moved_demo(engine) -> int:
    """Open demo complaints of 供水 that the old duty had given to 供水企业 (moved with the test rows)."""
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.category == "供水", Complaint.department == "县水务局",
            ~Complaint.order_no.like("R-%"))) or 0


def test_township_duties_mean_each_complaints_own_township(engine):
    from data.queries.duties import set_duty

    (tid, tname), = queries_townships(engine)[:1]
    _add(engine, "T-open", "物业服务", tname)          # the township handled it (default duty 镇街)
    _add(engine, "T-nocompany", "物业服务", "住房和城乡建设局")  # the no-company rule → stays
    set_duty(engine, "物业服务", "县物业管理专班", reassign_open=True)
    assert _department(engine, "T-open") == "县物业管理专班"
    assert _department(engine, "T-nocompany") == "住房和城乡建设局"
    _add(engine, "T-back", "物业服务", "县物业管理专班")
    set_duty(engine, "物业服务", "镇街", reassign_open=True)  # and back: each to its own township's name
    assert _department(engine, "T-back") == tname
