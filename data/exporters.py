"""Tables → Excel (.xlsx) for every download button.

Chinese headers as given, column widths from the content (CJK characters
count double), the header row frozen and filterable, and identifiers kept as
text: a phone number '013800001234', an 18-digit ID or a work-order number
must neither lose its leading zero nor turn into 3.70828E+17. A column is
written as text when its name says it holds identifiers (电话, 编码, 代码, 编号,
工单, 身份证, 信用代码, phone, code, id …) or when its values look like long or
zero-padded digit strings.

Text that starts with '=', '+', '-', '@', a tab or a carriage return (OWASP
CSV injection) is neutralised by one helper, :func:`neutralise`, used by every
export: in Excel it is stored as a text cell with a quote prefix, never a
formula; in CSV (:func:`to_csv_bytes`) it gets a leading apostrophe, so a cell
from imported data cannot run anything when opened, nor after a re-save.
Personal data must be masked before it reaches this module (``data.privacy``).
"""
from __future__ import annotations

import io
import json
import math
import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

__all__ = ["to_xlsx_bytes", "to_csv_bytes", "write_xlsx", "is_text_column", "neutralise", "is_formula_like"]

_TEXT_NAME = re.compile(
    r"(电话|手机|联系方式|编码|编号|代码|身份证|证件|工单|信用代码|账号|帐号|邮编|adcode|phone|mobile|tel|code|(^|_)id$|_no$)",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"^\d+$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV/formula injection starters
_CELL_MAX = 32767  # Excel's limit on characters in one cell
_WIDTH_MIN, _WIDTH_MAX = 6, 60
_WIDTH_SAMPLE = 2000
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
_TITLE_FONT = Font(bold=True, size=14)
_INFO_FONT = Font(size=10, color="404040")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read ``text`` as a formula (or DDE)? Leading spaces are skipped, as Excel does."""
    stripped = text.lstrip(" \u3000")
    return text[:1] in _FORMULA_START or stripped[:1] in _FORMULA_START


def neutralise(value: Any, *, csv: bool = True) -> Any:
    """The one rule for a data cell in any export (OWASP CSV injection).

    A text that would start a formula gets a leading apostrophe in CSV (``csv``
    True); in Excel the writer keeps the text but stores it as a quote-prefixed
    text cell (``csv`` False returns the text unchanged, see :func:`_write_sheet`).
    Anything that is not text is returned as it is.
    """
    if isinstance(value, str) and is_formula_like(value) and csv:
        return "'" + value
    return value


def _looks_like_id(value: Any) -> bool:
    if isinstance(value, str):
        s = value.strip()
        return bool(_DIGITS.match(s)) and (s.startswith("0") and len(s) > 1 or len(s) >= 12)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return abs(int(value)) >= 10**11  # Excel shows ≥12 digits as 1.23E+11; >15 digits lose precision
    return False


def is_text_column(name: Any, values: pd.Series) -> bool:
    """True when a column holds identifiers that must be written as text."""
    if _TEXT_NAME.search(str(name)):
        return True
    sample = values.dropna().head(_WIDTH_SAMPLE)
    return any(_looks_like_id(v) for v in sample)


def _as_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _convert(value: Any, as_text: bool) -> Any:
    """A value openpyxl can store, with no NaN, no tz and no formula."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if hasattr(value, "geom_type") and hasattr(value, "wkt"):  # shapely geometry
        value = value.wkt
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if as_text:
        value = _as_text(value)
    elif isinstance(value, np.integer):
        return int(value)
    elif isinstance(value, np.floating):
        return float(value) if math.isfinite(value) else str(value)
    elif isinstance(value, float) and not math.isfinite(value):
        return str(value)
    elif isinstance(value, pd.Timestamp):
        value = value.tz_convert(None) if value.tzinfo else value
        return value.to_pydatetime()
    elif isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    elif isinstance(value, (int, float, Decimal, date, time)):
        return value
    elif isinstance(value, (list, tuple, dict, set)):
        value = json.dumps(list(value) if isinstance(value, set) else value, ensure_ascii=False, default=str)
    if not isinstance(value, str):
        value = str(value)
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > _CELL_MAX:
        value = value[: _CELL_MAX - 1] + "…"
    return value


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    s = value if isinstance(value, str) else str(value)
    s = s.split("\n", 1)[0][:200]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    if isinstance(df.columns, pd.MultiIndex):
        df = df.copy()
        df.columns = [" / ".join(str(p) for p in col if str(p) != "") for col in df.columns]
    return df


def _sheet_title(name: Any, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f"_{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _write_sheet(wb: Workbook, title: str, df: pd.DataFrame, heading: str | None,
                 footer: str | None = None, info: str | None = None) -> None:
    ws = wb.create_sheet(title)
    headers = [str(c) for c in df.columns]
    text_cols = [is_text_column(h, df.iloc[:, i]) for i, h in enumerate(headers)]
    rows = [[_convert(v, text_cols[j]) for j, v in enumerate(row)] for row in df.itertuples(index=False, name=None)]

    widths = [_display_width(h) + 2 for h in headers]  # + room for the filter arrow
    for row in rows[:_WIDTH_SAMPLE]:
        for j, v in enumerate(row):
            widths[j] = max(widths[j], _display_width(v))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, _WIDTH_MIN), _WIDTH_MAX)

    # Write-only sheets emit the sheet view with the first row: freeze before appending.
    header_row = 1 + bool(heading) + bool(info)
    ws.freeze_panes = f"A{header_row + 1}"
    if headers:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + len(rows)}"
    if heading:
        cell = WriteOnlyCell(ws, value=_convert(heading, True))
        cell.font = _TITLE_FONT
        cell.data_type = "s"
        ws.append([cell])
        if len(headers) > 1:
            ws.merged_cells.add(f"A1:{get_column_letter(len(headers))}1")
    if info:  # 范围、统计期、导出时间 (and a batch's number, seed, check code) under the title
        cell = WriteOnlyCell(ws, value=_convert(info, True))
        cell.data_type = "s"
        cell.font = _INFO_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.append([cell])
        if len(headers) > 1:
            ws.merged_cells.add(f"A{header_row - 1}:{get_column_letter(len(headers))}{header_row - 1}")

    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=_convert(h, True))
        cell.data_type = "s"
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    ws.append(header_cells)

    for row in rows:
        out = []
        for j, v in enumerate(row):
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever the first character
                v = neutralise(v, csv=False)
                if is_formula_like(v):
                    cell.quotePrefix = True  # stays text even after the user edits the cell
                if text_cols[j]:
                    cell.number_format = "@"
            elif isinstance(v, datetime):
                cell.number_format = _DATETIME_FORMAT if (v.hour, v.minute, v.second) != (0, 0, 0) else _DATE_FORMAT
            elif isinstance(v, date):
                cell.number_format = _DATE_FORMAT
            out.append(cell)
        ws.append(out)
    if footer:  # who exported and when, below the table (outside the filter range)
        ws.append([])
        cell = WriteOnlyCell(ws, value=_convert(footer, True))
        cell.data_type = "s"
        cell.font = Font(italic=True, color="606060")
        ws.append([cell])


