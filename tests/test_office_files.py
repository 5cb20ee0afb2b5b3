"""A county's own office files, as its offices keep them, into an empty database (issue 12).

The kit is written here, not taken from the demo generator: a 三调 county outline
(CGCS2000 GeoJSON, XZQDM 9 digits), township polygons, community polygons for one
township and a 民政局 community list without polygons for the other; a 小区名册 with a
title row, a 填报单位 row, a merged two-row header, a column without a header, one
经纬度 column in either order in GCJ-02 without a declared CRS, blanks, 办事处 names,
decades as years, a 合计 row and a 填表人 line; the same register as a GBK CSV; a
quarterly evaluation with its quarter only in the title; parking resources with 单位名称
and free-text 开放时段. Everything goes through ``python -m data`` in a subprocess.
"""
from __future__ import annotations

from tests import apptest

import json
import math
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import db, settings
from data.schema import Community, Compound, Evaluation, ParkingResource, Township
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02

ROOT = Path(__file__).resolve().parent.parent

COUNTY_BOX = (116.20, 35.30, 116.50, 35.55)
TOWNSHIPS = {"卧龙山街道": ("370829001", (116.20, 35.30, 116.35, 35.55)),
             "嘉祥镇": ("370829100", (116.35, 35.30, 116.50, 35.55))}
W = 0.008  # community squares ~725 m × 890 m: a GCJ-02 offset (~500 m) leaves them
POLY_COMMUNITIES = {"北关社区": (116.25, 35.40), "南关社区": (116.27, 35.40),
                    "东街社区": (116.25, 35.42), "西街社区": (116.27, 35.42)}  # 卧龙山街道, with polygons
LIST_COMMUNITIES = {"城东社区": "370829100001", "城西社区": "370829100002"}  # 嘉祥镇, a list only


def _square(x0, y0, x1, y1):
    return shapely.box(x0, y0, x1, y1)


def _feature(props, geom):
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}


def _geojson(path: Path, features, epsg=None) -> Path:
    doc = {"type": "FeatureCollection", "features": features}
    if epsg:
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _true_points(seed: int):
    """(name, township as written, community as written, true WGS-84 lon/lat, community stored)."""
    rng = random.Random(seed)
    rows = []
    town_names = ["卧龙山街道办事处", "卧龙山街道", "卧龙山办事处", "卧龙山街道"]
    k = 0
    for cname, (x0, y0) in POLY_COMMUNITIES.items():
        for _ in range(4):
            lon = x0 + W * rng.uniform(0.35, 0.85)
            lat = y0 + W * rng.uniform(0.2, 0.8)
            written = cname + "居委会" if k % 3 == 0 else cname
            rows.append((f"小区{k:02d}", town_names[k % 4], written, lon, lat, cname))
            k += 1
    for i, cname in enumerate(LIST_COMMUNITIES):
        for _ in range(4):
            lon, lat = 116.40 + 0.02 * i + rng.uniform(0, 0.01), 35.40 + rng.uniform(0, 0.05)
            rows.append((f"小区{k:02d}", "嘉祥镇人民政府", cname, lon, lat, cname))
            k += 1
    return rows


def _gbk_shapefile_zip(tmp: Path, stem: str) -> Path:
    """Township polygons as a 三调 export: a zipped shapefile, GBK .dbf without a .cpg, CGCS2000 .prj."""
    import geopandas as gpd
    import pyogrio

    folder = tmp / f"{stem}_shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"XZQMC": list(TOWNSHIPS), "XZQDM": [c for c, _ in TOWNSHIPS.values()]},
                             geometry=[_square(*box) for _, box in TOWNSHIPS.values()], crs="EPSG:4490")
    pyogrio.write_dataframe(frame, folder / f"{stem}.shp", encoding="GBK")
    (folder / f"{stem}.cpg").unlink()  # Chinese desktop GIS often leaves it out
    assert "卧龙山街道".encode("gbk") in (folder / f"{stem}.dbf").read_bytes()
    path = tmp / f"{stem}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    return path


