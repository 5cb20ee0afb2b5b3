"""总览 (and the compound record) under AppTest: KPI tiles, alerts, tables and layers against the query layer.

One small demo database for the module (seed 7, 300 compounds, 6,000
complaints). The signed-in user is preset (login will soon be on by default).
"""
from __future__ import annotations

import json

import pytest

from data import db, queries
from data.demo import build_demo
from data.queries import complaint_stats as cs
from data.queries import evaluation as ev
from data.queries.overview import ALERT_ORDER, latest_quarter, overview
from data.queries.record import ranking_place
from data.scope import COUNTY, Period, Scope
from policy import ladders
from tests import apptest



@pytest.fixture(scope="module")
def demo(page_demo):
    url = page_demo("overview")
    engine = db.make_engine(url)
    months = queries.complaint_months(engine)
    period = Period.months(months[-12], months[-1])  # the sidebar's default
    yield url, engine, period
    engine.dispose()


@pytest.fixture
def open_app(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo[0])

    def _open(user="leader", page=None, params=None, **state):
        return apptest.open_page(page, user=user, timeout=180, query=params, **state)

    return _open


def _metric(at, label_start: str):
    found = [m for m in at.metric if m.label.startswith(label_start)]
    assert found, [m.label for m in at.metric]
    return found[0]


def _script(at) -> str:
    """The base map's script and the swappable layers (mode, heat, selection) together."""
    return apptest.map_args(at)["script"]


def _boxes(at) -> dict[str, list[str]]:
    return {"error": [e.value for e in at.error], "warning": [e.value for e in at.warning],
            "info": [e.value for e in at.info], "success": [e.value for e in at.success]}


# --------------------------------------------------------------------------- KPI tiles
def test_kpis_match_the_query_layer(open_app, demo):
    _, engine, period = demo
    at = open_app()
    month = period.last_month().label()
    top = cs.complaint_ranking(engine, COUNTY, month)
    assert _metric(at, "本月投诉排名上榜小区").value == f"{len(top):,}"
    assert f"{int((top['consecutive_months'] >= 2).sum())} 个" in _metric(at, "本月投诉排名上榜小区").delta

    quarter = latest_quarter(engine, period)
    lists = ev.quarter_lists(engine, COUNTY, quarter)
    black = _metric(at, "黑榜项目")
    assert black.value == f"{int((lists['list'] == '黑榜').sum()):,}" and quarter in black.delta

    row = cs.target_progress(engine, COUNTY, period).iloc[-1]
    progress = _metric(at, "降幅目标进度")
    assert progress.value == f"{row['ytd_change']:+.1%}"
    assert ("已达到" in progress.delta) if row["ytd_met"] else ("还需减少" in progress.delta)
    assert "−30%" in progress.delta or "30%" in progress.delta

    now = _metric(at, "本月诉求")
    assert month in now.label and now.value == f"{int(row['complaints']):,}"


def test_target_gap_is_the_exact_count_still_to_cut(demo):
    _, engine, period = demo
    ov = overview(engine, COUNTY, period)
    # the goal: at most baseline × 0.7 complaints (以上 inclusive, so the floor of that)
    allowed = ov.target.baseline * 7 // 10
    assert ov.target.gap == max(0, ov.target.current - allowed)


