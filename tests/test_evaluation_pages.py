"""AppTest smoke tests of the 考核评价 and 物业费 pages on a small demo database."""
from __future__ import annotations


import pytest

from data import db
from tests import apptest



@pytest.fixture(scope="module")
def demo_url(page_demo):
    return page_demo("evaluation_pages")


@pytest.fixture
def open_page(demo_url, monkeypatch):
    """``open_page(path, user="leader", **state)``: the page as that demo user (tests/apptest.py)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)

    def _open(path: str, user: str = "leader", **state):
        return apptest.open_page(path, user=user, timeout=180, **state)

    return _open


def _maps(at) -> list[dict]:
    """Every map of the page; ``script`` with the layers swapped in (``apptest.map_args``)."""
    count = len([el for el in at.main if getattr(el, "type", "") == "component_instance"])
    return [apptest.map_args(at, i) for i in range(count)]


def _offline(args: dict) -> bool:
    links = args["js_links"] + args["css_links"]
    return bool(links) and not [u for u in links if u.startswith(("http:", "https:", "//"))]


def test_evaluation_page_lists_map_and_company_view(open_page):
    at = open_page("pages/evaluation.py")
    assert at.title[0].value.startswith("考核评价")
    labels = {m.label: m.value for m in at.metric}
    assert {"参评项目", "红榜项目", "黑榜项目", "黑名单企业"} <= set(labels)
    quarters = at.selectbox(key="ev_quarter").options
    assert quarters and quarters[0] > quarters[-1]  # newest first
    maps = _maps(at)
    assert len(maps) == 2 and all(_offline(m) for m in maps)
    assert "红黑榜（最近季度考评）" in maps[0]["script"]
    headers = [set(df.value.columns) for df in at.dataframe]
    assert any({"小区", "考评分数", "榜单"} <= h for h in headers)
    assert any({"物业企业", "企业黑名单", "信用等级", "守信激励（A级以上）"} <= h for h in headers)
    assert any("处理措施" in h for h in headers)
    assert len(at.get("vega_lite_chart")) >= 1  # the credit history chart
    assert any(b.label == "下载 Excel" for b in at.get("download_button"))


def test_evaluation_page_switches_quarter_and_company(open_page, demo_url):
    from data.queries.evaluation import company_status
    from data.scope import Scope

    at = open_page("pages/evaluation.py")
    older = at.selectbox(key="ev_quarter").options[-1]
    at.selectbox(key="ev_quarter").set_value(older).run()
    assert not at.exception
    status = company_status(db.make_engine(demo_url), Scope(), older)
    last = status.sort_values("company").iloc[-1]
    at.selectbox(key="ev_company").set_value(int(last["company_id"])).run()
    assert not at.exception
    assert any(last["company"] in m.value for m in at.markdown)


def test_evaluation_page_saves_an_edit(open_page, demo_url):
    from data import audit

    assert "ev_form_score" not in [w.key for w in open_page("pages/evaluation.py", user="leader").number_input]
    at = open_page("pages/evaluation.py", user="housing")
    at.number_input(key="ev_form_score").set_value(55.5)
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    last = audit.entries(db.make_engine(demo_url)).iloc[0]
    assert (last["username"], last["action"]) == ("housing", "edit")  # recorded as the signed-in user


def test_fees_page_map_legend_and_counts(open_page):
    at = open_page("pages/fees.py")
    assert at.title[0].value.startswith("物业费")
    counts = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert list(counts) == ["无", "成本已公开", "表决中", "已通过", "未通过", "降费评估中", "限期整改", "已降费", "启动退出程序"]
    assert sum(counts.values()) == 300 and counts["无"] < 300
    (m,) = _maps(at)
    assert _offline(m)
    script = m["script"]
    for label in ("物业费调价状态", "成本已公开", "表决中", "降费评估中", "#fd8d3c"):
        assert label in script


@pytest.mark.parametrize("part_area, part_owners, yes_area, yes_owners, verdict", [
    ("8000", 80, "4000.01", 41, "表决通过"),      # 2/3 exactly of 12000 ㎡ and of 120 owners
    ("7999.99", 80, "7999.99", 80, "表决无效"),
    ("8000", 80, "4000", 41, "表决未通过"),       # exactly half the area: not 过半数
])
def test_fees_page_vote_calculator(open_page, part_area, part_owners, yes_area, yes_owners, verdict):
    at = open_page("pages/fees.py")
    at.text_input(key="fee_total_area").input("12000")
    at.number_input(key="fee_total_owners").set_value(120)
    at.text_input(key="fee_part_area").input(part_area)
    at.number_input(key="fee_part_owners").set_value(part_owners)
    at.text_input(key="fee_yes_area").input(yes_area)
    at.number_input(key="fee_yes_owners").set_value(yes_owners).run()
    assert not at.exception
    shown = [x.value for x in (*at.success, *at.warning, *at.error)]
    assert any(s.startswith(verdict) for s in shown), shown


def test_fees_page_records_a_status_change(open_page, demo_url):
    from data.queries.fees import fee_overview
    from data.scope import Scope

    overview = fee_overview(db.make_engine(demo_url), Scope())
    row = overview[overview["fee_status"] == "无"].iloc[3]
    leader = open_page("pages/fees.py", user="leader")
    leader.selectbox(key="fee_pick").set_value(int(row["id"])).run()
    assert "fee_new" not in [w.key for w in leader.selectbox] and any("只能查看" in c.value for c in leader.caption)
    at = open_page("pages/fees.py", user="housing")
    at.selectbox(key="fee_pick").set_value(int(row["id"])).run()
    assert at.selectbox(key="fee_new").options == ["成本已公开", "降费评估中（启动服务质量评价，实行降费管理）"]
    submit = next(b for b in at.button if b.label == "确认变更")
    submit.click().run()
    assert any("变更理由" in e.value for e in at.error)  # refused: no reason, nothing written
    at.text_area(key="fee_reason").input("公开近三年服务成本")
    next(b for b in at.button if b.label == "确认变更").click().run()
    assert not at.exception
    assert any("无 → 成本已公开" in s.value for s in at.success), [e.value for e in at.error]
    assert at.selectbox(key="fee_pick").value == int(row["id"])
    history = [df.value for df in at.dataframe if "经办人" in df.value.columns]
    assert history and "县住建局物业科" in set(history[0]["经办人"])  # the signed-in user, not a typed name
    assert any(o.startswith(row["name"]) and o.endswith(" · 成本已公开") for o in at.selectbox(key="fee_pick").options)


def test_fees_page_candidates_have_reasons(open_page):
    at = open_page("pages/fees.py")
    tables = [df.value for df in at.dataframe if "候选理由" in df.value.columns]
    assert tables and len(tables[0]) > 0 and tables[0]["候选理由"].str.len().gt(0).all()


def test_english_headers(open_page):
    at = open_page("pages/fees.py", lang="en")
    assert at.title[0].value.startswith("Property fees")