def _lonlat_cell(i: int, lon: float, lat: float) -> str:
    forms = ["{x:.7f},{y:.7f}", "{y:.7f},{x:.7f}", "{x:.7f}，{y:.7f}", "{x:.7f} {y:.7f}", "{y:.7f}、{x:.7f}"]
    return forms[i % len(forms)].format(x=lon, y=lat)


YEARS = ["90年代", "2005年", "2005.6", 2010, "上世纪80年代末", "2012年6月"]
MODES = ["专业化物业", "单位自管", "社区惠民物业", "业主自管", "无物业", "物业公司"]


def _register_xlsx(path: Path, rows) -> Path:
    """小区名册 as an office keeps it (see module docstring)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["嘉祥县住宅小区基本情况统计表"])
    ws.merge_cells("A1:N1")
    ws.append(["填报单位：嘉祥县住房和城乡建设局", None, None, None, None, None, None, None, None, "填报日期：2025年12月"])
    ws.append(["序号", "小区名称", "所属镇街", None, None, "基本情况", None, None, "物业管理", None, "经纬度",
               "业主组织", "党支部", "车位数", "备注", "填表人"])
    ws.append([None, None, None, None, None, "户数", "楼栋数", "建成年代", "管理方式", "物业企业"])
    for col in ("A", "B", "C", "D", "E", "K", "L", "M", "N", "O", "P"):
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("F3:H3")
    ws.merge_cells("I3:J3")
    for i, (name, town, comm, lon, lat, _) in enumerate(rows):
        g = wgs84_to_gcj02(lon, lat)
        mode = MODES[i % len(MODES)]
        company = "鸿运物业" if mode in ("专业化物业", "物业公司") else None
        blank = i % 5 == 0  # unknown facts stay unknown
        households = None if blank else ("１２０" if i % 7 == 1 else 100 + i)
        ws.append([i + 1, name, town, None, comm, households, 3 + i % 4, YEARS[i % len(YEARS)], mode, company,
                   _lonlat_cell(i, *g), None if blank else "业委会", None if blank else ("是" if i % 2 else "否"),
                   None if blank else 50 + i, "已核实" if i % 4 == 0 else None, "张三"])
    ws.append(["合计", None, None, None, None, 3000])
    ws.append(["填表人：张三    审核人：李四"])
    wb.save(path)
    return path


def _register_csv(path: Path, rows) -> Path:
    """The same register from another office: GBK CSV, a title row, one-row header, 坐标 in BD-09."""
    lines = ["卧龙山街道物业小区台账,,,,,", "小区名称,所属街道,所属社区,户数,管理模式,坐标（百度）"]
    for name, town, comm, lon, lat, _ in rows:
        b = wgs84_to_bd09(lon, lat)
        lines.append(f"{name},{town},{comm},,专业化物业,\"{b[0]:.7f},{b[1]:.7f}\"")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def _cli(url: str, *args) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "data", *args, "--db", url], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """An empty ``init --no-demo`` database with the kit's boundaries imported through the CLI."""
    tmp = tmp_path_factory.mktemp("county")
    url = f"sqlite:///{tmp / 'county.sqlite'}"
    assert _cli(url, "init", "--no-demo").returncode == 0
    outline = _geojson(tmp / "县界.geojson", [_feature({"XZQDM": "370829000", "XZQMC": "嘉祥县"},
                                                     _square(*COUNTY_BOX))], epsg=4490)
    towns = _gbk_shapefile_zip(tmp, "镇街")
    comms = _geojson(tmp / "社区.geojson", [_feature({"社区名称": n, "所属镇街": "卧龙山街道办事处"},
                                                   _square(x, y, x + W, y + W))
                                          for n, (x, y) in POLY_COMMUNITIES.items()], epsg=4490)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["嘉祥镇社区（村）名单"])
    ws.append(["序号", "社区名称", "所属镇街", "社区代码"])
    for i, (n, code) in enumerate(LIST_COMMUNITIES.items()):
        ws.append([i + 1, n + "居民委员会", "嘉祥镇人民政府", code])
    wb.save(tmp / "民政局社区名单.xlsx")
    results = {}
    for name, path, level in (("county", outline, "county"), ("township", towns, "township"),
                              ("community", comms, "community"), ("list", tmp / "民政局社区名单.xlsx", "community")):
        results[name] = _cli(url, "import", "boundaries", str(path), "--level", level)
        assert results[name].returncode == 0, results[name].stdout + results[name].stderr
    return {"url": url, "tmp": tmp, "engine": db.make_engine(url), "boundaries": results}


