"""12345 complaint import: real files (GBK and BOM CSV, Excel, Open311 JSON) written and read back.

A small demo county (50 compounds) gives the places; the tests write their own
work orders with numbers that cannot clash with the demo's (``T…``).
"""
from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data import db
from data.demo import build_demo
from data.importers.complaints import import_complaints, parse_datetime, parse_status
from data.importers.open311 import dumps_open311
from data.importers.values import Bad
from data.queries import compounds as compound_frame
from data.queries import complaint_stats as cq
from data.schema import Complaint, Compound
from data.scope import COUNTY, Period
from geo.crs import wgs84_to_gcj02
from policy.duties import NO_COMPANY_DEPARTMENT, TOWNSHIP_JOINT_MEETING

HEADERS = ["工单编号", "来电时间", "诉求分类", "诉求内容", "事件发生地", "经度", "纬度", "所属区域", "承办单位",
           "办理状态", "办结时间", "回访结果", "来电人", "联系电话"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cmp") / "demo.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    build_demo(engine, seed=3, compounds=50, complaints=200)
    engine.dispose()
    return path


@pytest.fixture
def engine(template, tmp_path):
    path = tmp_path / "t.sqlite"
    shutil.copy(template, path)
    eng = db.make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def places(engine):
    frame = compound_frame(engine, COUNTY)
    with_co = frame[(frame["management_mode"] == "专业化物业") & frame["company"].notna()].iloc[0]
    without = frame[frame["management_mode"] == "无物业"].iloc[0]
    return frame, with_co, without


def sample(engine) -> list[list]:
    """Four work orders: a point inside a compound, an address naming one, nothing usable, GBK-only text."""
    _, a, b = places(engine)
    pt = a.geometry.representative_point()
    return [
        ["T202603010001", "2026-03-01 08:15:00", "物业服务", "楼道卫生无人打扫", "某路 1 号", pt.x, pt.y, a.township,
         None, "办理中", None, None, "张三", "05378888888"],
        ["T202603010002", "2026/3/1 9:30", "城乡建设-物业管理-物业服务", "无物业，垃圾堆积", f"金乡县{b['name']}3号楼",
         None, None, None, None, "已办结", "2026-03-03 10:00", "满意", "欧阳娜娜", "13812341234"],
        ["T202603010003", "2026年3月1日 10时05分", "噪音扰民", "夜间噪音", "某大道附近", None, None, None,
         "公安局、综合行政执法局", "处理中", None, None, "李四", "13900001111"],
        ["T202603010004", "2026-03-01T11:00:00+08:00", "电梯", "电梯困人，镕（GB18030 字）", None, None, None, None,
         None, "已受理", None, None, None, None],
    ]


def write_csv(path, rows, encoding):
    frame = pd.DataFrame(rows, columns=HEADERS)
    path.write_bytes(frame.to_csv(index=False).encode(encoding))
    return path


def stored(engine, prefix="T"):
    with Session(engine) as s:
        return {c.order_no: c for c in s.scalars(select(Complaint).where(Complaint.order_no.like(f"{prefix}%")))}


def count(engine):
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Complaint))


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("text, expected", [
    ("2026-03-05 14:22", datetime(2026, 3, 5, 14, 22)),
    ("2026/3/5 14:22:10", datetime(2026, 3, 5, 14, 22, 10)),
    ("2026年3月5日 14时22分", datetime(2026, 3, 5, 14, 22)),
    ("2026-03-05", datetime(2026, 3, 5)),
    ("2026-03-05T06:22:00Z", datetime(2026, 3, 5, 14, 22)),        # UTC → Beijing time
    ("2026-03-05T14:22:00+08:00", datetime(2026, 3, 5, 14, 22)),
])
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["三月五日", "2026-13-01", "1990-01-01 00:00", "12345"])
def test_parse_datetime_refuses(text):
    with pytest.raises(Bad):
        parse_datetime(text)


@pytest.mark.parametrize("text, expected", [("已办结", "已办结"), ("办结", "已办结"), ("closed", "已办结"),
                                            ("open", "办理中"), ("处理中", "办理中"), ("退单", "退回")])
