"""AppTest smoke tests of the 双随机抽查 and 执法联动 pages on a small demo county."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from data import db
from tests import apptest
from data.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inspection_pages")
    old = os.environ.get("PHOTOS_DIR")
    os.environ["PHOTOS_DIR"] = str(folder / "photos")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, seed=7, compounds=300, complaints=4000)
    engine.dispose()
    yield url
    if old is None:
        os.environ.pop("PHOTOS_DIR", None)
    else:
        os.environ["PHOTOS_DIR"] = old


@pytest.fixture
def open_page(demo_url, monkeypatch):
    """``open_page(path, user="leader", **state)``: the page as that demo user (tests/apptest.py)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)

    def _open(path: str, user: str = "leader", **state):
        return apptest.open_page(path, user=user, timeout=120, **state)

    return _open


def cache_draws(at):
    """The draws table of the 抽取 tab (the one with a 批次 column first)."""
    for frame in at.dataframe:
        if "随机种子" in frame.value.columns:
            return frame.value
    raise AssertionError([list(f.value.columns) for f in at.dataframe])


def test_inspection_page_draws_and_verifies(open_page):
    at = open_page("pages/inspection.py", user="housing")
    assert at.title[0].value == "双随机抽查"
    assert any("演示数据" in i.value for i in at.info)
    before = len(cache_draws(at))  # the draws table
    at.number_input(key="insp_n").set_value(15)
    at.button(key="insp_go").click().run()  # the preview records nothing and shows no picks
    assert not at.exception, [e.value for e in at.exception]
    assert any("将从" in i.value and "抽取 15 个" in i.value for i in at.info), [i.value for i in at.info]
    assert len(at.dataframe[0].value) >= 1 and not any("已抽取批次" in s.value for s in at.success)
    assert len(cache_draws(at)) == before
    at.button(key="insp_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已抽取批次" in s.value for s in at.success), [e.value for e in at.error]
    assert len(cache_draws(at)) == before + 1
    # the batch's list is on the tab, and stays there on the next run (a reload keeps it too)
    at.run()
    assert any(h.value.startswith("批次") for h in at.subheader), [h.value for h in at.subheader]
    at.button(key="insp_verify").click().run()
    assert any("验证通过" in s.value for s in at.success)
    assert "python -m data verify-draw" in at.code[0].value


def test_inspection_page_refuses_a_bad_seed_and_lists_the_public_draws(open_page):
    at = open_page("pages/inspection.py", user="housing")
    at.text_input(key="insp_seed").set_value("abc")
    at.button(key="insp_go").click().run()
    assert any("随机种子应为正整数" in e.value for e in at.error)
    public = [df.value for df in at.dataframe if "整改情况" in df.value.columns]
    assert public and len(public[0]) > 0
    assert not {"检查组", "检查人员"} & set(public[0].columns)


def test_enforcement_page_lists_cases_and_maps_open_ones_offline(open_page):
    at = open_page("pages/enforcement.py")
    assert at.title[0].value == "执法联动"
    tables = [df.value for df in at.dataframe]
    assert any("案件编号" in t.columns and len(t) > 0 for t in tables)
    assert any("超期案件" in t.columns for t in tables)
    maps = [el for el in at.main if getattr(el, "type", "") == "component_instance"]
    args = json.loads(maps[0].proto.json_args)
    links = args["js_links"] + args["css_links"]
    assert not [u for u in links if u.startswith(("http:", "https:", "//"))]
    assert args["script"].count('"case_no"') > 0
    assert any(b.label == "导出案件呈报表（Word）" for b in at.get("download_button"))


def test_a_read_only_role_gets_no_draw_and_no_case_forms(open_page):
    at = open_page("pages/inspection.py", user="leader")
    assert at.button(key="insp_go").disabled
    assert any("只能查看" in c.value for c in at.caption)
    assert "insp_publish_btn" not in [b.key for b in at.button]
    at = open_page("pages/enforcement.py", user="leader")
    assert not [b for b in at.button if b.label == "登记环节"]
    assert [tab.label for tab in at.tabs][-1] != "新建案件"


def test_enforcement_page_records_the_next_step(open_page, demo_url):
    from data import auth
    from data.queries import cases as cq

    engine = db.make_engine(demo_url)
    town = auth.get_account(engine, "jinxiang_jd").scope
    open_cases = cq.cases(engine, town)
    open_cases = open_cases[open_cases["step"] != "结案"]
    assert len(open_cases), "the demo township has open cases"
    case_id = int(open_cases["id"].iloc[0])
    at = open_page("pages/enforcement.py", user="jinxiang_jd")
    at.selectbox(key="case_pick").set_value(case_id).run()
    buttons = [b for b in at.button if b.label == "登记环节"]
    assert buttons
    at.text_area(key="case_step_note").set_value("现场处置")
    for key in ("cf_ru", "cf_rcu"):
        if key in [w.key for w in at.text_input]:
            at.text_input(key=key).set_value("测试单位")
    buttons[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    steps = cq.case_detail(engine, town, case_id).steps
    assert steps["actor"].iloc[-1] == "金乡街道物业办"  # recorded as the signed-in township user
    engine.dispose()


def test_pages_switch_to_english(open_page):
    at = open_page("pages/inspection.py", lang="en")
    assert at.title[0].value == "Random spot checks"
    at = open_page("pages/enforcement.py", lang="en")
    assert at.title[0].value == "Joint enforcement"


def test_an_inspector_lands_on_the_checks_not_the_county_overview(open_page):
    from ui.nav import available, landing

    assert landing("inspector", available("inspector")).path == "pages/inspection.py"
    assert landing("leader", available("leader")).path == "pages/home.py"
    at = open_page(None, user="inspector1")
    assert at.title and at.title[0].value.startswith("双随机"), [x.value for x in at.title]