def test_county_outline_with_xzqdm_names_the_county(county):
    engine = county["engine"]
    assert settings.get(engine, "county_name") == "嘉祥县"
    assert settings.get(engine, "county_adcode") == "370829"
    assert "370829" in county["boundaries"]["county"].stdout


def test_gbk_shapefile_townships_with_9_digit_codes(county):
    with Session(county["engine"]) as s:
        towns = {t.name: t.code for t in s.scalars(select(Township))}
    assert towns == {n: c for n, (c, _) in TOWNSHIPS.items()}
    assert "GB18030" in county["boundaries"]["township"].stdout


def test_community_list_without_polygons_is_stored_without_geometry(county):
    with Session(county["engine"]) as s:
        listed = {c.name: c for c in s.scalars(select(Community).where(Community.code.in_(LIST_COMMUNITIES.values())))}
        town = s.scalars(select(Township).where(Township.name == "嘉祥镇")).one()
    assert set(listed) == set(LIST_COMMUNITIES)  # 城东社区居民委员会 is stored as 城东社区
    assert all(c.geometry is None and c.township_id == town.id for c in listed.values())


def _distance_m(a, b) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


@pytest.fixture(scope="module")
def imported(county):
    rows = _true_points(12)
    path = _register_xlsx(county["tmp"] / "小区名册.xlsx", rows)
    out = _cli(county["url"], "import", "compounds", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    return rows, out


def test_every_compound_lands_in_its_named_community_within_5_m(county, imported):
    rows, _ = imported
    with Session(county["engine"]) as s:
        stored = {c.name: c for c in s.scalars(select(Compound))}
        comms = {c.id: c.name for c in s.scalars(select(Community))}
    assert len(stored) == len(rows)
    for name, _town, _written, lon, lat, community in rows:
        c = stored[name]
        assert comms[c.community_id] == community, name
        assert _distance_m((c.geometry.x, c.geometry.y), (lon, lat)) < 5, name


def test_blank_cells_are_unknown_not_zero(county, imported):
    rows, _ = imported
    with Session(county["engine"]) as s:
        stored = {c.name: c for c in s.scalars(select(Compound))}
    for i, (name, *_rest) in enumerate(rows):
        c = stored[name]
        if i % 5 == 0:
            assert (c.households, c.parking_spaces, c.owners_body, c.party_branch) == (None, None, None, None)
        else:
            assert c.households is not None and c.parking_spaces == 50 + i and c.owners_body == "业主委员会"
        assert c.compound_class is None  # no bureau register has 小区类型
    assert stored["小区01"].households == 120  # full-width digits
    assert stored["小区00"].year_built == 1990 and stored["小区04"].year_built == 1980
    assert stored["小区02"].year_built == 2005 and stored["小区01"].year_built == 2005
    assert stored["小区01"].management_mode == "单位自管"


def test_report_names_unused_columns_guesses_and_the_crs_choice(imported):
    _, out = imported
    text = out.stdout
    assert "未使用的列：序号、备注、填表人" in text
    assert "第5列 → 所属社区（按内容推断）" in text
    assert "管理方式 → 管理模式（同义列名）" in text
    assert "经纬度 → 经纬度（一列经纬度，顺序按数值判断）" in text
    assert "按所属社区/所属镇街检验：GCJ-02 命中 24/24" in text and "WGS-84 命中" in text
    assert "GCJ-02（未指定，按位置检验推定）→ WGS-84" in text
    assert "合计行，已跳过" in text and "两行合并表头" in text and "年代或约数" in text


def test_gbk_csv_with_a_bd09_header_hint(county, imported):
    rng = random.Random(5)
    rows = []
    for k, (cname, (x0, y0)) in enumerate(list(POLY_COMMUNITIES.items())[:3]):
        lon, lat = x0 + W * rng.uniform(0.35, 0.85), y0 + W * rng.uniform(0.2, 0.8)
        rows.append((f"台账小区{k}", "卧龙山办事处", cname + "居委会", lon, lat, cname))
    path = _register_csv(county["tmp"] / "台账.csv", rows)
    out = _cli(county["url"], "import", "compounds", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "GB18030" in out.stdout and "BD-09（未指定，按列名，位置检验一致）" in out.stdout
    with Session(county["engine"]) as s:
        stored = {c.name: c for c in s.scalars(select(Compound).where(Compound.name.like("台账小区%")))}
    for name, *_x, lon, lat, _c in rows:
        assert stored[name].households is None
        assert _distance_m((stored[name].geometry.x, stored[name].geometry.y), (lon, lat)) < 5


def test_mixed_datums_are_refused_with_the_figures(county, tmp_path):
    rows = _true_points(3)[:12]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["小区名称", "所属社区", "管理模式", "经度", "纬度"])
    for i, (name, _t, comm, lon, lat, _c) in enumerate(rows):
        x, y = wgs84_to_gcj02(lon, lat) if i % 2 else (lon, lat)
        ws.append(["混合" + name, comm, "专业化物业", x, y])
    wb.save(tmp_path / "混合.xlsx")
    out = _cli(county["url"], "import", "compounds", str(tmp_path / "混合.xlsx"))
    assert out.returncode == 1
    assert "无法判断坐标是 WGS-84、GCJ-02（高德）还是 BD-09（百度）" in out.stderr
    assert re.search(r"按所属社区检验，.*WGS-84 命中 [67]/12", out.stderr)
    assert re.search(r"GCJ-02 命中 [67]/12", out.stderr) and "BD-09 命中 0/12" in out.stderr


def test_evaluations_take_the_quarter_from_the_title(county, imported):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["嘉祥县2025年第四季度物业服务项目考评结果"])
    ws.merge_cells("A1:E1")
    ws.append(["序号", "项目名称", "所属街道", "考核得分", "满意率"])
    ws.append([1, "小区01", "卧龙山街道办事处", "92.5分", "88%"])
    ws.append([2, "小区02", "卧龙山街道", 58, "0.9"])
    ws.append(["合计", None, None, None, None])
    wb.save(county["tmp"] / "考评.xlsx")
    out = _cli(county["url"], "import", "evaluations", str(county["tmp"] / "考评.xlsx"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "季度 → 2025-Q4（取自标题行" in out.stdout
    with Session(county["engine"]) as s:
        evs = {e.compound_id: e for e in s.scalars(select(Evaluation))}
        ids = {c.name: c.id for c in s.scalars(select(Compound))}
    assert evs[ids["小区01"]].quarter == "2025-Q4" and float(evs[ids["小区01"]].score) == 92.5
    assert float(evs[ids["小区01"]].satisfaction) == 88


@pytest.fixture(scope="module")
def parked(county):
    """Parking resources with 单位名称, free-text 开放时段 and a blank capacity, through the CLI."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["卧龙山街道错时共享停车资源统计表"])
    ws.append(["单位名称", "单位类型", "可共享车位数", "开放时段", "经纬度（高德）", "所属街道"])
    x, y = wgs84_to_gcj02(116.255, 35.405)
    ws.append(["县财政局", "机关单位", 40, "工作日18:00-次日7:30，节假日全天", f"{x:.7f},{y:.7f}", "卧龙山街道办事处"])
    x, y = wgs84_to_gcj02(116.275, 35.425)
    ws.append(["县实验小学", "学校", None, "周一至周五19:00至次日7:00", f"{x:.7f},{y:.7f}", "卧龙山街道"])
    wb.save(county["tmp"] / "停车.xlsx")
    out = _cli(county["url"], "import", "parking", str(county["tmp"] / "停车.xlsx"))
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_parking_resources_with_unit_names_and_free_text_hours(county, parked):
    assert "可共享车位未填报" in parked.stdout
    with Session(county["engine"]) as s:
        res = {r.name: r for r in s.scalars(select(ParkingResource))}
    office, school = res["县财政局"], res["县实验小学"]
    assert (office.weekday_opens, office.weekday_closes, office.weekend_opens, office.weekend_closes) == (
        "18:00", "07:30", "00:00", "23:59")
    assert office.hours_text == "工作日18:00-次日7:30，节假日全天" and office.capacity == 40
    assert (school.weekday_opens, school.weekday_closes, school.weekend_opens) == ("19:00", "07:00", None)
    assert school.capacity is None
    assert _distance_m((office.geometry.x, office.geometry.y), (116.255, 35.405)) < 5


def test_a_proposal_with_unknown_capacity_cannot_be_submitted(county, imported, parked):
    from data.queries import parking as q
    from data.scope import COUNTY, Scope

    engine = county["engine"]
    with Session(engine) as s:
        town = s.scalars(select(Township).where(Township.name == "卧龙山街道")).one()
    scope = Scope(township_id=town.id)
    demand, resources = q.demand(engine, scope), q.resources(engine, scope)
    assert demand["shortage"].isna().any()  # blank 户数/车位数: no shortage invented
    warning = q.unknown_message(q.unknown_inputs(demand, resources))
    assert "个小区的车位数或户数未填报" in warning and "处停车资源的可共享车位未填报（县实验小学）" in warning
    pid = q.save_proposal(engine, scope, town.id, {"township": "卧龙山街道", "totals": {}}, actor="张三")
    with pytest.raises(ValueError, match="方案不能提交：.*未填报"):
        q.change_state(engine, scope, pid, "已提交", actor="张三")
    assert q.proposal(engine, COUNTY, pid)["status"] == "草稿"


def test_the_import_page_shows_unused_columns_guesses_and_the_crs_test():
    from streamlit.testing.v1 import AppTest

    def app():
        from data.importers.report import ImportReport
        from ui.imports import show_report

        show_report(ImportReport(kind="小区档案", rows=2, created=2, unused_columns=["备注", "填表人"],
                                 column_guesses=["第5列 → 所属社区（按内容推断）"],
                                 crs_test="按所属社区检验：GCJ-02 命中 2/2，WGS-84 命中 0/2"), "x")

    at = AppTest.from_function(app).run(timeout=60)
    assert not at.exception, apptest.failures(at)
    shown = "\n".join(c.value for c in at.caption)
    assert "未使用的列：备注、填表人" in shown and "第5列 → 所属社区（按内容推断）" in shown
    assert "GCJ-02 命中 2/2" in shown


def test_plan_layers_and_content_leave_unknowns_out(county, imported, parked):
    from data.queries import parking as q
    from data.scope import Scope
    from layers import parking as layers
    from policy import parking as rules

    engine = county["engine"]
    with Session(engine) as s:
        town = s.scalars(select(Township).where(Township.name == "卧龙山街道")).one()
    scope = Scope(township_id=town.id)
    demand, resources = q.demand(engine, scope), q.resources(engine, scope)
    compounds, offers = q.planning_inputs(demand, resources)
    assert compounds["shortage"].notna().all() and offers["capacity"].notna().all()
    assert "县实验小学" not in set(resources.loc[resources["id"].isin(offers["resource_id"]), "name"])
    result = rules.plan(compounds, offers)
    content = q.proposal_content("卧龙山街道", demand, resources, result)
    assert content["totals"]["unknown_resources"] == 1 and content["totals"]["unknown_compounds"] >= 1
    assert "未填报" in content["warning"]
    geo_compounds, _ = layers.compounds_geojson(demand.dropna(subset=["geometry"]), result)
    geo_resources = layers.resources_geojson(resources.dropna(subset=["geometry"]), result)
    assert json.loads(geo_compounds)["features"] and "可共享车位未填报" in geo_resources
    from data.documents.parking import proposal_docx

    docx = proposal_docx({"title": "方案", "status": "草稿", "content": content})
    assert len(docx) > 1000


def test_overview_tiles_say_how_many_were_not_reported(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from data import db

    url = f"sqlite:///{tmp_path}/settings.sqlite"  # the tiles read their targets from settings
    db.migrate(db.make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)

    def app():
        import pandas as pd

        from ui.overview import show_tiles

        frame = pd.DataFrame({"township_id": [1, 1, 2], "township": ["甲街道", "甲街道", "乙镇"],
                              "households": [100.0, None, 50.0], "complaints": [1, 2, 3],
                              "management_mode": ["专业化物业", None, "无物业"], "owners_body": [None, None, "无"],
                              "party_branch": [True, None, False], "party_secretary_full_time": [True, None, None],
                              "smart_property": [None, None, True], "notice_board": [None, None, None]})
        show_tiles(frame, None, None, top_n=50)

    at = AppTest.from_function(app).run(timeout=60)
    assert not at.exception, apptest.failures(at)
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["覆盖户数"] == ("150", "未填报 1 个")
    assert tiles["物业服务覆盖率"][0] == "50.0%" and "未填报 1 个" in tiles["物业服务覆盖率"][1]
    assert tiles["无业主组织小区"] == ("1", "未填报 2 个")


@pytest.fixture(scope="module")
def orders(county, imported):
    """12345 work orders in GCJ-02 naming the kit's compounds, through the CLI: (stdout, truth)."""
    rows, _ = imported
    rng = random.Random(8)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "受理时间", "诉求分类", "诉求内容", "小区名称", "经度", "纬度"])
    truth = {}
    for k, (name, _t, _c, lon, lat, _cs) in enumerate(rows[:16]):
        p = (lon + rng.uniform(-3e-4, 3e-4), lat + rng.uniform(-3e-4, 3e-4))  # at the compound, ~30 m
        g = wgs84_to_gcj02(*p)
        order = f"GD2025{k:04d}"
        truth[order] = p
        ws.append([order, "2025-11-03 09:00:00", "物业服务", "楼道灯不亮", name, round(g[0], 7), round(g[1], 7)])
    wb.save(county["tmp"] / "12345工单.xlsx")
    out = _cli(county["url"], "import", "complaints", str(county["tmp"] / "12345工单.xlsx"))
    assert out.returncode == 0, out.stdout + out.stderr
    return out, truth


