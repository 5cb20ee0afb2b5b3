"""诉求分析 and the complaint side of 数据管理 under AppTest on a small demo database.

The page's output is checked against the query layer (the ranking, the ladders, the targets),
for Chinese action words, for masking (no complainant phone from the database anywhere in
what the page sends, downloads included), for Excel downloads that read back with Chinese
headers, and for the duty-matrix editor shown to administrators only. The data page imports
a real .xlsx and a GBK .csv with a bad row (error table, nothing written), and matches an
unmatched complaint by hand. At the end: the quarterly last-place rule as a table.
"""
from __future__ import annotations

import io
import json
import re
import shutil

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import audit, db, queries
from data.queries import complaint_stats as cs
from data.queries.duties import duty_matrix
from data.schema import Complaint, Compound
from data.scope import COUNTY, Period, Scope
from policy import ladders
from tests import apptest

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")
ACTIONS = {"通报", "建议更换项目经理", "启动更换物业企业程序"}
NO_COMPANY_ACTIONS = {"镇街督促整改（无物业企业）", "镇街落实兜底物业服务"}  # 业主自管 / 无物业 compounds


def _each(labels) -> set[str]:
    """Every consequence named in a column of "、"-joined consequences."""
    return {part for label in labels for part in str(label).split("、")}
TOWNSHIP_ACTIONS = {"工作提醒", "党（工）委书记公开承诺", "县专班集中谈话", "无"}


@pytest.fixture(scope="module")
def demo_url(page_demo):
    return page_demo("complaints_pages")