def test_parse_status(text, expected):
    assert parse_status(text) == expected


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings_assign_and_route(engine, tmp_path, encoding):
    _, a, b = places(engine)
    path = write_csv(tmp_path / f"12345_{encoding}.csv", sample(engine), encoding)
    before = count(engine)
    report = import_complaints(engine, path)
    assert report.ok, report.error_lines()
    assert report.written and report.created == 4 and count(engine) == before + 4
    expected = {"gbk": "GB18030", "utf-8-sig": "BOM", "utf-8": "UTF-8"}[encoding]
    assert expected in report.encoding
    rows = stored(engine)
    first, second, third, fourth = (rows[f"T20260301000{i}"] for i in range(1, 5))
    assert (first.compound_id, first.match_method) == (int(a.id), "坐标")
    assert first.department == a.township  # company-caused, compound has a company → the township itself
    assert first.complainant_phone == "05378888888"  # leading zero kept: phones are text
    assert (second.compound_id, second.match_method) == (int(b.id), "地址")
    # 无物业: the compound's own township leads (000 §1(3)2), not 住建局
    assert second.category == "物业服务" and second.department == b.township
    assert second.closed_at == datetime(2026, 3, 3, 10, 0) and second.satisfaction == "满意"
    assert third.compound_id is None and third.match_method == "未匹配"  # kept, not dropped
    assert third.department == TOWNSHIP_JOINT_MEETING and third.status == "办理中"
    assert fourth.content.endswith("镕（GB18030 字）") and fourth.department == "市场监督管理局"
    assert report.related["未匹配"] == 2


def test_excel_with_title_row_and_numeric_ids(engine, tmp_path):
    rows = sample(engine)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["金乡县 12345 热线物业类工单导出"])
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    ws.cell(3, 1).value = 20260301000123  # a 14-digit work-order number typed as a number
    ws.cell(3, 14).value = 13812341234
    path = tmp_path / "工单.xlsx"
    wb.save(path)
    report = import_complaints(engine, path)
    assert report.ok, report.error_lines()
    with Session(engine) as s:
        c = s.scalar(select(Complaint).where(Complaint.order_no == "20260301000123"))
    assert c is not None and c.complainant_phone == "13812341234"
    # 18 digits stored as a number have lost their last digits in Excel: refused, not guessed
    ws.cell(3, 1).value = 202603010000123456
    wb.save(path)
    report = import_complaints(engine, path)
    assert not report.ok and "15 位" in report.error_lines()[0] and report.errors[0].row == 3


def test_gcj02_coordinates_are_shifted_to_wgs84(engine, tmp_path):
    _, a, _ = places(engine)
    pt = a.geometry.representative_point()
    gx, gy = wgs84_to_gcj02(pt.x, pt.y)
    rows = [sample(engine)[0]]
    rows[0][5:7] = [float(gx), float(gy)]
    report = import_complaints(engine, write_csv(tmp_path / "gcj.csv", rows, "utf-8"), crs="gcj02")
    assert report.ok, report.error_lines()
    c = stored(engine)["T202603010001"]
    assert c.compound_id == int(a.id)
    assert abs(c.lon - pt.x) < 1e-6 and abs(c.lat - pt.y) < 1e-6


def test_alias_in_address_matches(engine, tmp_path):
    frame, _, _ = places(engine)
    target = frame.iloc[7]
    with Session(engine) as s, s.begin():
        s.execute(update(Compound).where(Compound.id == int(target.id)).values(aliases="梧桐里、西苑"))
    rows = [sample(engine)[2]]
    rows[0][4] = "金乡县某路梧桐里5号楼"
    report = import_complaints(engine, write_csv(tmp_path / "alias.csv", rows, "utf-8"))
    assert report.ok
    assert stored(engine)["T202603010003"].compound_id == int(target.id)


def test_all_or_nothing_on_a_bad_row(engine, tmp_path):
    rows = sample(engine)
    rows[2][1] = "三月一日上午"         # bad time
    rows[3][13] = "电话未知"            # bad phone
    rows[1][10] = "2026-02-01 00:00"    # closed before received
    rows.append(list(rows[0]))          # duplicate work order
    before = count(engine)
    report = import_complaints(engine, write_csv(tmp_path / "bad.csv", rows, "gbk"))
    assert not report.ok and not report.written and count(engine) == before
    lines = report.error_lines()
    assert any(line.startswith("第 4 行 来电时间：'三月一日上午'") for line in lines), lines
    assert any(line.startswith("第 5 行 联系电话") for line in lines)
    assert any("办结时间早于受理时间" in line for line in lines)
    assert any("与第 2 行重复" in line for line in lines)
    assert "未写入任何数据" in report.summary()
    path = tmp_path / "错误报告.xlsx"
    report.to_excel(path)
    back = pd.read_excel(path, sheet_name="错误")
    assert list(back.columns) == ["行号", "列", "值", "原因"] and len(back) == len(report.errors)


def test_missing_required_column(engine, tmp_path):
    frame = pd.DataFrame(sample(engine), columns=HEADERS).drop(columns=["来电时间"])
    path = tmp_path / "no_time.csv"
    frame.to_csv(path, index=False)
    report = import_complaints(engine, path)
    assert not report.ok and "缺少必需的列" in report.error_lines()[0]