def test_work_orders_in_gcj02_are_tested_against_the_compound_they_name(county, orders):
    """12345 exports carry AMap (GCJ-02) points and a 小区名称: the compound is the tightest test."""
    out, truth = orders
    assert "按所属小区检验：GCJ-02 命中 16/16" in out.stdout
    from data.schema import Complaint

    with Session(county["engine"]) as s:
        stored = {c.order_no: c for c in s.scalars(select(Complaint))}
    for order, p in truth.items():
        assert _distance_m((float(stored[order].lon), float(stored[order].lat)), p) < 5


def test_evaluations_take_the_quarter_from_the_file_name_of_an_upload(county, imported):
    import io

    from data.importers.evaluations import import_evaluations

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目名称", "综合得分", "业主满意率"])
    ws.append(["小区03", 75, "90%"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_evaluations(county["engine"], buf.getvalue(), filename="卧龙山街道物业考评（2025年第三季度）.xlsx")
    assert report.ok, report.error_lines()
    assert any("季度 → 2025-Q3（取自文件名" in g for g in report.column_guesses)
    missing = import_evaluations(county["engine"], buf.getvalue(), filename="考评.xlsx", dry_run=True)
    assert not missing.ok and "标题行和文件名中也没有季度" in missing.error_lines()[0]


def test_the_register_reads_the_same_on_both_backends(engine, tmp_path):
    """The kit's register through the import functions on SQLite and PostgreSQL/PostGIS."""
    from data.importers import import_boundaries, import_compounds

    outline = _geojson(tmp_path / "县界.geojson", [_feature({"XZQDM": "370829000000", "XZQMC": "嘉祥县"},
                                                          _square(*COUNTY_BOX))], epsg=4490)
    assert import_boundaries(engine, outline, level="county").ok
    towns = _gbk_shapefile_zip(tmp_path, "镇街")
    assert import_boundaries(engine, towns, level="township").ok
    comms = _geojson(tmp_path / "社区.geojson", [_feature({"社区名称": n, "所属镇街": "卧龙山街道"},
                                                        _square(x, y, x + W, y + W))
                                               for n, (x, y) in POLY_COMMUNITIES.items()], epsg=4490)
    assert import_boundaries(engine, comms, level="community").ok
    wb = openpyxl.Workbook()
    wb.active.append(["社区名称", "所属镇街"])
    for n in LIST_COMMUNITIES:
        wb.active.append([n, "嘉祥镇"])
    wb.save(tmp_path / "名单.xlsx")
    assert import_boundaries(engine, tmp_path / "名单.xlsx", level="community").ok
    rows = _true_points(21)
    report = import_compounds(engine, _register_xlsx(tmp_path / "小区名册.xlsx", rows))
    assert report.ok, report.error_lines()
    assert report.crs.startswith("GCJ-02（未指定")
    assert settings.get(engine, "county_adcode") == "370829"
    with Session(engine) as s:
        stored = {c.name: c for c in s.scalars(select(Compound))}
        comms = {c.id: c.name for c in s.scalars(select(Community))}
    for i, (name, *_x, lon, lat, community) in enumerate(rows):
        c = stored[name]
        assert comms[c.community_id] == community
        assert _distance_m((c.geometry.x, c.geometry.y), (lon, lat)) < 5
        assert (c.households is None) is (i % 5 == 0) and (c.party_branch is None) is (i % 5 == 0)


def test_per_100_households_leaves_out_compounds_without_households(county, imported, orders):
    from data.queries.overview import township_table
    from data.scope import COUNTY, Period

    rows, _ = imported
    with Session(county["engine"]) as s:
        stored = {c.name: c for c in s.scalars(select(Compound))}
    from data.schema import Complaint

    with Session(county["engine"]) as s:  # each order attributed to the compound it names
        for c in s.scalars(select(Complaint).where(Complaint.order_no.like("GD2025%"))):
            c.compound_id = stored[rows[int(c.order_no[-4:])][0]].id
        s.commit()
        matched = [c.compound_id for c in s.scalars(select(Complaint))]
    by_id = {c.id: c for c in stored.values()}
    at_unknown = sum(1 for cid in matched if cid is not None and by_id[cid].households is None)
    assert at_unknown == 4  # rows 0, 5, 10, 15 have blank 户数
    table = township_table(county["engine"], COUNTY, Period.months("2025-11")).set_index("township")
    town = table.loc["卧龙山街道"]
    town_id = stored[rows[0][0]].township_id
    assert town["households_unknown"] == sum(1 for c in stored.values()
                                              if c.households is None and c.township_id == town_id)
    assert town["complaints"] == 16
    # complaints at compounds whose 户数 is unknown leave the rate with their households
    assert town["per_100"] == round((16 - at_unknown) / town["households"] * 100, 1)


def test_a_column_of_township_and_community_together_is_read(county, imported, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["小区名称", "所在位置", "管理模式"])
    ws.append(["小区01", "卧龙山街道北关社区", "单位自管"])
    ws.append(["小区02", "嘉祥县卧龙山街道-北关社区", "单位自管"])
    wb.save(tmp_path / "位置.xlsx")
    out = _cli(county["url"], "import", "compounds", str(tmp_path / "位置.xlsx"), "--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "所在位置 → 所属社区（按内容推断）" in out.stdout
