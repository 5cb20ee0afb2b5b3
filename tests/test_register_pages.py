"""问责台账 under AppTest: the page's figures and table follow the query layer, a township sees and
updates only its own items, and the overview shows 应落实/已落实/逾期 per township and check coverage."""
from __future__ import annotations

import pytest

from data import db, queries
from data.queries import register as reg
from data.scope import COUNTY, Period, Scope
from tests import apptest


@pytest.fixture(scope="module")
def demo(page_demo):
    url = page_demo("register")
    engine = db.make_engine(url)
    months = queries.complaint_months(engine)
    yield url, engine, months[-1]
    engine.dispose()


@pytest.fixture
def open_app(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo[0])

    def _open(user="leader", page="pages/register.py"):
        return apptest.open_page(page, user=user, timeout=180)

    return _open


def _metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def test_register_page_figures_follow_the_query_layer(open_app, demo):
    _, engine, month = demo
    at = open_app()
    assert at.title[0].value == "问责台账"
    from ui.register import periods_of

    summary = reg.summary_by_township(engine, COUNTY, periods=periods_of(month))
    assert int(summary["owed"].sum()) > 0, "the demo month should owe something"
    assert _metric(at, "应落实").value == f"{int(summary['owed'].sum()):,}"
    assert _metric(at, "逾期").value == f"{int(summary['overdue'].sum()):,}"
    tables = [d.value for d in at.dataframe if "处理措施" in d.value.columns]
    assert tables and len(tables[0]) > 0 and "责任单位" in tables[0].columns
    assert any(b.label == "下载 Excel" for b in at.get("download_button"))


def test_township_user_sees_and_updates_only_its_own_items(open_app, demo):
    _, engine, month = demo
    from data import auth

    town = auth.get_account(engine, "jinxiang_jd").scope
    at = open_app(user="jinxiang_jd")
    table = [d.value for d in at.dataframe if "处理措施" in d.value.columns][0]
    mine = reg.items(engine, town)
    assert set(table["镇街"].dropna()) <= set(mine["township"].dropna())
    open_items = mine[mine["state"].isin(["待落实", "逾期"])]
    assert len(open_items), "the demo township should owe something still open"
    if len(table):
        item = int(open_items["id"].iloc[0])
        at.selectbox(key="ar_pick").set_value(item).run()
        at.radio(key="ar_new").set_value("已落实")
        at.text_area(key="ar_note_text").set_value("已召开整改会并督促物业企业整改")
        at.button[[b.label for b in at.button].index("保存")].click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert reg.items(engine, town).set_index("id").loc[item, "state"] == "已落实"


def test_overview_shows_register_figures_and_check_coverage(open_app, demo):
    _, engine, month = demo
    at = open_app(page=None)
    from ui.register import periods_of

    summary = reg.summary_by_township(engine, COUNTY, periods=periods_of(month))
    line = [b.value for b in list(at.info) + list(at.error) if "问责台账" in b.value]
    assert line and f"应落实 {int(summary['owed'].sum())} 项" in line[0]
    tabs = [d.value for d in at.dataframe if "应落实" in d.value.columns]
    assert tabs and set(tabs[0]["镇街"]) == set(summary["township"])
    checks = [d.value for d in at.dataframe if "检查覆盖率" in d.value.columns]
    assert checks and len(checks[0]) == len(summary)
    coverage = [d.value for d in at.dataframe if "智慧物业" in d.value.columns]
    assert coverage  # the per-township coverage table
