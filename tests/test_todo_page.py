"""The to-do panel on 总览 under AppTest: open for a township officer (their landing), folded for a
county role, absent for an inspector; its figures are the query layer's for the user's own scope."""
from __future__ import annotations

import json
from datetime import date

import pytest

from data import auth, db
from data.queries import register as reg
from data.queries import todo as td
from data.queries.inspection import Viewer
from tests import apptest


@pytest.fixture(scope="module")
def demo(page_demo):
    url = page_demo("todo")
    engine = db.make_engine(url)
    reg.sync_latest(engine)  # the register's items, as the page's own sync makes them
    yield url, engine
    engine.dispose()


@pytest.fixture
def open_app(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo[0])

    def _open(user):
        return apptest.open_page(None, user=user, timeout=180)

    return _open


def _expected(engine, username):
    account = auth.get_account(engine, username)
    return td.todo(engine, account.scope, date.today(), viewer=Viewer.of(account))


def test_a_township_officer_lands_on_the_overview_with_the_panel_open(open_app, demo):
    at = open_app("jinxiang_jd")
    assert any(h.value == "待办事项" for h in at.subheader), [h.value for h in at.subheader]
    frame = _expected(demo[1], "jinxiang_jd")
    assert len(frame) and frame["overdue"].any()  # the demo township has overdue work
    counts = td.counts(frame)
    for kind, (n, late) in counts.items():
        metric = next(m for m in at.metric if m.label == kind)
        assert metric.value == f"{n:,}"
        assert (metric.proto.delta or None) == (f"逾期 {late} 项" if late else None)
    # the panel comes before the tiles: the first metric on the page is a to-do kind
    assert at.metric[0].label == td.KINDS[0]
    # the most urgent row named with its link, and the list as a selectable table
    first = frame.iloc[0]
    assert any(first["title"] in m.value for m in at.markdown), [m.value for m in at.markdown][:5]
    links = [el for el in at.main.get("page_link")]
    stem = first["page"].removeprefix("pages/").removesuffix(".py")
    assert [el.proto.page for el in links] == [stem]
    key = {"问责台账": "item", "执法案件": "case", "错峰停车方案": "proposal", "抽查整改": "result"}[first["kind"]]
    assert links[0].proto.query_string == f"{key}={int(first['ref_id'])}"  # the item itself, for its page
    table = at.dataframe[0].value
    assert len(table) == len(frame)
    # every row of the township's own, none of another township's
    assert "镇街" not in table.columns
    assert set(frame["township"]) == {"金乡街道"}


def test_a_county_leader_sees_it_folded_with_the_counts(open_app, demo):
    at = open_app("leader")
    frame = _expected(demo[1], "leader")
    label = f"待办事项 · {len(frame)} 项，其中逾期 {int(frame['overdue'].sum())} 项"
    assert any(e.label == label for e in at.expander), [e.label for e in at.expander]
    assert not any(h.value == "待办事项" for h in at.subheader)
    assert len(frame["township"].unique()) > 1  # the county sums every township


def test_an_inspector_has_no_panel(open_app):
    at = open_app("inspector1")
    at.switch_page("pages/home.py").run()
    assert not at.exception, apptest.failures(at)
    assert not any(e.label.startswith("待办事项") for e in at.expander)
    assert not any(h.value == "待办事项" for h in at.subheader)


def test_nothing_to_do_is_one_calm_line(page_demo, monkeypatch):
    from sqlalchemy import text

    url = page_demo("todo_empty")
    engine = db.make_engine(url)
    reg.sync_latest(engine)
    town = auth.get_account(engine, "jinxiang_jd").scope.township_id
    with engine.begin() as c:  # everything of the township done
        c.execute(text("UPDATE accountability_item SET state = '已落实' WHERE township_id = :t"), {"t": town})
        c.execute(text("UPDATE enforcement_case SET step = '结案', closed_at = opened_at WHERE township_id = :t"),
                  {"t": town})
        c.execute(text("UPDATE parking_proposal SET status = '已批准' WHERE township_id = :t"), {"t": town})
        c.execute(text("UPDATE spot_check_result SET rectified_at = checked_at WHERE rectification_due IS NOT NULL"
                       " AND compound_id IN (SELECT id FROM compound WHERE township_id = :t)"), {"t": town})
    assert _expected(engine, "jinxiang_jd").empty
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page(None, user="jinxiang_jd", timeout=180)
    assert any(h.value == "待办事项" for h in at.subheader)
    assert any(c.value == "暂无待办。" for c in at.caption), [c.value for c in at.caption][:5]
    assert not [m for m in at.metric if m.label in td.KINDS]


def test_a_case_link_opens_the_enforcement_page_with_that_case_chosen(open_app, demo, monkeypatch):
    frame = _expected(demo[1], "jinxiang_jd")
    cases = frame[frame["kind"] == td.CASE]
    assert len(cases) >= 2
    wanted = int(cases.iloc[0]["ref_id"])  # the most overdue: the oldest, last in the newest-first selectbox
    at = apptest.open_page("pages/enforcement.py", user="jinxiang_jd", timeout=180, query={"case": str(wanted)})
    assert at.selectbox(key="case_pick").options[0] != at.selectbox(key="case_pick").format_func(wanted)
    assert at.selectbox(key="case_pick").value == wanted
    assert any("已选中待办中的案件" in i.value for i in at.info)
    assert "case" not in at.query_params  # read once: the user's next choice is their own