# --------------------------------------------------------------------------- alerts
def test_alerts_name_each_township_under_its_ladder_action(open_app, demo):
    _, engine, period = demo
    at = open_app()
    ladder = cs.township_ranking(engine, COUNTY, period.last_month().label())
    boxes = _boxes(at)
    where = {ladders.COLLECTIVE_TALK: "error", ladders.PUBLIC_COMMITMENT: "warning", ladders.REMINDER: "info"}
    # every consequence a township owes has its line (the commitment and the talk can both apply)
    acted = ladder.assign(action=ladder["actions"].map(list)).explode("action").dropna(subset=["action"])
    assert len(acted), "the demo should have at least one township alert"
    for action, group in acted.groupby("action"):
        words = ladders.ACTION_LABELS[action]
        line = [b for b in boxes[where[action]] if words in b]
        assert len(line) == 1, (words, boxes)
        assert f"（{len(group)} 个镇街）" in line[0]
        for r in group.itertuples():
            assert f"{r.township}（同比 {r.yoy_change:+,} 件" in line[0]
    quiet = ladder[ladder["actions"].map(len) == 0]["township"]
    monthly = " ".join(b for b in sum(boxes.values(), []) if "季度诉求同比增幅" not in b)
    assert not [t for t in quiet if f"{t}（同比" in monthly]
    assert any("县专班集中谈话" in c.value for c in at.caption)  # the rule in words


def test_quarterly_last_place_is_an_alert_too(open_app, demo):
    _, engine, period = demo
    at = open_app()
    quarter = ladders.last_complete_quarter(period.last_month().label())
    table = cs.township_quarter_ranking(engine, COUNTY, quarter)
    last = table[table["action"].isin([ladders.EXECUTIVE_MEETING, ladders.STANDING_COMMITTEE])]
    said = [w for w in _boxes(at)["warning"] if f"{quarter} 季度诉求同比增幅全县最高" in w]
    assert len(said) == last["action"].nunique()
    for r in last.itertuples():
        line = [w for w in said if ladders.ACTION_LABELS[r.action] in w]
        assert line and f"{r.township}（同比 {r.yoy_change:+,} 件" in line[0]


def test_alerts_in_english(open_app):
    at = open_app(lang="en")
    text = " ".join(b for v in _boxes(at).values() for b in v)
    assert "Work reminder" in text or "Collective talk" in text or "public commitment" in text
    assert any(m.label == "Black-listed projects" for m in at.metric)


# --------------------------------------------------------------------------- tables
def test_township_table_carries_the_ladder_state(open_app, demo):
    _, engine, period = demo
    at = open_app()
    table = at.dataframe[0].value
    assert {"镇街", "小区数", "诉求数", "每百户诉求", "本月诉求", "同比增减（件）", "连续上升月数", "问责措施"} <= set(table.columns)
    ladder = cs.township_ranking(engine, COUNTY, period.last_month().label()).set_index("township")
    shown = table.set_index("镇街")
    assert set(shown.index) == set(ladder.index)
    for town, r in ladder.iterrows():
        assert shown.loc[town, "问责措施"] == r["action_label"]
        assert shown.loc[town, "本月诉求"] == r["complaints"]
        assert shown.loc[town, "同比增减（件）"] == r["yoy_change"]
    assert list(table["同比增减（件）"]) == sorted(table["同比增减（件）"], reverse=True)


def test_every_table_has_its_excel_download(open_app, demo):
    _, engine, period = demo
    at = open_app()
    assert [t.label for t in at.tabs][:4] == ["镇街统计与问责", "本月上榜小区", "黑榜项目", "目标进度（逐月）"]
    buttons = at.get("download_button")
    assert len(buttons) >= 4
    top = at.dataframe[1].value
    assert len(top) == len(cs.complaint_ranking(engine, COUNTY, period.last_month().label()))
    assert {"名次", "小区", "连续上榜月数", "问责措施"} <= set(top.columns)
    assert set(at.dataframe[3].value["累计达标"]) <= {"是", "否", "—"}


