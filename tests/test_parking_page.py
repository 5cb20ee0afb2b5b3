"""The 错时停车 page under AppTest on a small demo county, signed in as demo users; and the register
edit it relies on (``update_resource``) on SQLite and PostgreSQL.

Downloads are caught where Streamlit stores them (its in-memory media storage)
and opened with python-docx / openpyxl.
"""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from shapely.geometry import Point
from sqlalchemy.orm import Session

from data import auth, db
from data.queries import parking as q
from data.schema import ParkingResource, Township
from data.scope import COUNTY, Scope, ScopeError
from tests import apptest

PAGE = "pages/parking.py"
TOWNSHIP = 1  # 金乡街道 in the demo county, the township of the demo user jinxiang_jd


@pytest.fixture(scope="module")
def demo_file(page_demo):
    return Path(page_demo("parking_page")[len("sqlite:///"):])


@pytest.fixture
def demo_url(demo_file, tmp_path, monkeypatch):
    """A fresh copy of the demo database per test: tests that save proposals do not see each other's."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def open_page(user: str = "jinxiang_jd", **state):
    return apptest.open_page(PAGE, user=user, timeout=180, **state)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _by_button(at, media) -> dict[str, bytes]:
    """Button label → bytes (the first button of each label)."""
    out = {}
    for name, data in apptest.downloads(at, media).items():
        out.setdefault(name.split("|", 1)[0], data)
    return out


def _by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, [w.label for w in widgets]
    return found[0]


def _click(at, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_plan_summary_map_and_tables_for_the_demo_township(demo_url):
    at = open_page()
    assert at.title[0].value.startswith("错时停车")
    metrics = _metrics(at)
    placed, shortage = _number(metrics["已安排车辆（辆）"]), _number(metrics["停车缺口（辆）"])
    assert 0 < placed <= shortage
    assert 0 < _number(metrics["缺口满足率"]) <= 100 and _number(metrics["平均步行距离（米）"]) <= 500
    assert _number(metrics["仍缺（辆）"]) == shortage - placed
    # the figures are the exact planner's on the stored registers
    engine = db.make_engine(demo_url)
    scope = Scope(TOWNSHIP)
    from policy.parking import plan

    best = plan(*q.planning_inputs(q.demand(engine, scope), q.resources(engine, scope)))
    assert placed == best.placed
    # road bays awaiting approval are called out
    assert any("综合执法局" in w.value for w in at.warning)
    # the map: offline, the three layers and both legends
    maps = [json.loads(el.proto.json_args) for el in at.main if getattr(el, "type", "") == "component_instance"]
    assert len(maps) == 1
    links = maps[0]["js_links"] + maps[0]["css_links"]
    assert links and not [u for u in links if u.startswith(("http:", "https:", "//"))], links
    script = maps[0]["script"]
    for name in ("缺口小区", "车辆安排连线", "共享停车资源"):
        assert name in script or json.dumps(name)[1:-1] in script, name  # layer names arrive \u-escaped
    # the legends are under the map, not on it (where they covered features and hover labels)
    assert "governance-legend" not in script
    legends = [h.value for h in at.get("html") if "governance-legend" in h.value]
    assert len(legends) == 2 and "停车缺口（辆）" in legends[0] and "道路夜间临时泊位" in legends[1], legends
    assert script.count("_labels.push(") == 1  # capacity labels placed so they never overlap
    assert script.count('"_line":false') >= 10 and script.count('"resource":') >= 5
    # tables with Chinese headers, each downloadable
    headers = [set(df.value.columns) for df in at.dataframe]
    assert any({"小区", "安排至", "车辆数", "步行距离（米）"} <= h for h in headers)
    assert any({"名称", "停车缺口（辆）", "已安排（辆）", "仍缺（辆）"} <= h for h in headers)
    assert any({"名称", "产权单位类型", "可共享车位", "本方案安排（辆）"} <= h for h in headers)
    assert sum(b.label == "下载 Excel" for b in at.get("download_button")) >= 3


def _street_grid(bounds, step_deg: float = 0.001) -> bytes:
    """A GeoJSON street grid over ``bounds`` (~100 m blocks), every crossing a shared vertex."""
    import numpy as np

    minx, miny, maxx, maxy = bounds
    xs = np.arange(minx - step_deg, maxx + 2 * step_deg, step_deg)
    ys = np.arange(miny - step_deg, maxy + 2 * step_deg, step_deg)
    lines = [[[float(x), float(y)] for x in xs] for y in ys] + [[[float(x), float(y)] for y in ys] for x in xs]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"路{i}"}, "geometry": {"type": "LineString", "coordinates": c}}
        for i, c in enumerate(lines)]}).encode()


def test_with_a_road_network_the_map_draws_walks_along_the_streets(demo_url):
    engine = db.make_engine(demo_url)
    demand = q.demand(engine, Scope(TOWNSHIP))
    at = open_page()
    straight = _number(_metrics(at)["平均步行距离（米）"])
    at.file_uploader(key="pk_network").set_value(("街道路网.geojson", _street_grid(demand.total_bounds),
                                                  "application/geo+json")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已按路网计算步行距离" in c.value for c in at.caption), [c.value for c in at.caption]
    along = _number(_metrics(at)["平均步行距离（米）"])
    assert along > straight / 1.3  # city blocks are longer than the crow flies (detour factor aside)
    script = json.loads(next(el.proto.json_args for el in at.main
                             if getattr(el, "type", "") == "component_instance"))["script"]
    assert "#9e9e9e" in script  # the network layer
    lines = [f for f in apptest.packed_features(script) + _plain_features(script)
             if f["geometry"]["type"] == "LineString" and "cars" in f["properties"]]
    turning = [f for f in lines if len(f["geometry"]["coordinates"]) > 2]  # straight: only along one street
    assert lines and len(turning) >= len(lines) * 2 / 3, [len(f["geometry"]["coordinates"]) for f in lines]


def _plain_features(script: str) -> list[dict]:
    """GeoJSON features written into the map script as plain FeatureCollections."""
    decoder, out, at = json.JSONDecoder(), [], 0
    script = script.replace("<\\/", "</")
    while (start := script.find('{"type":"FeatureCollection"', at)) >= 0:
        collection, at = decoder.raw_decode(script, start)
        out += collection["features"]
    return out


def test_township_user_cannot_pick_another_township(demo_url):
    at = open_page(pk_township=2)  # 鱼山街道 preset: refused, back to the user's own
    box = at.selectbox(key="pk_township")
    assert box.options == ["金乡街道"] and box.value == TOWNSHIP and box.disabled
    resources = next(df.value for df in at.dataframe if "可共享车位" in df.value.columns)
    own = set(q.resources(db.make_engine(demo_url), Scope(TOWNSHIP))["name"])
    assert set(resources["名称"]) == own
    # the county leader chooses among all townships, and may not edit
    leader = open_page("leader")
    assert len(leader.selectbox(key="pk_township").options) == 14
    assert any("仅镇街" in i.value for i in leader.info)
    assert leader.button(key="pk_save").disabled


def test_exclude_lock_and_share_cap_replan(demo_url):
    at = open_page()
    before = _number(_metrics(at)["已安排车辆（辆）"])
    used = next(df.value for df in at.dataframe if "本方案安排（辆）" in df.value.columns)
    top = used.sort_values("本方案安排（辆）").iloc[-1]
    rid = int(q.resources(db.make_engine(demo_url), Scope(TOWNSHIP)).set_index("name").loc[top["名称"], "id"])
    at.multiselect(key=f"pk_exclude_{TOWNSHIP}").select(rid).run()
    assert not at.exception
    assert _number(_metrics(at)["已安排车辆（辆）"]) < before  # its cars had nowhere as close to go
    at.multiselect(key=f"pk_exclude_{TOWNSHIP}").unselect(rid).run()
    assert _number(_metrics(at)["已安排车辆（辆）"]) == before
    at.multiselect(key=f"pk_lock_{TOWNSHIP}").select(rid).run()
    at.selectbox(key="pk_share").set_value("1/4").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lines = next(df.value for df in at.dataframe if "锁定" in df.value.columns)
    kept = lines[lines["锁定"] == "是"]
    assert kept["安排至"].eq(top["名称"]).all() and kept["车辆数"].sum() == top["本方案安排（辆）"]


def test_save_proposal_change_state_and_download(demo_url, media):
    engine = db.make_engine(demo_url)
    scope = Scope(TOWNSHIP)
    assert q.proposals(engine, scope).empty
    at = _click(open_page(), "pk_save")
    saved = q.proposals(engine, scope)
    assert len(saved) == 1 and saved["status"].iloc[0] == "草稿"
    pid = int(saved["id"].iloc[0])
    stored = q.proposal(engine, scope, pid)
    assert stored["placed"] == _number(_metrics(at)["已安排车辆（辆）"]) > 0
    assert stored["created_by"] == "金乡街道物业办"
    assert any(f"方案编号 {pid}" in s.value for s in at.success)

    # an illegal transition shows the procedure's Chinese error and changes nothing
    _by_label(at.selectbox, "变更为").set_value("已批准")
    _click(at, "pk_change")
    assert any("不能从“草稿”变为“已批准”" in e.value for e in at.error), [e.value for e in at.error]
    assert q.proposal(engine, scope, pid)["status"] == "草稿"
    assert _by_label(at.selectbox, "变更为").value == "已批准"  # kept while the proposal stays 草稿
    _by_label(at.selectbox, "变更为").set_value("已提交")
    _by_label(at.text_input, "说明（退回时必填）").input("请审核")
    _click(at, "pk_change")
    history = q.proposal(engine, scope, pid)["history"]
    assert history["to_status"].tolist() == ["草稿", "已提交"] and history["note"].iloc[-1] == "请审核"
    assert history["actor"].iloc[-1] == "金乡街道物业办"
    assert any("“草稿”变为“已提交”" in s.value for s in at.success)
    assert any("待县住建局" in c.value for c in at.caption)  # the township does not approve its own proposal
    assert "pk_change" not in [b.key for b in at.button]
    with pytest.raises(PermissionError):
        q.change_state(engine, scope, pid, "已批准", actor=auth.get_account(engine, "jinxiang_jd"))
    shown = next(df.value for df in at.dataframe if "新状态" in df.value.columns)
    assert shown["新状态"].tolist() == ["草稿", "已提交"]

    files = _by_button(at, media)
    doc = Document(io.BytesIO(files["下载方案（Word）"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    title = next(p.text for p in doc.paragraphs if p.style.name == "公文-标题")
    assert title.startswith("金乡街道错时停车方案") and "（已提交）" in text
    assert doc.paragraphs[0].text == "金乡街道办事处文件" and "金乡街办发〔" in text  # 版头 and 文号
    assert len(doc.inline_shapes) == 1  # the assignments map
    assert "五、需报县综合执法局审批的道路夜间临时泊位" in text and "金乡街道办事处" in text
    book = openpyxl.load_workbook(io.BytesIO(files["下载方案（Excel）"]))
    assert {"汇总", "小区缺口", "车辆安排", "共享资源", "道路泊位审批", "流转记录"} <= set(book.sheetnames)
    sheet = book["车辆安排"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    cars = header.index("车辆数")
    total = sum(r[cars] for r in sheet.iter_rows(min_row=2, values_only=True) if isinstance(r[cars], int))
    assert total == stored["placed"]
    # the plan's own tables download as Excel with Chinese headers
    xlsx = openpyxl.load_workbook(io.BytesIO(files["下载 Excel"]))
    title, info, first = list(xlsx.worksheets[0].iter_rows(max_row=3, values_only=True))
    assert title[0] and "范围：金乡街道" in info[0] and "导出时间：" in info[0]  # what, where, when
    assert "小区" in first and "安排至" in first

    # the county approves: the housing bureau sees the township's submitted proposal and its two moves
    county = open_page(user="housing", pk_township=TOWNSHIP, pk_proposal=pid)
    assert _by_label(county.selectbox, "变更为").options[:2] == ["已批准", "退回"]
    _by_label(county.selectbox, "变更为").set_value("已批准")
    _click(county, "pk_change")
    history = q.proposal(engine, scope, pid)["history"]
    assert history["to_status"].tolist() == ["草稿", "已提交", "已批准"]
    assert history["actor"].iloc[-1] == "县住建局物业科"


def test_community_user_sees_the_page_read_only(demo_url):
    at = open_page("jinxiang_sq1")
    assert at.selectbox(key="pk_township").options == ["金乡街道"]
    assert any("仅镇街" in i.value for i in at.info)


# --------------------------------------------------------------------------- the register edit
def test_update_resource_is_validated_and_scoped(engine):
    with Session(engine) as s, s.begin():
        towns = [Township(code=f"T{k}", name=name, kind="街道") for k, name in enumerate(("金乡街道", "鱼山街道"))]
        s.add_all(towns)
        s.flush()
        r = ParkingResource(name="县财政局院内停车场", owner_kind="机关", township_id=towns[0].id, capacity=80,
                            weekday_opens="18:00", weekday_closes="07:30", status="可用",
                            geometry=Point(116.3, 35.07))
        s.add(r)
        s.flush()
        rid, mine, other = r.id, Scope(towns[0].id), Scope(towns[1].id)
    q.update_resource(engine, mine, rid, capacity=60, weekday=("19:00", "24:00"), weekend=("0:00", "23:59"),
                      status="暂停")
    row = q.resources(engine, mine).iloc[0]
    assert (row["capacity"], row["weekday_opens"], row["weekday_closes"]) == (60, "19:00", "23:59")
    assert (row["weekend_opens"], row["weekend_closes"], row["status"]) == ("00:00", "23:59", "暂停")
    q.update_resource(engine, COUNTY, rid, weekend=(None, ""))
    assert q.resources(engine, mine).iloc[0]["weekend_opens"] is None
    for bad in ({"capacity": -1}, {"weekday": ("25:00", "07:00")}, {"weekday": ("19:00", None)},
                {"status": "关闭中"}):
        with pytest.raises(ValueError):
            q.update_resource(engine, mine, rid, **bad)
    with pytest.raises(ScopeError):
        q.update_resource(engine, other, rid, capacity=1)
    assert q.resources(engine, mine).iloc[0]["capacity"] == 60  # nothing half-written


def test_the_township_imports_its_resources_from_excel(demo_url):
    """Check first, then write; a resource in another township is refused and nothing is written."""
    engine = db.make_engine(demo_url)
    with Session(engine) as s:
        mine = s.get(Township, TOWNSHIP)
        other = s.query(Township).filter(Township.id != TOWNSHIP).first()
        here = mine.geometry.representative_point()
        there = other.geometry.representative_point()

    def workbook(rows) -> bytes:
        wb = openpyxl.Workbook()
        wb.active.append(["名称", "单位类型", "可共享车位", "工作日开放时段", "经度", "纬度"])
        for r in rows:
            wb.active.append(r)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    good = ["县图书馆停车场", "事业单位", 40, "18:00至次日7:30", here.x, here.y]
    bad = ["邻镇商场停车场", "商业配建", 80, "19:00-07:00", there.x, there.y]
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = open_page()
    at.file_uploader(key="pk_import_file").set_value(("停车资源.xlsx", workbook([good, bad]), mime)).run()
    _click(at, "pk_import_go")
    assert any("管辖范围" in str(df.value.to_dict()) for df in at.dataframe), [e.value for e in at.error]
    with Session(engine) as s:
        assert not s.query(ParkingResource).filter(ParkingResource.name.in_([good[0], bad[0]])).count()
    at.file_uploader(key="pk_import_file").set_value(("停车资源.xlsx", workbook([good]), mime)).run()
    _click(at, "pk_import_check")
    with Session(engine) as s:  # checked only
        assert not s.query(ParkingResource).filter(ParkingResource.name == good[0]).count()
    _click(at, "pk_import_go")
    assert any("新建 1" in x.value for x in at.success), [x.value for x in at.success]
    with Session(engine) as s:
        row = s.query(ParkingResource).filter(ParkingResource.name == good[0]).one()
        assert (row.township_id, row.capacity, row.weekday_opens, row.weekday_closes) == (TOWNSHIP, 40, "18:00",
                                                                                         "07:30")
    engine.dispose()


def test_a_to_do_link_chooses_its_proposal(demo_url):
    """The overview's to-do links a proposal as ``?proposal=``: the page opens with that one chosen."""
    engine = db.make_engine(demo_url)
    first = _click(open_page(), "pk_save")  # two drafts: the link must pick the older one
    _click(first, "pk_save")
    ids = sorted(int(i) for i in q.proposals(engine, Scope(TOWNSHIP))["id"])
    assert len(ids) == 2
    at = apptest.open_page(PAGE, user="jinxiang_jd", timeout=180, query={"proposal": str(ids[0])})
    assert at.selectbox(key="pk_proposal").value == ids[0]
    assert any("错峰停车方案" in i.value for i in at.info)
    assert "proposal" not in at.query_params