def test_the_panel_speaks_english_when_asked(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo[0])
    at = apptest.open_page(None, user="jinxiang_jd", timeout=180, lang="en")
    assert any(h.value == "To-do" for h in at.subheader)
    labels = [m.label for m in at.metric][:4]
    assert labels == ["Accountability", "Enforcement cases", "Parking proposals", "Rectifications"]
    assert {"Overdue", "Kind", "Item", "Due", "State", "Page"} <= set(at.dataframe[0].value.columns)


def test_a_register_link_opens_the_register_with_that_item_chosen(demo, monkeypatch):
    """The to-do's 问责台账 link (``?item=``) chooses the item in the update form, and shows its period
    even when it is older than the month's (an overdue item usually is)."""
    frame = _expected(demo[1], "jinxiang_jd")
    items = frame[frame["kind"] == td.REGISTER]
    assert len(items)
    monkeypatch.setenv("DATABASE_URL", demo[0])
    everything = reg.items(demo[1], auth.get_account(demo[1], "jinxiang_jd").scope)
    periods = everything.set_index("id")["period"]
    # the oldest open item: the most likely to sit outside the month's default periods
    wanted = int(min(items["ref_id"], key=lambda i: periods.loc[int(i)]))
    at = apptest.open_page("pages/register.py", user="jinxiang_jd", timeout=180, query={"item": str(wanted)})
    assert periods.loc[wanted] in at.multiselect(key="ar_periods").value
    assert at.selectbox(key="ar_pick").value == wanted
    assert any("已选中待办中的台账事项" in i.value for i in at.info)
    assert "item" not in at.query_params  # read once


def _open_tab(at) -> str:
    """The label of the tab the page opens on (``st.tabs(default=…)``), from the first tab container."""
    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and "tab_container" in proto.DESCRIPTOR.fields_by_name and proto.HasField(
                "tab_container"):
            return list(node.children.values())[proto.tab_container.default_tab_index].label
        for child in getattr(node, "children", {}).values():
            if (found := walk(child)) is not None:
                return found
        return None
    return walk(at.main)


def test_a_rectification_link_opens_the_inspection_page_on_that_check(demo, monkeypatch):
    """The to-do's 抽查整改 link (``?result=``) opens 结果登记 with the check's draw and the check chosen."""
    from data.queries import inspection as iq

    account = auth.get_account(demo[1], "jinxiang_jd")
    frame = _expected(demo[1], "jinxiang_jd")
    due = frame[frame["kind"] == td.RECTIFICATION]
    assert len(due)
    wanted = int(due.iloc[-1]["ref_id"])
    draw = iq.result_draw(demo[1], account.scope, wanted, viewer=Viewer.of(account))
    assert draw is not None
    monkeypatch.setenv("DATABASE_URL", demo[0])
    plain = apptest.open_page("pages/inspection.py", user="jinxiang_jd", timeout=180)
    assert _open_tab(plain) == "抽取"  # without a link the page opens as before
    at = apptest.open_page("pages/inspection.py", user="jinxiang_jd", timeout=180, query={"result": str(wanted)})
    assert _open_tab(at) == "结果登记"
    assert at.selectbox(key="insp_results_draw").value == draw
    assert at.selectbox(key="insp_result").value == wanted
    assert any("已选中待办中的抽查整改" in i.value for i in at.info)
    assert not at.warning
    assert "result" not in at.query_params  # read once


def test_a_link_to_a_check_of_an_unpublished_draw_stays_hidden(page_demo, monkeypatch):
    """A township officer given ``?result=`` of an unpublished draw gets neither the check nor its draw;
    the drawing unit (住建局) with the same link does."""
    from sqlalchemy import text

    from data.queries import inspection as iq

    url = page_demo("todo_hidden")
    engine = db.make_engine(url)
    town = auth.get_account(engine, "jinxiang_jd")
    record = iq.run_draw(engine, town.scope, n=2, actor=auth.get_account(engine, "housing"), seed=99)
    results = iq.draw_results(engine, town.scope, record.draw_id)
    secret = int(results["result_id"].iloc[0])
    assert iq.result_draw(engine, town.scope, secret, viewer=Viewer.of(town)) is None
    assert iq.result_draw(engine, town.scope, secret, viewer=iq.TRUSTED) == record.draw_id  # the drawing unit
    with engine.connect() as c:  # the drawn team's ids (the result rows name the team, not its ids)
        team = [int(i) for i in json.loads(c.execute(text("SELECT inspector_ids FROM spot_check_result WHERE id = :i"),
                                                     {"i": secret}).scalar())]
    on_team, outsider = Viewer("inspector", team[0]), Viewer("inspector", max(team) + 1000)
    assert iq.result_draw(engine, town.scope, secret, viewer=on_team, inspector_id=team[0]) == record.draw_id
    assert iq.result_draw(engine, town.scope, secret, viewer=outsider, inspector_id=outsider.inspector_id) is None
    assert iq.result_draw(engine, town.scope, 10**9, viewer=iq.TRUSTED) is None  # no such check
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    at = apptest.open_page("pages/inspection.py", user="jinxiang_jd", timeout=180, query={"result": str(secret)})
    assert any("不在您的查看范围内" in w.value for w in at.warning)
    assert _open_tab(at) == "抽取"
    assert at.selectbox(key="insp_result").value != secret
    assert record.draw_id not in at.selectbox(key="insp_results_draw").options
    assert "result" not in at.query_params
    unit = apptest.open_page("pages/inspection.py", user="housing", timeout=180, query={"result": str(secret)})
    assert unit.selectbox(key="insp_result").value == secret
    assert unit.selectbox(key="insp_results_draw").value == record.draw_id