def test_a_download_is_made_and_audited_at_the_click_without_a_rerun(open_app, demo, monkeypatch):
    """Every download is deferred and its click does not rerun the page: a rerun that ends
    before the file is asked for retires the button's file id, and the download fails.
    The export is audited where the file is made."""
    from io import BytesIO

    import openpyxl
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import app_test

    from data import audit

    managers = []

    class KeptMediaFileManager(MediaFileManager):  # the test run's own manager, kept to ask it for a file
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", KeptMediaFileManager)
    _, engine, _ = demo
    at = open_app()
    buttons = [b.proto for b in at.get("download_button")]
    assert buttons and all(b.HasField("deferred_file_id") and b.ignore_rerun for b in buttons)
    workbook = next(b for b in buttons if b.label == "下载 Excel")
    before = len(audit.entries(engine, actions=["export"]))
    files = managers[-1]
    url = files.execute_deferred(workbook.deferred_file_id)
    content = files._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content
    book = openpyxl.load_workbook(BytesIO(content))
    assert any("导出人" in str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    after = audit.entries(engine, actions=["export"])
    assert len(after) == before + 1
    assert after.iloc[0]["username"] == "leader" and after.iloc[0]["target"].endswith(".xlsx")


def test_township_user_sees_only_its_own_rows(open_app, demo):
    _, engine, period = demo
    at = open_app(user="jinxiang_jd")
    tables = [d.value for d in at.dataframe if "事项" not in d.value.columns]  # the to-do list comes first
    town = tables[0]
    assert len(town) == 1
    tid = queries.townships(engine, Scope())
    name = town["镇街"].iloc[0]
    township_id = int(tid.loc[tid["name"] == name, "id"].iloc[0])
    top = cs.complaint_ranking(engine, Scope(township_id), period.last_month().label())
    assert _metric(at, "本月投诉排名上榜小区").value == f"{len(top):,}"
    assert set(tables[1]["镇街"]) <= {name}
    other = [t for t in tid["name"] if t != name]
    every_alert = " ".join(b for v in _boxes(at).values() for b in v)
    assert not [t for t in other if f"{t}（同比" in every_alert]


# --------------------------------------------------------------------------- the map
def _named(name: str, script: str) -> bool:
    return f'"{name}"' in script or f"'{name}'" in script or json.dumps(name) in script


def test_every_boundary_level_is_switchable_at_county_scope(open_app):
    base = apptest.map_args(open_app())["base_script"]
    for name in ("县界", "镇街边界", "社区边界", "网格边界", "镇街名称", "社区名称"):
        assert _named(name, base), name
    assert "labels_community" in base and "labels_township" in base  # zoom-ranged label panes


def test_mode_heat_and_selection_are_swapped_in_without_changing_the_base_map(open_app, demo):
    """The base map's script is the same whatever the mode, heat or selection: st_folium keeps the
    map (and the user's zoom) and swaps only ``feature_group``."""
    _, engine, _ = demo
    first = apptest.map_args(open_app())
    compound = int(queries.compounds(engine, COUNTY)["id"].iloc[0])
    other = apptest.map_args(open_app(home_mode="evaluation", home_heat=True, home_selected=compound))
    assert first["base_script"] == other["base_script"]
    assert first["feature_group"] != other["feature_group"]
    assert apptest.packed_features(first["feature_group"])  # the compounds
    assert '"heat"' in other["feature_group"] and '"heat"' not in first["feature_group"]
    assert '"areas"' in first["feature_group"] and '"compounds"' in first["feature_group"]


def test_the_map_carries_every_compound_packed(open_app, demo):
    _, engine, _ = demo
    at = open_app()
    features = apptest.packed_features(_script(at))
    ids = {f["properties"]["id"] for f in features}
    assert ids == set(queries.compounds(engine, COUNTY)["id"])
    assert all(f["properties"]["_fill"].startswith("#") for f in features)


@pytest.mark.parametrize("mode, words", [("evaluation", "黑榜"), ("credit", "级"), ("fee_status", "表决中")])
def test_evaluation_colour_modes_have_their_data_on_the_overview(open_app, mode, words):
    at = open_app(home_mode=mode)
    script = _script(at)
    assert "无数据" not in script
    assert json.dumps(words, ensure_ascii=False)[1:-1] in script


# --------------------------------------------------------------------------- the record
def test_record_shows_its_ranking_place_and_ladder_action(open_app, demo):
    _, engine, period = demo
    month = period.last_month().label()
    top = cs.complaint_ranking(engine, COUNTY, month)
    first = top.iloc[0]
    at = open_app(page="pages/compounds.py", params={"compound": str(int(first["project_id"]))})
    rank = _metric(at, f"{month} 全县投诉排名")
    assert rank.value == f"第 {int(first['rank'])} 名"
    assert _metric(at, "连续上榜").value == f"{int(first['consecutive_months'])} 个月"
    words = [b for v in _boxes(at).values() for b in v if "全县投诉量前" in b]
    assert words and first["action_label"] in words[0] and f"第 {int(first['rank'])} 名" in words[0]


def test_record_of_an_unlisted_compound_gives_its_rank_in_the_county(open_app, demo):
    _, engine, period = demo
    month = period.last_month().label()
    listed = set(cs.complaint_ranking(engine, COUNTY, month)["project_id"])
    ids = [int(i) for i in queries.compounds(engine, COUNTY)["id"] if int(i) not in listed]
    place = ranking_place(engine, ids[0], month)
    at = open_app(page="pages/compounds.py", params={"compound": str(ids[0])})
    value = _metric(at, f"{month} 全县投诉排名").value
    assert value == ("无诉求" if place["rank"] is None else f"第 {place['rank']} 名")
    assert any("未进入全县投诉量前" in c.value for c in at.caption)


def test_record_lists_its_red_and_black_entries(open_app, demo):
    _, engine, period = demo
    quarter = latest_quarter(engine, period)
    lists = ev.quarter_lists(engine, COUNTY, quarter)
    black = lists[lists["list"] == "黑榜"].iloc[0]
    at = open_app(page="pages/compounds.py", params={"compound": str(int(black["compound_id"]))})
    said = [e.value for e in at.error if "列入黑榜" in e.value]
    assert said and quarter in said[0] and black["consequence"] in said[0]
    entries = [d.value for d in at.dataframe if "近期黑榜次数" in d.value.columns]
    assert entries and entries[0].iloc[0]["季度"] == quarter
    assert int(entries[0].iloc[0]["近期黑榜次数"]) == int(black["black_count"])


def test_ui_words_for_actions_are_the_policy_words():
    from ui.text import TEXT
    from policy import ratings

    for action, words in ladders.ACTION_LABELS.items():
        assert TEXT[f"act_{action}"][0] == words, action
    for action, words in ratings.ACTIONS.items():
        assert TEXT[f"cmp_cons_{action}"][0] == words, action


def test_record_in_english_translates_the_ladder_words(open_app, demo):
    _, engine, period = demo
    first = cs.complaint_ranking(engine, COUNTY, period.last_month().label()).iloc[0]
    at = open_app(page="pages/compounds.py", params={"compound": str(int(first["project_id"]))}, lang="en")
    said = " ".join(e.value for e in list(at.error) + list(at.warning) + list(at.info))
    assert "top 50" in said and not [w for w in ladders.ACTION_LABELS.values() if w in said]


def test_overview_figures_on_both_backends(db_url):
    """The same figures from SQLite and PostgreSQL (SQL aggregation, month formats, sums)."""
    engine = db.make_engine(db_url)
    db.migrate(engine)
    build_demo(engine, seed=3, compounds=60, complaints=2000)
    months = queries.complaint_months(engine)
    period = Period.months(months[-12], months[-1])
    ov = overview(engine, COUNTY, period)
    t = ov.townships
    assert t["compounds"].sum() == 60
    assert t["complaints"].sum() == int(queries.complaint_counts(engine, COUNTY, period, by="township")
                                        .dropna(subset=["township"])["count"].sum())
    assert ov.month == months[-1] and len(ov.target_table) == 12
    assert ov.month_complaints == int(ov.target_table["complaints"].iloc[-1])
    assert set(ov.alerts["action"]) <= set(ALERT_ORDER)
    assert list(ov.top_list["project_id"]) == list(cs.complaint_ranking(engine, COUNTY, ov.month)["project_id"])
    engine.dispose()


def test_briefing_button_makes_the_month_briefing(open_app, demo, media):
    """总览's 月度通报 button: made at the click for the period's last month, a Word paper on A4."""
    import io

    from docx import Document

    _, engine, period = demo
    at = open_app()
    month = period.last_month().label()
    files = {k.split("|")[0]: v for k, v in apptest.downloads(at, media).items()}
    doc = Document(io.BytesIO(files["月度通报（Word）"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{int(month[:4])}年{int(month[5:])}月" in text and "镇街问责情况" in text
    assert round(doc.sections[0].page_width.mm) == 210 and len(doc.inline_shapes) == 2


# --------------------------------------------------------------------------- 不可比 (issue 14)
def test_first_year_of_data_is_not_comparable(demo):
    """No month of the data's first year has a year-earlier month: 不可比, no alerts, no +x % target."""
    _, engine, _ = demo
    months = queries.complaint_months(engine)
    first_year = Period.months(months[0], months[11])
    ov = overview(engine, COUNTY, first_year)
    assert not ov.month_comparable and ov.not_comparable_months == months[:12]
    assert ov.target.change is None and ov.target.met is None and not ov.target.comparable
    assert ov.alerts.empty and ov.townships["yoy_change"].isna().all()
    assert (ov.townships["ladder_action"] == "无").all()
    later = overview(engine, COUNTY, Period.months(months[12], months[12]))
    assert later.month_comparable and later.not_comparable_months == []


def test_overview_says_why_a_month_is_not_comparable(open_app, demo):
    _, engine, _ = demo
    months = queries.complaint_months(engine)
    at = open_app(period_preset="custom", period_range=(months[0], months[11]))
    said = " ".join(b for v in _boxes(at).values() for b in v) + " ".join(c.value for c in at.caption)
    assert "不可比" in said and f"数据始于 {months[0]}" in said


# --------------------------------------------------------------------------- one definition per figure
def test_a_months_complaints_are_one_figure_on_every_page(open_app, demo):
    """本期诉求 for one month, 本月诉求 and 诉求分析's month figure count the same work orders
    (they once read 1,117 and 1,184: matched to a compound vs all)."""
    _, engine, period = demo
    month = period.last_month().label()
    home = open_app(period_preset="this_month")
    period_tile = int(_metric(home, "本期诉求").value.replace(",", ""))
    month_tile = int(_metric(home, "本月诉求").value.replace(",", ""))
    analysis = open_app(page="pages/complaints.py", period_preset="this_month")
    analysis_tile = int(_metric(analysis, f"{month}").value.replace(",", ""))
    assert period_tile == month_tile == analysis_tile
    total = int(queries.complaint_counts(engine, COUNTY, Period.months(month), by="month")["count"].sum())
    assert period_tile == total
    assert "未匹配" in (_metric(home, "本期诉求").help or "")  # the definition is on the tile


def test_home_record_panel_shows_rating_fee_credit_check_and_open_items(open_app, demo):
    """The record beside the map answers a leader's first questions without opening 小区档案."""
    from datetime import date

    from data.queries.record import record_facts

    _, engine, _ = demo
    frame = queries.compounds(engine, COUNTY)
    # a compound with a company and an evaluation, so the rows carry values, not only 无
    facts = {int(c): record_facts(engine, COUNTY, int(c), today=date.today())
             for c in frame[frame["company_id"].notna()]["id"].head(30)}
    cid, f = next((c, f) for c, f in facts.items() if f.evaluation is not None and f.credit is not None)
    at = open_app(home_selected=cid)
    table = next(tb.value for tb in at.table if "最近考评" in tb.value.index)
    assert table.loc["最近考评"].iloc[0].startswith(f.evaluation["quarter"])
    assert table.loc["企业信用"].iloc[0].startswith(f.credit["grade"])
    assert table.loc["调价状态"].iloc[0].startswith(f.fee_status)
    assert f"问责台账 {f.open_items} 项" in table.loc["未办结事项"].iloc[0]
    assert "最近抽查" in table.index


def test_a_compound_picked_on_the_map_selects_its_row_in_the_tables(open_app, demo):
    """Linked views both ways: the map's selection is the top list's selected row, and a compound
    that is in no table clears the tables' selection."""
    from data.queries.overview import overview

    _, engine, period = demo
    top = overview(engine, COUNTY, period).top_list
    listed = int(top["project_id"].iloc[2])
    at = open_app(home_selected=listed)
    assert at.session_state["pick_tab_top_list"]["selection"]["rows"] == [2]
    assert not at.exception
    others = set(queries.compounds(engine, COUNTY)["id"]) - set(top["project_id"].dropna().astype(int))
    # row 2 was picked earlier (remembered), then the user clicked another compound on the map
    at = open_app(home_selected=int(min(others)), pick_tab_top_list={"selection": {"rows": [2]}},
                  picked_tab_top_list=("tab_top_list", (2,)))
    assert at.session_state["pick_tab_top_list"]["selection"]["rows"] == []
    assert at.session_state["home_selected"] == int(min(others))  # the old row did not win back the map


def test_a_write_on_another_page_recolours_the_overview_in_the_same_process(open_app, demo):
    """A fee status changed on 物业费 must show on 总览 of the same app process at once: each page's
    clear() dropped only its own loaders, so the overview's colours stayed as before the write."""
    from data import auth
    from data.queries.fees import record_fee_status
    from ui import cache_evaluation as ec

    url, engine, _ = demo
    frame = queries.compounds(engine, COUNTY)
    status = queries.latest_fee_status(engine, COUNTY).set_index("compound_id")["status"]
    cid = int(next(c for c in frame["id"] if int(c) not in status.index))  # at 无
    before = apptest.packed_features(apptest.map_args(open_app(home_mode="fee_status", home_selected=cid))
                                     ["feature_group"])
    fill = {int(f["properties"]["id"]): f["properties"]["_fill"] for f in before}
    record_fee_status(engine, COUNTY, cid, "成本已公开", actor=auth.get_account(engine, "housing"), reason="测试")
    ec.clear()  # what pages/fees.py does after the write
    after = apptest.packed_features(apptest.map_args(open_app(home_mode="fee_status", home_selected=cid))
                                    ["feature_group"])
    refill = {int(f["properties"]["id"]): f["properties"]["_fill"] for f in after}
    assert fill[cid] != refill[cid]


def test_a_large_scope_sends_only_the_compounds_around_the_view(open_app, demo):
    """City and province scale (issue 17): above ``map_all_compounds_max`` the map gets no compound
    while zoomed out and only those around the view when zoomed in; the legend speaks for all."""
    from data import settings

    _, engine, _ = demo
    frame = queries.compounds(engine, COUNTY)
    everything = apptest.packed_features(apptest.map_args(open_app())["feature_group"])
    assert len([f for f in everything if "id" in f["properties"]]) == len(frame)  # a county: all of them
    settings.set_value(engine, "map_all_compounds_max", 100)
    try:
        zoomed_out = apptest.map_args(open_app())
        assert not [f for f in apptest.packed_features(zoomed_out["feature_group"]) if "id" in f["properties"]]
        assert '"areas"' in zoomed_out["feature_group"]  # the places stand for them
        chosen = frame.iloc[5]
        p = chosen.geometry.representative_point()
        near = apptest.map_args(open_app(params={"lat": f"{p.y:.5f}", "lon": f"{p.x:.5f}", "z": "16"}))
        ids = {int(f["properties"]["id"]) for f in apptest.packed_features(near["feature_group"])
               if "id" in f["properties"]}
        assert int(chosen["id"]) in ids and 0 < len(ids) < len(frame) / 3
        assert "投诉密度" in near["feature_group"]  # the legend
    finally:
        settings.set_value(engine, "map_all_compounds_max", 5000)