def info_line(*, scope: str | None = None, period: str | None = None, exported_at: datetime | None = None,
              notes: Mapping[str, Any] | None = None) -> str | None:
    """``范围：金乡县　统计期：2026-01—2026-10　导出时间：2026-12-05 08:30　批次号：4 …`` (None if empty)."""
    parts = []
    if scope:
        parts.append(f"范围：{scope}")
    if period:
        parts.append(f"统计期：{period}")
    if exported_at is not None:
        parts.append(f"导出时间：{exported_at:%Y-%m-%d %H:%M}")
    parts += [f"{k}：{v}" for k, v in (notes or {}).items() if v is not None and v != ""]
    return "　".join(parts) or None


def to_xlsx_bytes(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    sheet_name: str = "数据",
    title: str | None = None,
    exported_by: str | None = None,
    exported_at: datetime | None = None,
    scope: str | None = None,
    period: str | None = None,
    notes: Mapping[str, Any] | None = None,
) -> bytes:
    """Write one table or several (``{sheet name: table}``) to an .xlsx file in memory.

    Parameters
    ----------
    data : DataFrame or mapping of sheet name → DataFrame
        Column names become the header row as given (Chinese headers are the
        caller's choice). A non-default index is written as leading columns.
    sheet_name : str, keyword-only
        Sheet name for a single table (cut to Excel's 31 characters).
    title : str, optional, keyword-only
        A bold title on row 1 of every sheet; the header then is row 2.
    exported_by : str, optional, keyword-only
        Who exported: written below every table with ``exported_at`` (default
        now) as 导出人/导出时间, and as the workbook's author.
    scope, period, notes : optional, keyword-only
        The scope's name (金乡县, 金乡街道), the period (2026-01—2026-10) and any
        further facts (``{"批次号": 4, "随机种子": …, "校验码": …}``): with any of
        them, row 2 under the title says them with the time of export, and the
        header is row 3. The title defaults to the sheet name then.

    Returns
    -------
    bytes
        The workbook, ready for ``st.download_button(data=...)``.
    """
    tables = dict(data) if isinstance(data, Mapping) else {sheet_name: data}
    if not tables:
        tables = {sheet_name: pd.DataFrame()}
    wb = Workbook(write_only=True)
    footer = None
    when = exported_at or datetime.now()
    if exported_by:
        footer = f"导出人：{exported_by}；导出时间：{when:%Y-%m-%d %H:%M}"
        wb.properties.creator = wb.properties.lastModifiedBy = str(exported_by)[:100]
    described = bool(scope or period or notes)
    info = info_line(scope=scope, period=period, exported_at=when, notes=notes) if described else None
    taken: set[str] = set()
    for name, df in tables.items():
        heading = title or (str(name) if described else None)
        _write_sheet(wb, _sheet_title(name, taken), _prepare(df), heading, footer, info)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv_bytes(data: pd.DataFrame, *, encoding: str = "utf-8-sig") -> bytes:
    """One table as CSV (UTF-8 with BOM, so Excel reads Chinese), every text cell passed through :func:`neutralise`.

    Written with the ``csv`` module, quoting every field that holds a delimiter,
    quote, CR or LF (pandas' writer leaves a lone CR unquoted).
    """
    import csv

    df = _prepare(data)
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow(["" if (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)))
                         else neutralise(v if isinstance(v, str) else str(v) if not isinstance(v, (int, float, Decimal))
                                         else v) for v in row])
    return out.getvalue().encode(encoding)


def write_xlsx(path: str | Path, data, **kwargs) -> Path:
    """:func:`to_xlsx_bytes` written to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(to_xlsx_bytes(data, **kwargs))
    return path