def test_dry_run_writes_nothing(engine, tmp_path):
    before = count(engine)
    report = import_complaints(engine, write_csv(tmp_path / "d.csv", sample(engine), "utf-8"), dry_run=True)
    assert report.ok and not report.written and report.created == 4 and count(engine) == before


def test_killed_mid_write_leaves_the_database_as_it_was(engine, tmp_path, monkeypatch):
    from data.importers import complaints as module

    original = module._write

    def crash(job, session, plans):
        original(job, session, plans)  # rows are inserted inside the transaction …
        raise KeyboardInterrupt  # … and the process dies before the commit

    monkeypatch.setattr(module, "_write", crash)
    before = count(engine)
    with pytest.raises(KeyboardInterrupt):
        import_complaints(engine, write_csv(tmp_path / "k.csv", sample(engine), "utf-8"))
    assert count(engine) == before


def test_masked_values_never_overwrite(engine, tmp_path):
    path = write_csv(tmp_path / "a.csv", sample(engine), "utf-8")
    assert import_complaints(engine, path).ok
    rows = sample(engine)
    rows[0][12:14] = ["张*", "053****88"]  # what an export shows
    report = import_complaints(engine, write_csv(tmp_path / "masked.csv", rows, "utf-8"))
    assert report.ok and report.updated == 0
    assert any("脱敏" in n for n in report.note_lines())
    c = stored(engine)["T202603010001"]
    assert (c.complainant_name, c.complainant_phone) == ("张三", "05378888888")


def test_cli_import_dry_run(engine, tmp_path, capsys):
    from data.__main__ import main

    path = write_csv(tmp_path / "cli.csv", sample(engine), "gbk")
    before = count(engine)
    assert main(["import", "complaints", str(path), "--dry-run", "--db", str(engine.url)]) == 0
    assert "仅校验" in capsys.readouterr().out and count(engine) == before
    assert main(["import", "complaints", str(path), "--db", str(engine.url)]) == 0
    assert count(engine) == before + 4


# --------------------------------------------------------------------------- Open311
def test_open311_round_trip(engine):
    period = Period.months("2024-01", "2026-12")
    original = cq.complaint_records(engine, COUNTY, period)
    first = dumps_open311(original)
    payload = json.loads(first)
    assert payload and {"service_request_id", "status", "service_name", "requested_datetime", "lat", "long",
                        "agency_responsible"} <= set(payload[0])
    text = first.decode()
    assert "complainant" not in text and not re.search(r"1\d{10}|\d{3}\*{4}\d{4}", text)  # no requester data
    # importing it may complete the demo's own records (e.g. the community of a point on a road) …
    assert import_complaints(engine, first, filename="requests.json").ok
    first = dumps_open311(cq.complaint_records(engine, COUNTY, period))
    # … after which the same file changes nothing
    report = import_complaints(engine, first, filename="requests.json")
    assert report.ok and report.unchanged == len(original), report.error_lines()
    # into an emptied table: the export after import is the same JSON
    with Session(engine) as s, s.begin():
        s.query(Complaint).delete()
    report = import_complaints(engine, io.BytesIO(first), filename="requests.json")
    assert report.ok and report.created == len(original), report.error_lines()
    assert dumps_open311(cq.complaint_records(engine, COUNTY, period)) == first


def test_not_open311_json_is_refused(engine):
    report = import_complaints(engine, b'{"type": "FeatureCollection", "features": []}', filename="x.json")
    assert not report.ok and "Open311" in report.error_lines()[0]


def test_a_city_deployment_takes_orders_of_every_county_not_only_the_first(db_url, tmp_path):
    """The coordinate check read the first county outline of the database, so in a city or province
    deployment a 12345 file from any other county came back 范围外 (found measuring the province)."""
    from data.schema import Township

    engine = db.make_engine(db_url)
    db.migrate(engine)
    build_demo(engine, scale="city", seed=3, compounds_per_county=3, complaints_per_county=0)
    with Session(engine) as s:
        picks = {county: s.execute(select(Compound.id, Compound.geometry).join(Township)
                                   .where(Township.county_adcode == county).order_by(Compound.id)).first()
                 for county in ("370811", "370883")}  # the first and the last of 济宁市's eleven
    rows = [[f"C{k}", "2026-03-01 08:15:00", "物业服务", "楼道卫生", None, geom.representative_point().x,
             geom.representative_point().y, None, None, "办理中", None, None, None, None]
            for k, (_, geom) in enumerate(picks.values())]
    report = import_complaints(engine, write_csv(tmp_path / "city.csv", rows, "utf-8"))
    assert report.ok and report.created == 2, report.error_lines()
    got = {c.order_no: c.compound_id for c in stored(engine, prefix="C").values()}
    assert got == {f"C{k}": cid for k, (cid, _) in enumerate(picks.values())}
