"""data.exporters: tables → .xlsx with Chinese headers, identifiers kept as text."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from data.exporters import is_text_column, to_xlsx_bytes, write_xlsx


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "小区名称": ["金城花园", "鱼山小区"],
        "联系电话": ["013800001234", 13800001234],
        "统一社会信用代码": ["91370828MA3C12345X", None],
        "身份证号": ["370828199001011234", "37082819900101123X"],
        "户数": [np.int64(320), 45],
        "物业费单价": [Decimal("1.20"), 0.8],
        "建成日期": [date(2005, 6, 1), None],
        "受理时间": [pd.Timestamp("2024-03-05 14:30", tz="Asia/Shanghai"), pd.NaT],
        "智慧物业": [True, False],
        "面积": [1.5, np.nan],
    })


def test_round_trip_keeps_chinese_headers_and_ids_as_text(table):
    wb = _load(to_xlsx_bytes(table, sheet_name="小区档案"))
    ws = wb["小区档案"]
    assert [c.value for c in ws[1]] == list(table.columns)
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(table)), dtype=str)
    assert list(back.columns) == list(table.columns)
    assert back.loc[0, "联系电话"] == "013800001234"
    assert back.loc[1, "联系电话"] == "13800001234"
    assert back.loc[0, "身份证号"] == "370828199001011234"
    phone, long_id = ws["B2"], ws["D2"]
    assert (phone.value, phone.data_type, phone.number_format) == ("013800001234", "s", "@")
    assert (long_id.value, long_id.data_type) == ("370828199001011234", "s")
    assert ws["B3"].value == "13800001234" and ws["B3"].data_type == "s"  # an int phone becomes text too


def test_numbers_dates_booleans_and_blanks(table):
    ws = _load(to_xlsx_bytes(table)).active
    assert ws["E2"].value == 320 and ws["E2"].data_type == "n"
    assert ws["F2"].value == pytest.approx(1.2) and ws["F3"].value == pytest.approx(0.8)
    assert ws["G2"].value == datetime(2005, 6, 1) and ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["H2"].value == datetime(2024, 3, 5, 6, 30)  # tz-aware → naive UTC, no crash
    assert ws["H3"].value is None and ws["G3"].value is None and ws["J3"].value is None
    assert (ws["I2"].value, ws["I3"].value) == ("是", "否")


def test_frozen_header_filter_and_widths(table):
    ws = _load(to_xlsx_bytes(table)).active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J3"
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["D"] >= 20  # 18-digit ID fully visible
    assert widths["A"] >= 10  # 4 CJK characters count double
    assert all(6 <= w <= 60 for w in widths.values())


def test_title_row_moves_header_down():
    ws = _load(to_xlsx_bytes(pd.DataFrame({"镇街": ["金乡街道"], "投诉量": [12]}), title="2024-05 投诉排名")).active
    assert ws["A1"].value == "2024-05 投诉排名"
    assert [c.value for c in ws[2]] == ["镇街", "投诉量"]
    assert ws.freeze_panes == "A3"
    assert "A1:B1" in {str(r) for r in ws.merged_cells.ranges}


def test_several_sheets_and_sheet_name_rules():
    data = {"红榜": pd.DataFrame({"企业": ["甲"]}), "黑榜/名单": pd.DataFrame({"企业": ["乙"]}),
            "x" * 40: pd.DataFrame({"企业": ["丙"]})}
    wb = _load(to_xlsx_bytes(data))
    assert wb.sheetnames == ["红榜", "黑榜_名单", "x" * 31]
    assert wb["黑榜_名单"]["A2"].value == "乙"


def test_formula_text_is_not_a_formula_and_control_chars_dropped():
    df = pd.DataFrame({"内容": ["=cmd|' /C calc'!A0", "+1", "a\x01b"]})
    ws = _load(to_xlsx_bytes(df)).active
    assert ws["A2"].value == "=cmd|' /C calc'!A0" and ws["A2"].data_type == "s"
    assert ws["A3"].value == "+1" and ws["A3"].data_type == "s"
    assert ws["A4"].value == "ab"


def test_index_geometry_and_empty_frames(tmp_path):
    df = pd.DataFrame({"户数": [1, 2]}, index=pd.Index(["甲", "乙"], name="小区"))
    ws = _load(to_xlsx_bytes(df)).active
    assert [c.value for c in ws[1]] == ["小区", "户数"] and ws["A3"].value == "乙"
    geo = pd.DataFrame({"名称": ["甲"], "geometry": [shapely.Point(116.3, 35.1)]})
    assert _load(to_xlsx_bytes(geo)).active["B2"].value == "POINT (116.3 35.1)"
    empty = _load(to_xlsx_bytes(pd.DataFrame(columns=["行号", "原因"]))).active
    assert [c.value for c in empty[1]] == ["行号", "原因"] and empty.max_row == 1
    path = write_xlsx(tmp_path / "out.xlsx", df)
    assert path.exists() and _load(path.read_bytes()).active["B2"].value == 1


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("联系电话", [13800001234], True),
        ("小区编码", [1, 2], True),
        ("工单编号", ["2024"], True),
        ("phone", [1], True),
        ("户数", [12, 300], False),
        ("备注", ["0123"], True),  # zero-padded digits
        ("备注", [123456789012], True),  # 12 digits would show as 1.23E+11
        ("备注", ["abc", "12"], False),
    ],
)
def test_is_text_column(name, values, expected):
    assert is_text_column(name, pd.Series(values)) is expected


def test_scope_period_and_batch_facts_sit_between_title_and_header():
    """A spot-check batch export names its batch, seed and check code; the header is frozen under them."""
    from datetime import datetime

    frame = pd.DataFrame({"小区": ["金城花园"], "得分": [86.5], "检查时间": [datetime(2026, 11, 3, 9, 30)]})
    data = to_xlsx_bytes(frame, sheet_name="抽查批次4", scope="金乡县", period="2026-10",
                         notes={"批次号": 4, "随机种子": "20261003", "校验码": "9f2c0a1b3d4e5f60"},
                         exported_at=datetime(2026, 12, 5, 8, 0), exported_by="住建局（housing）")
    ws = _load(data).active
    assert ws["A1"].value == "抽查批次4"
    assert ws["A2"].value == ("范围：金乡县　统计期：2026-10　导出时间：2026-12-05 08:00　"
                              "批次号：4　随机种子：20261003　校验码：9f2c0a1b3d4e5f60")
    assert [c.value for c in ws[3]] == ["小区", "得分", "检查时间"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:C4"
    assert ws["B4"].value == 86.5 and ws["C4"].value == datetime(2026, 11, 3, 9, 30)  # real number and date
    assert ws["C4"].number_format == "yyyy-mm-dd hh:mm:ss"
