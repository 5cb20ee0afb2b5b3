"""Evaluation queries and the evaluation import on SQLite and PostgreSQL: lists, consequences,
company blacklist at exactly 1/3, credit tiers, scope walls, history of changed scores, and real
Excel / GBK CSV files read back."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import db
from data.importers.evaluations import import_evaluations, parse_quarter_cell
from data.importers.values import Bad
from data.queries import evaluation as ev
from data.schema import AuditLog, Compound, CreditGrade, Evaluation, PropertyCompany
from data.scope import Scope, ScopeError
from tests.places import two_townships

# company A manages a1..a3 (town 1); company B manages b1..b6 (town 2, b6 in town 1)
SCORES = {  # compound code → {quarter: score}
    "a1": {"2026-Q2": "59.99", "2026-Q3": "59.50"},   # black twice → replace company
    "a2": {"2026-Q3": "90.00"},                        # exactly the red line
    "a3": {"2026-Q3": "60.00"},                        # exactly the black line: not black
    "b1": {"2024-Q3": "40", "2026-Q3": "55"},          # previous black 9 quarters back: first time
    "b2": {"2026-Q3": "58"},
    "b3": {"2026-Q3": "80"}, "b4": {"2026-Q3": "80"}, "b5": {"2026-Q3": "80"}, "b6": {"2026-Q3": "95"},
}


@pytest.fixture
def world(db_url):
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with Session(engine) as s:
        towns = two_townships(s)
        a, b = PropertyCompany(name="甲物业"), PropertyCompany(name="乙物业")
        s.add_all([a, b])
        s.flush()
        ids = {}
        for k, code in enumerate(SCORES):
            town = towns[0] if code.startswith("a") or code == "b6" else towns[1]
            comp = Compound(code=code, name=f"小区{code}", aliases=f"别名{code}", township_id=town[0],
                            community_id=town[1], households=100, compound_class="商品房",
                            management_mode="专业化物业", company_id=(a if code.startswith("a") else b).id,
                            fee_price=Decimal("1.00"), geometry=box(117 + k / 100, 35, 117.005 + k / 100, 35.005))
            s.add(comp)
            s.flush()
            ids[code] = comp.id
            for q, score in SCORES[code].items():
                s.add(Evaluation(compound_id=comp.id, quarter=q, score=Decimal(score), evaluator="镇物业办"))
        s.add(Compound(code="dup1", name="同名小区", township_id=towns[0][0], community_id=towns[0][1],
                       compound_class="商品房", management_mode="无物业"))
        s.add(Compound(code="dup2", name="同名小区", township_id=towns[1][0], community_id=towns[1][1],
                       compound_class="商品房", management_mode="无物业"))
        s.add_all([CreditGrade(company_id=a.id, quarter="2026-Q2", grade="A", score=Decimal("75")),
                   CreditGrade(company_id=a.id, quarter="2026-Q3", grade="C", score=Decimal("55")),
                   CreditGrade(company_id=b.id, quarter="2026-Q3", grade="B", score=Decimal("68"))])
        s.commit()
        world = {"engine": engine, "ids": ids, "towns": towns, "a": a.id, "b": b.id}
    yield world
    engine.dispose()


def test_quarter_lists_and_consequences(world):
    lists = ev.quarter_lists(world["engine"], Scope(), "2026-Q3").set_index("code")
    assert lists.loc["a2", "list"] == "红榜" and lists.loc["a3", "list"] == "—"
    assert lists.loc["a1", "list"] == "黑榜" and lists.loc["a1", "action"] == "replace_company"
    assert lists.loc["a1", "black_count"] == 2 and "启动更换物业企业程序" in lists.loc["a1", "consequence"]
    assert lists.loc["b1", "action"] == "replace_manager"  # 2024-Q3 is outside the last 8 quarters
    assert "更换项目经理" in lists.loc["b1", "consequence"]
    assert ev.quarters(world["engine"]) == ["2024-Q3", "2026-Q2", "2026-Q3"]


def test_lists_stay_inside_the_scope(world):
    town1 = Scope(world["towns"][0][0])
    lists = ev.quarter_lists(world["engine"], town1, "2026-Q3")
    assert set(lists["code"]) == {"a1", "a2", "a3", "b6"}


def test_company_blacklist_exactly_one_third_over_the_whole_portfolio(world):
    status = ev.company_status(world["engine"], Scope(), "2026-Q3").set_index("company")
    # 甲: 1 of 3 black (a1) = exactly 1/3 → blacklisted; 乙: 2 of 6 (b1, b2) = exactly 1/3 → blacklisted
    assert status.loc["甲物业", "black_projects"] == 1 and status.loc["甲物业", "blacklisted"]
    assert status.loc["乙物业", "black_projects"] == 2 and status.loc["乙物业", "blacklisted"]
    assert status.loc["甲物业", "tier"] == "重点监管" and not status.loc["甲物业", "incentive"]
    # seen from town 1, 乙 serves only b6 there, but the rule still counts all six projects
    town1 = ev.company_status(world["engine"], Scope(world["towns"][0][0]), "2026-Q3").set_index("company")
    assert town1.loc["乙物业", "projects_in_scope"] == 1 and town1.loc["乙物业", "projects"] == 6
    assert town1.loc["乙物业", "blacklisted"]


def test_company_blacklist_follows_the_share_setting(world):
    from data import settings

    settings.set_value(world["engine"], "company_black_share", "0.34")
    status = ev.company_status(world["engine"], Scope(), "2026-Q3").set_index("company")
    assert not status.loc["甲物业", "blacklisted"] and not status.loc["乙物业", "blacklisted"]


def test_company_view_portfolio_credit_and_consequences(world):
    view = ev.company_view(world["engine"], Scope(), world["a"], "2026-Q3")
    assert set(view.portfolio["code"]) == {"a1", "a2", "a3"}
    assert list(view.credit["quarter"]) == ["2026-Q2", "2026-Q3"]
    assert list(view.credit["incentive"]) == [True, False]
    text = " ".join(view.consequences)
    assert "企业黑名单" in text and "小区a1" in text and "重点监管" in text
    with pytest.raises(ScopeError):
        ev.company_view(world["engine"], Scope(world["towns"][1][0]), world["a"], "2026-Q3")


def test_half_year_assessment_quota(world):
    half = ev.half_year_assessment(world["engine"], Scope(), "2026-H2")
    assert len(half) == 2 and half["quota"].iloc[0] == 0 and not half["excellent"].any()  # 2 companies → 0


def test_compound_indicators_for_the_colour_modes(world):
    ind = ev.compound_indicators(world["engine"], Scope()).set_index("id")
    a1 = world["ids"]["a1"]
    assert ind.loc[a1, "eval_list"] == "黑榜" and ind.loc[a1, "credit_grade"] == "C"
    assert ind.loc[a1, "fee_status"] == "无"
    from layers.colours import colour_compounds

    fills, entries, title = colour_compounds(ind.reset_index(), "evaluation")
    assert "红黑榜" in title and {"红榜", "黑榜", "未考评"} <= {label for _, label in entries}
    fills, entries, _ = colour_compounds(ind.reset_index(), "credit")
    assert ("C级" in {label for _, label in entries}) and fills.notna().all()


def test_save_evaluation_keeps_history_and_checks_scope(world):
    engine, a2 = world["engine"], world["ids"]["a2"]
    town2 = Scope(world["towns"][1][0])
    with pytest.raises(ScopeError):
        ev.save_evaluation(engine, town2, a2, "2026-Q3", "70", actor="乙镇")
    assert ev.save_evaluation(engine, Scope(), a2, "2026-Q3", "90", actor="县住建局") == "unchanged"
    assert ev.save_evaluation(engine, Scope(), a2, "2026-Q3", "88.5", actor="县住建局") == "updated"
    assert ev.save_evaluation(engine, Scope(), a2, "2026-Q4", 91, actor="县住建局") == "created"
    with pytest.raises(ValueError, match="0 到 100"):
        ev.save_evaluation(engine, Scope(), a2, "2026-Q4", 101, actor="县住建局")
    with pytest.raises(ValueError, match="YYYY-Qn"):
        ev.save_evaluation(engine, Scope(), a2, "2026年4季度", 90, actor="县住建局")
    with Session(engine) as s:
        score = s.scalar(select(Evaluation.score).where(Evaluation.compound_id == a2,
                                                        Evaluation.quarter == "2026-Q3"))
        logs = s.scalars(select(AuditLog).where(AuditLog.action == "edit").order_by(AuditLog.id)).all()
    assert score == Decimal("88.50")
    assert logs[0].detail["old"]["score"] == "90.00" and logs[0].detail["new"]["score"] == "88.50"
    assert logs[0].username == "县住建局" and len(logs) == 2


@pytest.mark.parametrize("cell, quarter", [
    ("2026-Q3", "2026-Q3"), ("2026Q1", "2026-Q1"), ("2026 q2", "2026-Q2"), ("2026年第三季度", "2026-Q3"),
    ("2026年4季度", "2026-Q4"), ("2025年第一季", "2025-Q1"),
])
def test_quarter_cells(cell, quarter):
    assert parse_quarter_cell(cell) == quarter


@pytest.mark.parametrize("cell", ["2026-Q5", "2026年", "第三季度", "1999-Q1"])
def test_bad_quarter_cells(cell):
    with pytest.raises(Bad):
        parse_quarter_cell(cell)


def _xlsx(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年第四季度物业项目考评结果"])  # a title row above the header
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


HEADER = ["项目名称", "所属镇街", "考核季度", "考评得分", "业主满意度", "考评单位"]


def _count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Evaluation))


def test_import_excel_creates_updates_and_keeps_history(world, tmp_path):
    engine = world["engine"]
    path = _xlsx(tmp_path / "考评.xlsx", [
        HEADER,
        ["小区a1", None, "2026年第四季度", 72, "85%", "镇1物业办"],
        ["别名a2", None, "2026-Q4", "91.5", 93, "镇1物业办"],     # matched by alias
        ["同名小区", "镇2", "2026-Q4", 66, None, None],             # told apart by township
        ["小区a3", None, "2026-Q3", 61, None, None],                # changes a stored score
        ["小区b3", None, "2026-Q3", 80, None, "镇物业办"],           # same as stored
    ])
    before = _count(engine)
    report = import_evaluations(engine, path, actor="导入员")
    assert report.ok and report.written, report.error_lines()
    assert (report.created, report.updated, report.unchanged) == (3, 1, 1)
    assert _count(engine) == before + 3
    with Session(engine) as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "import").order_by(AuditLog.id)).all()
    history = [e for e in entries if e.target.startswith("季度考评 ")]  # one per changed score
    summary = [e for e in entries if not e.target.startswith("季度考评 ")]  # one per import
    assert len(history) == 1 and len(summary) == 1
    log = history[0]
    assert log.detail["old"] == {"score": "60.00"} and log.detail["new"] == {"score": "61.00"}
    assert summary[0].username == "导入员" and summary[0].detail["created"] == 3


def test_import_with_any_error_writes_nothing_and_reports_each_row(world, tmp_path):
    engine = world["engine"]
    path = _xlsx(tmp_path / "bad.xlsx", [
        HEADER,
        ["小区a1", None, "2026-Q4", 72, None, None],       # fine
        ["不存在的小区", None, "2026-Q4", 70, None, None],  # row 4: unknown
        ["同名小区", None, "2026-Q4", 70, None, None],      # row 5: ambiguous
        ["小区a2", None, "2026-Q9", 70, None, None],        # row 6: bad quarter
        ["小区a3", None, "2026-Q4", 101, None, None],       # row 7: out of range
        ["小区a1", None, "2026年第四季度", 73, None, None],  # row 8: duplicate of row 3
    ])
    before = _count(engine)
    report = import_evaluations(engine, path)
    assert not report.ok and not report.written
    assert _count(engine) == before
    rows = {i.row: i.message for i in report.errors}
    assert set(rows) == {4, 5, 6, 7, 8}
    assert "没有该小区" in rows[4] and "同名" in rows[5] and "季度" in rows[6]
    assert "0 到 100" in rows[7] and "第 3 行重复" in rows[8]
    out = tmp_path / "report.xlsx"
    report.to_excel(out)
    assert openpyxl.load_workbook(out)["错误"].max_row == 6  # header + 5 errors, read back


def test_import_gbk_csv_and_scope(world, tmp_path):
    engine = world["engine"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["小区编码", "季度", "得分"])
    w.writerow(["a1", "2026-Q4", "50"])
    w.writerow(["b1", "2026-Q4", "50"])
    path = tmp_path / "考评.csv"
    path.write_bytes(buf.getvalue().encode("gbk"))
    town1 = Scope(world["towns"][0][0])
    report = import_evaluations(engine, path, scope=town1)
    assert not report.ok and "管辖范围" in report.errors[0].message and report.errors[0].row == 3
    assert "GB" in report.encoding
    path.write_bytes(buf.getvalue().replace("b1,2026-Q4,50\r\n", "").encode("gbk"))
    report = import_evaluations(engine, path, scope=town1, dry_run=True)
    assert report.ok and not report.written and report.created == 1
    report = import_evaluations(engine, path, scope=town1)
    assert report.ok and report.written


def test_import_needs_its_columns(world, tmp_path):
    path = _xlsx(tmp_path / "x.xlsx", [["小区名称", "备注"], ["小区a1", "x"]])
    report = import_evaluations(world["engine"], path)
    assert not report.ok and any("缺少必需的列" in i.message for i in report.errors)


def test_cli_imports_evaluations(world, tmp_path, monkeypatch):
    from data.__main__ import main

    url = world["engine"].url.render_as_string(hide_password=False)
    path = _xlsx(tmp_path / "cli.xlsx", [HEADER, ["小区a1", None, "2026-Q4", 72, None, None]])
    assert main(["import", "evaluations", str(path), "--db", url]) == 0
    bad = _xlsx(tmp_path / "bad.xlsx", [HEADER, ["无此小区", None, "2026-Q4", 72, None, None]])
    report = tmp_path / "err.xlsx"
    assert main(["import", "evaluations", str(bad), "--db", url, "--report", str(report)]) == 1
    assert report.exists()
