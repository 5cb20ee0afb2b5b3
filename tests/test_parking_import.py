"""Parking-resource imports (错时停车资源): Excel, GBK CSV and GeoJSON written here, read back on both backends."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from shapely.geometry import Point, box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import db
from data.__main__ import main
from data.importers.parking import import_parking, parse_time, parse_window, read_road_network
from data.importers.values import Bad
from data.schema import ParkingResource, Township
from data.scope import Scope

LON, LAT = 116.31, 35.07  # 金乡县城
HEADERS = ["名称", "单位类型", "可共享车位", "工作日开放时段", "节假日开放时段", "经度", "纬度", "联系人", "联系电话"]


@pytest.fixture
def engine(db_url):
    e = db.make_engine(db_url)
    db.migrate(e)
    with Session(e) as s, s.begin():
        s.add(Township(code="T1", name="金乡街道", kind="街道", geometry=box(LON - 0.05, LAT - 0.05, LON, LAT + 0.05)))
        s.add(Township(code="T2", name="鱼山街道", kind="街道", geometry=box(LON, LAT - 0.05, LON + 0.05, LAT + 0.05)))
    yield e
    e.dispose()


def _rows():
    return [
        ["县财政局院内停车场", "机关单位", 80, "18:00至次日7:30", "全天", LON - 0.01, LAT, "王鹤琪", "15770351312"],
        ["金城购物广场地下停车场", "商场", "120", "19:00-08:00", None, LON + 0.01, LAT, None, None],
        ["奎星路夜间泊位", "道路泊位", 30, "19点-7点", None, LON - 0.02, LAT + 0.01, None, None],
    ]


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _resources(engine) -> dict[str, ParkingResource]:
    with Session(engine) as s:
        return {r.name: r for r in s.scalars(select(ParkingResource))}


def _count(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(ParkingResource))


@pytest.mark.parametrize("text, expected", [
    ("18:00-07:30", ("18:00", "07:30")),
    ("18:00至次日7:30", ("18:00", "07:30")),
    ("晚19点～早7点", ("19:00", "07:00")),
    ("18：30—7：00", ("18:30", "07:00")),
    ("全天", ("00:00", "23:59")),
    ("00:00-24:00", ("00:00", "23:59")),
    ("8:00-24:00", ("08:00", "23:59")),
])
def test_opening_windows_as_people_write_them(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["晚上", "18:00", "25:00-07:00", "18:61-07:00", "18:00-07:00-09:00"])
def test_windows_that_are_not_windows_are_refused(text):
    with pytest.raises(Bad):
        parse_window(text)


def test_excel_time_cell_is_read_as_a_time():
    assert parse_time(0.75) == "18:00" and parse_time(0.3125) == "07:30"


def test_excel_import_with_chinese_headers_and_aliases(engine):
    report = import_parking(engine, _xlsx(_rows()), filename="停车资源.xlsx")
    assert report.ok and report.created == 3, report.error_lines()
    got = _resources(engine)
    office = got["县财政局院内停车场"]
    assert (office.owner_kind, office.capacity, office.weekday_opens, office.weekday_closes) == (
        "机关", 80, "18:00", "07:30")
    assert (office.weekend_opens, office.weekend_closes) == ("00:00", "23:59")
    assert office.contact == "王鹤琪 15770351312" and office.status == "可用"
    assert got["金城购物广场地下停车场"].owner_kind == "商业配建"
    assert got["奎星路夜间泊位"].owner_kind == "道路夜间临时泊位"
    # township from where the resource lies
    with Session(engine) as s:
        towns = dict(s.execute(select(Township.id, Township.name)).all())
    assert towns[office.township_id] == "金乡街道"
    assert towns[got["金城购物广场地下停车场"].township_id] == "鱼山街道"


def test_reimport_updates_by_name_and_never_duplicates(engine):
    assert import_parking(engine, _xlsx(_rows()), filename="a.xlsx").ok
    again = import_parking(engine, _xlsx(_rows()), filename="a.xlsx")
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows = _rows()
    rows[0][2] = 60
    changed = import_parking(engine, _xlsx(rows), filename="b.xlsx")
    assert changed.ok and (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert _count(engine) == 3 and _resources(engine)["县财政局院内停车场"].capacity == 60


@pytest.mark.parametrize("row, column, value, reason", [
    (2, "单位类型", "食堂", "单位类型"),
    (3, "可共享车位", -5, ""),
    (4, "工作日开放时段", "看情况", "开放时段"),
    (2, "经度", None, "须同时填写"),
])
def test_a_bad_row_writes_nothing_and_says_where(engine, row, column, value, reason):
    rows = _rows()
    col = HEADERS.index(column)
    rows[row - 2][col] = value
    if column == "经度":
        rows[row - 2][HEADERS.index("纬度")] = LAT
    report = import_parking(engine, _xlsx(rows), filename="bad.xlsx")
    assert not report.ok and not report.written and _count(engine) == 0
    first = report.errors[0]
    assert first.row == row and first.column == column and reason in first.message


def test_duplicate_names_in_one_file_are_refused(engine):
    rows = _rows()
    rows[2][0] = rows[0][0]
    report = import_parking(engine, _xlsx(rows), filename="dup.xlsx")
    assert not report.ok and "重复" in report.errors[0].message and _count(engine) == 0


def test_township_staff_import_only_their_own(engine):
    with Session(engine) as s:
        mine = s.scalar(select(Township.id).where(Township.name == "金乡街道"))
    report = import_parking(engine, _xlsx(_rows()), filename="a.xlsx", scope=Scope(mine))
    assert not report.ok and _count(engine) == 0
    assert any("管辖范围" in e.message for e in report.errors)


def test_gbk_csv_is_detected_on_the_whole_file(engine, tmp_path):
    lines = [",".join(HEADERS)] + [",".join("" if v is None else str(v) for v in r) for r in _rows()]
    path = tmp_path / "停车资源.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    report = import_parking(engine, path)
    assert report.ok and report.created == 3, report.error_lines()
    assert "县财政局院内停车场" in _resources(engine)


def test_geojson_with_a_car_park_polygon_and_a_road_line(engine, tmp_path):
    features = [
        {"type": "Feature", "properties": {"名称": "县医院停车场", "单位类型": "事业单位", "可共享车位": 50,
                                           "工作日开始": "18:00", "工作日结束": "07:30"},
         "geometry": {"type": "Polygon", "coordinates": [[[LON - 0.01, LAT], [LON - 0.009, LAT],
                                                          [LON - 0.009, LAT + 0.001], [LON - 0.01, LAT]]]}},
        {"type": "Feature", "properties": {"名称": "金山街夜间泊位", "单位类型": "道路夜间临时泊位", "可共享车位": 25,
                                           "工作日开放时段": "19:00-07:00", "状态": "审批中"},
         "geometry": {"type": "LineString", "coordinates": [[LON + 0.01, LAT], [LON + 0.012, LAT]]}},
    ]
    path = tmp_path / "资源.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    report = import_parking(engine, path)
    assert report.ok and report.created == 2, report.error_lines()
    got = _resources(engine)
    assert got["县医院停车场"].geometry.geom_type == "Polygon"
    road = got["金山街夜间泊位"]
    assert road.geometry.geom_type == "LineString" and road.status == "待审批"
    # a road network file is read as lines, anything else is refused in Chinese
    network = read_road_network(path)
    assert list(network.geom_type) == ["LineString"]
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": Point(LON, LAT).__geo_interface__}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="没有线要素"):
        read_road_network(points)


def test_cli_import_parking_dry_run_then_write(engine, db_url, tmp_path, capsys):
    path = tmp_path / "停车资源.xlsx"
    path.write_bytes(_xlsx(_rows()))
    assert main(["import", "parking", str(path), "--db", db_url, "--dry-run"]) == 0
    assert _count(engine) == 0
    assert main(["import", "parking", str(path), "--db", db_url]) == 0
    assert _count(engine) == 3
    assert "3" in capsys.readouterr().out


def test_a_road_network_is_split_where_roads_cross(tmp_path):
    """Two streets that cross without a shared vertex become four pieces meeting at the crossing."""
    streets = [[[LON - 0.01, LAT], [LON + 0.01, LAT]], [[LON, LAT - 0.01], [LON, LAT + 0.01]]]
    path = tmp_path / "路网.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": f"路{i}"}, "geometry": {"type": "LineString", "coordinates": c}}
        for i, c in enumerate(streets)]}, ensure_ascii=False), encoding="utf-8")
    network = read_road_network(path)
    assert len(network) == 4
    ends = {tuple(round(v, 9) for v in xy) for g in network for xy in (g.coords[0], g.coords[-1])}
    assert (round(LON, 9), round(LAT, 9)) in ends
