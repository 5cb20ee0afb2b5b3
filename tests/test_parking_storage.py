"""Parking demand, resources and proposals on SQLite and PostgreSQL; .docx and .xlsx read back."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from docx import Document
from shapely.geometry import LineString, Point
from sqlalchemy.orm import Session

from data import settings
from docx.oxml.ns import qn
from data.documents.parking import proposal_docx, proposal_xlsx
from data.queries import parking as q
from data.schema import Community, Compound, ParkingResource, Township
from data.scope import COUNTY, Scope, ScopeError
from policy import parking as rules
from tests.test_parking_plan import TO_WGS, X0, Y0, at

T0 = datetime(2026, 9, 1, 9, 0)


@pytest.fixture
def places(engine):
    """Two townships; in 金乡街道 three compounds short of spaces and five resources around them."""
    out = {}
    with Session(engine) as s, s.begin():
        for k, name in enumerate(("金乡街道", "鱼山街道")):
            t = Township(code=f"T{k}", name=name, kind="街道")
            s.add(t)
            s.flush()
            c = Community(code=f"C{k}", township_id=t.id, name=f"{name}一社区")
            s.add(c)
            s.flush()
            out[name] = {"township": t.id, "community": c.id}
        t, c = out["金乡街道"]["township"], out["金乡街道"]["community"]
        comps = [  # name, households, spaces, recorded cars, position
            ("幸福<script>小区", 300, 100, 260, (0, 0)),       # 160 short (recorded)
            ("老城家属院", 200, 20, None, (150, 0)),            # 0.8 × 200 = 160 → 140 short (estimated)
            ("新城花园", 100, 200, None, (0, 2000)),            # no shortage
        ]
        for k, (name, hh, spaces, cars, xy) in enumerate(comps):
            cp = Compound(code=f"X{k}", name=name, township_id=t, community_id=c, households=hh,
                          parking_spaces=spaces, cars=cars, compound_class="老旧小区", management_mode="无物业",
                          geometry=at(*xy).buffer(0.0004))
            s.add(cp)
            s.flush()
            out[name] = cp.id
        res = [  # name, kind, capacity, weekday, weekend, status, contact, geometry
            ("县财政局院内停车场", "机关", 80, ("18:00", "07:30"), ("00:00", "23:59"), "可用", "王鹤琪 15770351312",
             at(100, 150)),
            ("县人民医院院内停车场", "事业单位", 200, ("20:00", "07:00"), ("20:00", "07:00"), "可用", "办公室 0537-8721234",
             at(60, -60)),
            ("金乡时代广场停车场", "商业配建", 120, ("00:00", "23:59"), ("00:00", "23:59"), "暂停", None, at(-50, 80)),
            ("奎星路（金城路至兴业路段）夜间临时泊位", "道路夜间临时泊位", 40, ("19:00", "07:30"), ("19:00", "08:30"),
             "待审批", "综合行政执法局 0537-89346041",
             LineString([TO_WGS.transform(X0 - 100, Y0 + 200), TO_WGS.transform(X0 + 100, Y0 + 200)])),
            ("中国银行金乡支行院内停车场", "企业", 30, ("19:00", "08:00"), ("19:00", "08:00"), "可用", None,
             at(250, -100)),
        ]
        for name, kind, cap, wk, we, status, contact, geom in res:
            r = ParkingResource(name=name, owner_kind=kind, township_id=t, capacity=cap, weekday_opens=wk[0],
                                weekday_closes=wk[1], weekend_opens=we[0], weekend_closes=we[1], status=status,
                                contact=contact, geometry=geom)
            s.add(r)
            s.flush()
            out[name] = r.id
        s.add(ParkingResource(name="鱼山路夜间临时泊位", owner_kind="道路夜间临时泊位",
                              township_id=out["鱼山街道"]["township"], capacity=20, weekday_opens="19:00",
                              weekday_closes="07:30", status="可用", geometry=at(0, 50)))
    return out


def test_demand_supply_and_shortage(engine, places):
    scope = Scope(places["金乡街道"]["township"])
    d = q.demand(engine, scope).set_index("name")
    assert d.loc["幸福<script>小区", ["demand", "shortage"]].tolist() == [260, 160]
    assert not d.loc["幸福<script>小区", "cars_estimated"]
    assert d.loc["老城家属院", ["demand", "shortage"]].tolist() == [160, 140]
    assert d.loc["老城家属院", "cars_estimated"]
    assert d.loc["新城花园", "shortage"] == 0
    settings.set_value(engine, "cars_per_household", "1.2")
    assert q.demand(engine, scope).set_index("name").loc["老城家属院", "shortage"] == 220
    # edits: spaces and recorded cars, scope-checked
    q.update_compound_parking(engine, scope, places["老城家属院"], parking_spaces=60, cars=100)
    assert q.demand(engine, scope).set_index("name").loc["老城家属院", "shortage"] == 40
    with pytest.raises(ScopeError):
        q.update_compound_parking(engine, Scope(places["鱼山街道"]["township"]), places["老城家属院"], cars=1)


def test_resources_are_scoped_and_contacts_masked(engine, places):
    mine = q.resources(engine, Scope(places["金乡街道"]["township"]))
    assert len(mine) == 5 and len(q.resources(engine, COUNTY)) == 6
    contacts = dict(zip(mine["name"], mine["contact"]))
    assert contacts["县财政局院内停车场"] == "王** 157****1312"
    assert contacts["县人民医院院内停车场"] == "办公室 0537-8721234"  # a unit's landline stays
    assert "15770351312" not in mine.to_string()


def _plan(engine, places, **kw):
    scope = Scope(places["金乡街道"]["township"])
    d, r = q.demand(engine, scope), q.resources(engine, scope)
    compounds, resources = q.planning_inputs(d, r)
    result = rules.plan(compounds, resources, **kw)
    return scope, d, r, result, q.proposal_content("金乡街道", d, r, result)


def test_plan_content_on_the_stored_data(engine, places):
    _, d, r, result, content = _plan(engine, places)
    used = {row["name"] for row in content["resources"]}
    # hospital misses 19:00–20:00 and 07:00–07:30; the mall is suspended (暂停)
    assert "县人民医院院内停车场" not in used and "金乡时代广场停车场" not in used
    assert "县财政局院内停车场" in used and "奎星路（金城路至兴业路段）夜间临时泊位" in used
    totals = content["totals"]
    assert totals["shortage"] == 300 and totals["compounds"] == 2
    assert totals["placed"] == 80 + 40 + 30 and totals["unplaced"] == 150
    assert totals["share_met"] == "1/2" and totals["road_pending"] == 1
    assert [x["approval"] for x in content["roads"]] == ["待县综合执法局审批"]
    assert content["params"]["walk_limit_m"] == 500
    per_resource = {x["name"]: x["cars"] for x in content["resources"]}
    caps = dict(zip(r["name"], r["capacity"]))
    assert all(per_resource[n] <= caps[n] for n in per_resource)


def test_proposal_states_and_history(engine, places):
    scope, *_, content = _plan(engine, places)
    town = places["金乡街道"]["township"]
    pid = q.save_proposal(engine, scope, town, content, actor="金乡街道 张三", at=T0)
    p = q.proposal(engine, scope, pid)
    assert p["status"] == "草稿" and p["placed"] == 150 and p["title"].startswith("金乡街道错时停车方案")
    assert p["content"]["totals"]["placed"] == 150
    # another township cannot see or touch it
    other = Scope(places["鱼山街道"]["township"])
    with pytest.raises(ScopeError):
        q.proposal(engine, other, pid)
    with pytest.raises(ScopeError):
        q.change_state(engine, other, pid, "已提交")
    assert q.proposals(engine, other).empty and len(q.proposals(engine, COUNTY)) == 1

    with pytest.raises(rules.StateError):
        q.change_state(engine, scope, pid, "已批准")
    q.change_state(engine, scope, pid, "已提交", actor="张三", at=T0.replace(hour=10))
    with pytest.raises(rules.StateError):  # submitted content is frozen
        q.save_proposal(engine, scope, town, content, proposal_id=pid)
    with pytest.raises(ValueError, match="理由"):
        q.change_state(engine, COUNTY, pid, "退回")
    q.change_state(engine, COUNTY, pid, "退回", actor="住建局 李四", note="道路泊位需先征求执法局意见",
                   at=T0.replace(hour=11))
    _, *_, content2 = _plan(engine, places, exclude=[places["奎星路（金城路至兴业路段）夜间临时泊位"]])
    q.save_proposal(engine, scope, town, content2, proposal_id=pid, at=T0.replace(hour=12))
    q.change_state(engine, scope, pid, "已提交", at=T0.replace(hour=13))
    q.change_state(engine, COUNTY, pid, "已批准", at=T0.replace(hour=14))
    p = q.proposal(engine, scope, pid)
    assert p["status"] == "已批准" and p["placed"] == 110 and not p["content"]["roads"]
    assert p["history"]["to_status"].tolist() == ["草稿", "已提交", "退回", "已提交", "已批准"]
    assert p["history"]["note"].iloc[2] == "道路泊位需先征求执法局意见"
    with pytest.raises(rules.StateError):
        q.change_state(engine, COUNTY, pid, "退回", note="x")


def test_docx_and_xlsx_read_back(engine, places, tmp_path):
    scope, *_, content = _plan(engine, places)
    pid = q.save_proposal(engine, scope, places["金乡街道"]["township"], content, actor="张三", at=T0)
    q.change_state(engine, scope, pid, "已提交", actor="张三", at=T0.replace(hour=10))
    p = q.proposal(engine, scope, pid)

    path = tmp_path / "方案.docx"
    path.write_bytes(proposal_docx(p, when=datetime(2026, 9, 2)))
    doc = Document(str(path))
    text = "\n".join(par.text for par in doc.paragraphs)
    titles = [par.text for par in doc.paragraphs if par.style.name == "公文-标题"]
    assert titles[0].startswith("金乡街道错时停车方案")
    assert "（已提交）" in text
    for heading in ("一、基本情况", "二、缺口小区", "三、共享停车资源及开放时段", "四、车辆安排",
                    "五、需报县综合执法局审批的道路夜间临时泊位", "六、工作要求"):
        assert heading in text
    assert "夜间停车缺口合计 300 辆" in text and "安排车辆 150 辆" in text and "仍有 150 辆" in text
    assert "金乡街道办事处" in text and "2026年9月2日" in text
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    flat = "\n".join("|".join(r) for r in cells)
    assert "幸福<script>小区" in flat  # plain text in Word, nothing to escape
    assert "18:00—次日07:30" in flat and "全天" in flat
    assert "待县综合执法局审批" in flat
    assert "王** 157****1312" in flat and "15770351312" not in flat
    section = doc.sections[0]
    assert round(section.top_margin.cm, 1) == 3.7 and round(section.left_margin.cm, 1) == 2.8
    fonts = doc.styles["公文-正文"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"  # Latin digits in Times New Roman
    assert "上限 500 米" in text and "500.0" not in text
    assert "方案流转记录" in text  # the history attachment

    xpath = tmp_path / "方案.xlsx"
    xpath.write_bytes(proposal_xlsx(p, exported_by="张三（zhangsan）"))
    wb = openpyxl.load_workbook(xpath)
    assert {"汇总", "小区缺口", "车辆安排", "共享资源", "道路泊位审批", "流转记录"} <= set(wb.sheetnames)
    ws = wb["车辆安排"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["序号", "小区", "安排至", "产权单位类型"]
    cars_col = header.index("车辆数") + 1
    total = sum(ws.cell(row=k, column=cars_col).value or 0 for k in range(2, ws.max_row + 1)
                if isinstance(ws.cell(row=k, column=cars_col).value, int))
    assert total == 150
    first = wb["汇总"]
    summary = {first.cell(row=k, column=1).value: first.cell(row=k, column=2).value for k in range(2, 16)}
    assert summary["已安排（辆）"] == "150" and summary["缺口满足率"] == "50.0%"
    history = wb["流转记录"]
    assert [c.value for c in history[1]][:4] == ["时间", "经办人", "原状态", "新状态"]
