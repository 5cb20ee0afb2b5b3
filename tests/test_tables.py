"""ui/tables.py: one way to show a table and export it (headers, blanks, Arrow-safe display)."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from data.exporters import to_xlsx_bytes
from ui.tables import for_display, labelled


def _results() -> pd.DataFrame:
    """Spot-check results as the query gives them: dates and Decimal scores with gaps."""
    return pd.DataFrame({
        "compound": ["金城花园", "<b>幸福里</b>"],
        "checked_at": [date(2026, 11, 3), None],
        "score": [Decimal("86.5"), None],
        "rectified_at": [None, datetime(2026, 11, 20, 9, 30)],
        "households": [120, 80],
    })


def test_blanks_become_empty_text_and_headers_chinese():
    shown = labelled(_results())
    assert list(shown.columns)[:3] == ["小区", "检查日期", "得分"]
    assert shown["检查日期"].tolist() == [date(2026, 11, 3), ""]


@pytest.mark.parametrize("column, expected", [
    ("检查日期", ["2026-11-03", ""]),
    ("得分", ["86.5", ""]),
])
def test_the_display_copy_goes_through_arrow_as_text(column, expected):
    shown = labelled(_results())
    with pytest.raises((pa.ArrowTypeError, pa.ArrowInvalid)):  # what Streamlit would trip over
        pa.Table.from_pandas(shown[[column]])
    display = for_display(shown)
    pa.Table.from_pandas(display)  # every column converts
    assert display[column].tolist() == expected
    assert display["小区"].tolist() == ["金城花园", "<b>幸福里</b>"]  # text untouched (escaped by the grid)
    assert display["户数"].tolist() == [120, 80]  # numbers untouched


def test_the_excel_export_keeps_real_dates_and_numbers():
    shown = labelled(_results())
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(shown, sheet_name="抽查结果")))
    rows = list(book["抽查结果"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if "得分" in r)
    first = dict(zip(rows[header], rows[header + 1]))
    assert first["得分"] == 86.5 and isinstance(first["得分"], (int, float))
    assert first["检查日期"].date() == date(2026, 11, 3)