@pytest.fixture
def write_url(demo_url, tmp_path, monkeypatch):
    """A copy of the demo database for tests that write."""
    path = tmp_path / "write.sqlite"
    shutil.copy(demo_url[len("sqlite:///"):], path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def open_page(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)

    def _open(page: str = "pages/complaints.py", user: str = "leader", **state):
        return apptest.open_page(page, user=user, timeout=180, **state)

    return _open


def _engine(url):
    return db.make_engine(url)


def _table(at, *columns) -> pd.DataFrame:
    """The first table showing all ``columns`` (Chinese headers)."""
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with {columns}: {[list(d.value.columns) for d in at.dataframe]}")


def _xlsx_tables(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def _header(rows: list[tuple], wanted: str) -> tuple[int, tuple]:
    for i, row in enumerate(rows[:3]):
        if wanted in row:
            return i, row
    raise AssertionError(f"no header with {wanted!r} in {rows[:3]}")


def _page_text(at) -> str:
    """Everything the page shows as text: tables, metrics, markdown, captions, alerts, labels."""
    parts = []
    for df in at.dataframe:
        parts.append(df.value.astype(str).to_csv(index=False))
    for kind in ("markdown", "caption", "title", "subheader", "success", "info", "warning", "error"):
        parts += [str(el.value) for el in at.get(kind)]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    parts += [json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("vega_lite_chart")]
    return "\n".join(parts)


# --------------------------------------------------------------------------- 诉求分析
def test_ranking_ladder_is_the_county_ranking_with_actions_in_chinese(open_page, demo_url):
    at = open_page()
    assert at.title[0].value == "诉求分析"
    months = queries.complaint_months(_engine(demo_url))
    assert at.selectbox(key="cp_month").value == months[-1]  # default: the latest month with data
    expected = cs.complaint_ranking(_engine(demo_url), COUNTY, months[-1])
    shown = _table(at, "排名", "小区（物业项目）", "连续上榜月数", "处理措施")
    assert len(shown) == len(expected) > 50  # ties at the cut-off are all listed
    assert shown["小区（物业项目）"].tolist() == expected["compound"].tolist()
    assert shown["排名"].tolist() == expected["rank"].tolist()
    assert ACTIONS <= _each(shown["处理措施"]) <= ACTIONS | NO_COMPANY_ACTIONS  # all three steps this month
    runs = dict(zip(shown["连续上榜月数"], shown["处理措施"]))
    assert runs[1] == "通报" and runs[2] in {"建议更换项目经理、通报", "镇街督促整改（无物业企业）、通报"}
    assert all(a in {"启动更换物业企业程序、通报", "镇街落实兜底物业服务、通报"}
               for n, a in zip(shown["连续上榜月数"], shown["处理措施"]) if n >= 3)
    assert not {"notify", "replace_manager", "replace_company"} & set(_page_text(at).split())
    assert any(m.value.startswith(f"本月上榜 {len(expected)} 个：通报") for m in at.markdown)


def test_township_ladders_and_kpis_follow_the_queries(open_page, demo_url):
    at = open_page()
    month = at.selectbox(key="cp_month").value
    towns = _table(at, "镇街", "连续上升月数", "处理措施")
    expected = cs.township_ranking(_engine(demo_url), COUNTY, month)
    assert towns["镇街"].tolist() == expected["township"].tolist()
    assert _each(towns["处理措施"]) <= TOWNSHIP_ACTIONS and "工作提醒" in _each(towns["处理措施"])
    quarter = ladders.last_complete_quarter(month)
    assert any(s.value == f"{quarter} 季度倒数" for s in at.subheader)
    q = _table(at, "本季倒数", "近4季倒数次数")
    assert "在县政府常务会议上表态发言" in set(q["处理措施"]) | {"在县委常委会议上表态发言"}
    assert (q["本季倒数"] == "是").sum() >= 1

    target = cs.target_progress(_engine(demo_url), COUNTY, ladders_period(month)).iloc[0]
    metrics = {m.label: m for m in at.metric}
    assert metrics[f"{month} 诉求"].value == f"{int(target['complaints']):,}"
    assert metrics["上年同月"].value == f"{int(target['last_year']):,}"
    assert metrics["年内累计同比"].value == f"{target['ytd_change'] * 100:+.1f}%"
    assert "30%" in metrics["年内累计同比"].delta  # the goal from settings
    assert len(at.get("progress")) == 1


def ladders_period(month):
    from data.scope import Period

    return Period.months(month, month)


def test_trend_and_breakdowns(open_page):
    at = open_page()
    trend = _table(at, "月份", "诉求数", "上年同期", "目标线")
    assert (trend["目标线"] == (trend["上年同期"] * 0.7).round(1)).all()
    assert re.fullmatch(r"\d{4}-\d{2}", trend["月份"].iloc[0])
    charts = at.get("vega_lite_chart")
    assert charts and "目标线（上年同月 −30%）" in json.dumps(json.loads(charts[0].proto.spec), ensure_ascii=False)
    cats = _table(at, "诉求类型", "占比（%）")
    assert cats["占比（%）"].sum() == pytest.approx(100, abs=0.5)
    assert len(_table(at, "承办单位", "占比（%）")) > 5


def test_category_filter_narrows_records_and_export(open_page, media):
    at = open_page()
    at.multiselect(key="cp_categories").set_value(["停车管理"]).run()
    assert not at.exception
    records = _table(at, "工单编号", "诉求类型", "联系电话")
    assert len(records) > 0 and set(records["诉求类型"]) == {"停车管理"}
    files = apptest.downloads(at, media)
    (name, data), = [(k, v) for k, v in files.items() if k.startswith("导出 Open311 JSON")]
    requests = json.loads(data)
    assert [r["service_request_id"] for r in requests] == records["工单编号"].tolist()
    assert {r["service_name"] for r in requests} == {"停车管理"}
    assert not any("phone" in k or "name" in k and k != "service_name" for r in requests for k in r)


def test_no_unmasked_phone_in_page_or_downloads(open_page, demo_url, media):
    at = open_page()
    records = _table(at, "工单编号", "来电人", "联系电话")
    phones = [p for p in records["联系电话"] if p]
    assert phones and all(MASKED_PHONE.match(p) for p in phones), phones[:5]
    assert all(not n or "*" in n for n in records["来电人"])
    with Session(_engine(demo_url)) as s:
        raw = set(s.scalars(select(Complaint.complainant_phone).where(Complaint.complainant_phone.is_not(None))))
    assert raw
    text = _page_text(at)
    for data in apptest.downloads(at, media).values():
        if data[:2] == b"PK":
            text += "\n".join(str(c) for rows in _xlsx_tables(data).values() for r in rows for c in r)
        else:
            text += data.decode("utf-8")
    assert not PHONE.findall(text), PHONE.findall(text)[:5]
    assert not [p for p in raw if p in text]


def test_every_table_downloads_as_excel_with_chinese_headers(open_page, media):
    at = open_page()
    files = {k: v for k, v in apptest.downloads(at, media).items() if k.startswith("下载 Excel")}
    assert len(files) >= 8  # ranking, townships, quarter, trend, 2 breakdowns, records, duty matrix
    headers = []
    for data in files.values():
        (sheet, rows), = _xlsx_tables(data).items()
        assert re.search(r"[\u4e00-\u9fff]", sheet)
        headers.append(rows)
    ranking = next(rows for rows in headers if any("处理措施" in r and "连续上榜月数" in r for r in rows[:3]))
    i, head = _header(ranking, "处理措施")
    col = head.index("处理措施")
    actions = _each(r[col] for r in ranking[i + 1:] if len(r) > col and r[col] is not None)
    assert ACTIONS <= actions <= ACTIONS | NO_COMPANY_ACTIONS
    assert any("导出人" in str(c) for r in ranking[-3:] for c in r)  # stamped with who exported
    records = next(rows for rows in headers if any("联系电话" in r for r in rows[:3]))
    i, head = _header(records, "联系电话")
    col = head.index("联系电话")
    phones = [r[col] for r in records[i + 1:] if len(r) > col and r[col]]
    assert phones and all(MASKED_PHONE.match(p) for p in phones)


@pytest.mark.parametrize("user, editable", [("leader", False), ("housing", False), ("jinxiang_jd", False),
                                            ("admin", True)])
def test_duty_matrix_editor_only_for_roles_that_edit_settings(open_page, user, editable):
    at = open_page(user=user)
    assert bool([e for e in at.data_editor if e.key == "cp_duty_editor"]) is editable
    # the 12345 category table beside it is kept by 住建局 and 管理员 (registers, not settings)
    assert bool([e for e in at.data_editor if e.key == "cp_catmap_editor"]) is (user in ("housing", "admin"))
    assert bool([b for b in at.button if b.key == "cp_duties_save"]) is editable
    duties = _table(at, "诉求类型", "责任部门")
    assert dict(zip(duties["诉求类型"], duties["责任部门"]))["供水"] == "供水企业"
    if not editable:
        assert any("只有管理员" in c.value for c in at.caption)


def test_admin_duty_edit_is_stored_and_audited(write_url):
    at = apptest.open_page("pages/complaints.py", user="admin", timeout=180)
    shown = at.data_editor[0].value
    row = shown["诉求类型"].tolist().index("供水")
    at.session_state["cp_duty_editor"] = {"edited_rows": {row: {"责任部门": "县水务局"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.run()
    at.button(key="cp_duties_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存 1 项修改" in s.value for s in at.success)
    engine = _engine(write_url)
    assert duty_matrix(engine)["供水"] == "县水务局"
    log = audit.entries(engine, username="admin")
    entry = log[log["target"] == "职责分工：供水"]
    assert len(entry) == 1 and "县水务局" in str(entry["detail"].iloc[0])


def test_admin_duty_edit_with_reassign_moves_the_open_complaints(write_url):
    engine = _engine(write_url)
    with Session(engine) as s:
        open_before = s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.category == "供水", Complaint.department == "供水企业", Complaint.status != "已办结"))
        closed_before = s.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.category == "供水", Complaint.department == "供水企业", Complaint.status == "已办结"))
    assert open_before and closed_before  # the demo has both
    at = apptest.open_page("pages/complaints.py", user="admin", timeout=180)
    row = at.data_editor[0].value["诉求类型"].tolist().index("供水")
    at.session_state["cp_duty_editor"] = {"edited_rows": {row: {"责任部门": "县水务局"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.checkbox(key="cp_duties_reassign").check().run()
    at.button(key="cp_duties_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"已改派 {open_before} 件未办结诉求" in i.value for i in at.info), [i.value for i in at.info]
    with Session(engine) as s:
        rows = s.execute(select(Complaint.department, Complaint.status).where(Complaint.category == "供水")).all()
    assert sum(d == "县水务局" for d, _ in rows) == open_before
    assert sum(d == "供水企业" and st == "已办结" for d, st in rows) == closed_before  # closed ones stay


def test_township_user_sees_only_its_own_rows(open_page, demo_url):
    at = open_page(user="jinxiang_jd")
    town = queries.townships(_engine(demo_url), Scope(township_id=1))["name"].iloc[0]
    ranking = _table(at, "排名", "处理措施")
    assert len(ranking) and set(ranking["镇街"]) == {town}
    assert _table(at, "镇街", "连续上升月数")["镇街"].tolist() == [town]
    records = _table(at, "工单编号", "联系电话")
    assert set(records["镇街"]) - {""} == {town}


def test_english_switch_renders(open_page):
    at = open_page(lang="en")
    assert at.title[0].value == "Complaint analysis"


# --------------------------------------------------------------------------- 数据管理
def _points(url, n=2):
    """Points inside the first ``n`` compounds, and their names."""
    frame = queries.compounds(_engine(url), COUNTY).sort_values("id").head(n)
    pts = frame.geometry.representative_point()
    return list(zip(frame["name"], pts.x, pts.y))


HEAD = ["工单编号", "受理时间", "诉求类型", "诉求内容", "诉求详细地址", "经度", "纬度", "办理状态", "来电人", "联系电话"]


def _count(url) -> int:
    with Session(_engine(url)) as s:
        return s.scalar(select(func.count()).select_from(Complaint))


def _open_data(url, user="housing"):
    return apptest.open_page("pages/data.py", user=user, timeout=180)


def _import(at, name: str, data: bytes, mime: str, *, kind="complaints"):
    at.radio(key="import_kind").set_value(kind).run()
    at.file_uploader(key="import_file").set_value((name, data, mime)).run()
    at.checkbox(key="import_dry_run").uncheck().run()
    at.button(key="import_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_data_page_imports_a_real_xlsx(write_url, media):
    (name1, x1, y1), (name2, _, _) = _points(write_url)
    wb = openpyxl.Workbook()
    wb.active.append(HEAD)
    wb.active.append(["T-0001", "2026-10-20 09:15", "物业服务", "电梯坏了没人修", "某路 1 号", x1, y1, "办理中",
                      "赵大明", "13912345678"])
    wb.active.append(["T-0002", "2026/10/21 10:00", "停车管理", "车位被占", f"金乡县{name2}3号楼", None, None,
                      "已办结", "钱小红", "13800001111"])
    buf = io.BytesIO()
    wb.save(buf)
    before = _count(write_url)
    at = _import(_open_data(write_url), "12345工单.xlsx", buf.getvalue(),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert any("导入完成" in s.value and "新建 2" in s.value for s in at.success), [s.value for s in at.success]
    assert {m.label: m.value for m in at.metric}["新建"] == "2"
    assert len(at.get("progress")) == 1
    assert _count(write_url) == before + 2
    with Session(_engine(write_url)) as s:
        rows = {c.order_no: c for c in s.scalars(select(Complaint).where(Complaint.order_no.like("T-%")))}
        names = dict(s.execute(select(Compound.id, Compound.name)).all())
    assert names[rows["T-0001"].compound_id] == name1 and rows["T-0001"].match_method == "坐标"
    assert names[rows["T-0002"].compound_id] == name2
    assert rows["T-0001"].complainant_phone == "13912345678"  # stored as text; shown masked
    assert not PHONE.findall(_page_text(at))


def test_data_page_gbk_csv_with_a_bad_row_writes_nothing(write_url, media):
    (_, x1, y1), = _points(write_url, 1)
    lines = [",".join(HEAD),
             f"G-0001,2026-10-20 09:15,物业服务,楼道灯不亮,某路 2 号,{x1},{y1},办理中,孙一,13512345678",
             "G-0002,去年某天,停车管理,乱停车,某路 3 号,,,办理中,李二,13612345678",
             f"G-0003,2026-10-22 08:00,供暖,暖气不热,某路 4 号,{x1},{y1},待办理,周三,13712345678"]
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    before = _count(write_url)
    at = _import(_open_data(write_url), "12345工单_gbk.csv", data, "text/csv")
    assert any("校验未通过" in e.value and "未写入任何数据" in e.value for e in at.error)
    errors = _table(at, "行号", "列", "值", "原因")
    assert errors["行号"].tolist() == [3] and errors["列"].iloc[0] == "受理时间"
    assert errors["值"].iloc[0] == "去年某天"
    assert _count(write_url) == before
    with Session(_engine(write_url)) as s:
        assert not s.scalar(select(func.count()).select_from(Complaint).where(Complaint.order_no.like("G-%")))
    report = next(v for k, v in apptest.downloads(at, media).items() if k.startswith("下载错误报告"))
    rows = _xlsx_tables(report)["错误"]
    assert rows[0] == ("行号", "列", "值", "原因") and rows[1][:3] == (3, "受理时间", "去年某天")
    assert not PHONE.findall(_page_text(at))


def test_data_page_imports_parking_resources(write_url):
    (_, x1, y1), = _points(write_url, 1)
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "单位类型", "可共享车位", "工作日开放时段", "经度", "纬度"])
    wb.active.append(["测试局机关院内停车场", "机关单位", 40, "18:00至次日7:30", x1 + 0.001, y1])
    buf = io.BytesIO()
    wb.save(buf)
    at = _import(_open_data(write_url), "停车资源.xlsx", buf.getvalue(), "application/octet-stream",
                 kind="parking")
    assert any("导入完成" in s.value and "新建 1" in s.value for s in at.success), [e.value for e in at.error]
    log = audit.entries(_engine(write_url), username="housing")
    assert (log["action"] == "import").any()


def test_unmatched_queue_is_masked_and_assigned_by_hand(write_url, media):
    engine = _engine(write_url)
    queue = cs.unmatched(engine, COUNTY)
    assert len(queue)
    at = _open_data(write_url)
    shown = _table(at, "工单编号", "联系电话")
    assert len(shown) == len(queue)
    assert all(MASKED_PHONE.match(p) for p in shown["联系电话"] if p)
    sheets = [_xlsx_tables(v) for k, v in apptest.downloads(at, media).items() if k.startswith("下载 Excel")]
    (rows,), = [list(t.values()) for t in sheets if "未匹配诉求" in t]
    i, head = _header(rows, "联系电话")
    assert len(rows) - i - 1 >= len(queue)  # every row (plus the export stamp)
    order = queue["order_no"].iloc[0]
    target = queries.compounds(engine, COUNTY).sort_values("id").iloc[3]
    at.selectbox(key="assign_order").set_value(order)
    at.selectbox(key="assign_compound").set_value(int(target["id"]))
    at.button[[b.label for b in at.button].index("指定小区")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"工单 {order} 已匹配到 {target['name']}" in s.value for s in at.success)
    with Session(engine) as s:
        assert s.scalar(select(Complaint.compound_id).where(Complaint.order_no == order)) == int(target["id"])
    assert len(_table(at, "工单编号", "联系电话")) == len(queue) - 1
    log = audit.entries(engine, username="housing")
    assert (log["target"] == f"工单 {order}").any()
    assert not PHONE.findall(_page_text(at))


def test_leader_cannot_import_or_assign(open_page):
    at = open_page(user="leader")
    try:
        at.switch_page("pages/data.py").run()
    except Exception:  # noqa: BLE001 - not in this user's navigation at all: refused
        return
    assert not [b for b in at.button if b.key == "import_go"]  # the page itself refuses writes too
    assert not [b for b in at.button if b.label == "指定小区"]


# --------------------------------------------------------------------------- quarterly last place (policy)
def _town_counts(table: dict[str, dict]) -> pd.DataFrame:
    rows = [(t, m, n) for m, per in table.items() for t, n in per.items()]
    return pd.DataFrame(rows, columns=["township_id", "month", "complaints"])


@pytest.mark.parametrize("month, quarter", [("2026-12", "2026-Q4"), ("2026-11", "2026-Q3"), ("2026-10", "2026-Q3"),
                                            ("2026-01", "2025-Q4"), ("2026-02", "2025-Q4"), ("2026-03", "2026-Q1")])
def test_last_complete_quarter(month, quarter):
    assert ladders.last_complete_quarter(month) == quarter


@pytest.mark.parametrize("table, quarter, expected", [
    # the largest YoY rise of the quarter is last: statement at the executive meeting
    ({"2025-01": {1: 5, 2: 5}, "2026-02": {1: 9, 2: 6}}, "2026-Q1", {1: "executive_meeting", 2: "none"}),
    # ties at the top are both last
    ({"2025-01": {1: 5, 2: 5, 3: 5}, "2026-03": {1: 8, 2: 8, 3: 5}}, "2026-Q1",
     {1: "executive_meeting", 2: "executive_meeting", 3: "none"}),
    # everybody changed alike: nobody is last
    ({"2025-01": {1: 5, 2: 5}, "2026-01": {1: 5, 2: 5}}, "2026-Q1", {1: "none", 2: "none"}),
    # a fall can still be last when everybody fell
    ({"2025-02": {1: 10, 2: 10}, "2026-02": {1: 9, 2: 2}}, "2026-Q1", {1: "executive_meeting", 2: "none"}),
    # last in 2025-Q4 and again in 2026-Q1 (across the year end) → standing committee
    ({"2024-11": {1: 1, 2: 1}, "2025-11": {1: 6, 2: 1}, "2025-01": {1: 1, 2: 1}, "2026-01": {1: 7, 2: 1}},
     "2026-Q1", {1: "standing_committee", 2: "none"}),
    # last 5 quarters ago is outside the 4-quarter window
    ({"2024-11": {1: 1, 2: 1}, "2024-12": {}, "2025-02": {1: 6, 2: 1}, "2026-02": {1: 12, 2: 1}}, "2026-Q1",
     {1: "executive_meeting", 2: "none"}),
])
def test_township_quarter_ladder(table, quarter, expected):
    # the data is complete from 2024-01 (zero months are real zeros): every quarter is comparable
    out = ladders.township_quarter_ladder(_town_counts(table), quarter, data_from="2024-01").set_index("township_id")
    assert out["action"].to_dict() == expected


def test_township_quarter_ladder_columns_and_labels():
    out = ladders.township_quarter_ladder(_town_counts({"2025-04": {1: 2, 2: 4}, "2026-05": {1: 7, 2: 4}}), "2026-Q2")
    assert out.columns.tolist() == ["township_id", "complaints", "last_year", "yoy_change", "last_place",
                                    "times_last", "action", "comparable", "basis", "score", "actions"]
    assert out.iloc[0].drop("score").to_dict() == {
        "township_id": 1, "complaints": 7, "last_year": 2, "yoy_change": 5, "last_place": True, "times_last": 1,
        "action": "executive_meeting", "comparable": True, "basis": "complaints", "actions": ("executive_meeting",)}
    assert ladders.ACTION_LABELS["executive_meeting"] == "在县政府常务会议上表态发言"
    assert ladders.ACTION_LABELS["standing_committee"] == "在县委常委会议上表态发言"
    assert ladders.township_quarter_ladder(_town_counts({}), "2026-Q2").empty


def test_the_handler_reveals_one_complainant_with_a_reason_and_it_is_logged(open_page, demo_url):
    """Masked everywhere; the township that handles an order may see who called, once, logged."""
    from data import auth

    engine = _engine(demo_url)
    town = auth.get_account(engine, "jinxiang_jd").scope
    month = "2026-10"
    with Session(engine) as s:
        order, phone = s.execute(select(Complaint.order_no, Complaint.complainant_phone).where(
            Complaint.township_id == town.township_id, Complaint.complainant_phone.is_not(None),
            Complaint.received_at >= pd.Timestamp(f"{month}-01")).limit(1)).one()
    leader = open_page(user="leader", cp_month=month)
    assert "cp_reveal_order" not in [w.key for w in leader.selectbox]  # no reveal for a read-only role
    at = open_page(user="jinxiang_jd", cp_month=month)
    at.selectbox(key="cp_reveal_order").set_value(order)
    next(b for b in at.button if b.label == "查看").click().run()
    assert any("原因" in e.value for e in at.error)  # no reason: refused
    assert not [i for i in at.info if phone in i.value]
    at.text_input(key="cp_reveal_reason").input("电话回访核实办理结果")
    next(b for b in at.button if b.label == "查看").click().run()
    assert any(phone in i.value for i in at.info), [i.value for i in at.info]
    log = audit.entries(engine, username="jinxiang_jd", actions=["reveal"])
    assert f"complaint:{order}" in set(log["target"]) and "电话回访核实办理结果" in log["detail"].iloc[0]
    engine.dispose()


def _heat_cells(at) -> int:
    """Hexagons in the page's heat map (the compact JSON of layers.heat), read from the map script."""
    script = apptest.map_args(at, 1)["script"]  # the ladder's map comes first, heat is the last tab
    start = script.index('{"offsets"')
    data, _ = json.JSONDecoder().raw_decode(script, start)
    return len(data["cells"])


def test_heat_map_is_offline_and_follows_the_category_filter(open_page, demo_url):
    at = open_page()
    for args in (apptest.map_args(at), apptest.map_args(at, 1)):
        assert not [u for u in args["js_links"] + args["css_links"] if u.startswith(("http:", "https:", "//"))]
    everything = _heat_cells(at)
    categories = cs.filter_options(_engine(demo_url), COUNTY, Period.months("2025-11", "2026-10"))["categories"]
    narrow = open_page(cp_categories=[categories[-1]])
    assert 0 < _heat_cells(narrow) < everything
