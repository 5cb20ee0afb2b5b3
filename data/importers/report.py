"""The import report: counts, every error (not just the first) and notes, in Chinese.

Row numbers are the ones a person sees in Excel: the header is row 1 (or the
row the header was found on), the first record row 2. For GeoJSON, GeoPackage
and shapefiles the n-th feature is row n + 1, as in their attribute table
exported to Excel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Issue", "ImportReport", "ERROR_COLUMNS"]

ERROR_COLUMNS = ("行号", "列", "值", "原因")
NOTE_COLUMNS = ("行号", "列", "值", "说明")
_VALUE_MAX = 60


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value)
    return s if len(s) <= _VALUE_MAX else s[:_VALUE_MAX] + "…"


@dataclass(frozen=True)
class Issue:
    """One problem (or note) about one cell, one row or the whole file (row None)."""

    row: int | None
    column: str
    value: Any
    message: str

    def line(self) -> str:
        """``第 5 行 户数：'三百' 不是整数`` (parts left out when unknown)."""
        where = f"第 {self.row} 行 " if self.row is not None else ""
        col = f"{self.column}：" if self.column else ""
        shown = _show(self.value)
        val = f"'{shown}' " if shown else ""
        return f"{where}{col}{val}{self.message}".strip()


@dataclass
class ImportReport:
    """What an import did or would do (导入报告).

    ``created``/``updated``/``unchanged`` count records of the imported level;
    ``related`` counts other records created on the way (物业企业, 项目经理).
    With any error nothing was written (``written`` is False).
    """

    kind: str
    source: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    related: dict[str, int] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    crs: str | None = None
    encoding: str | None = None
    written: bool = False
    unused_columns: list[str] = field(default_factory=list)  # file columns nothing was read from
    column_guesses: list[str] = field(default_factory=list)  # '第5列 → 所属社区（按内容推断）'
    crs_test: str | None = None  # '按所属社区检验：GCJ-02 命中 196/200，WGS-84 31/200'
    approximate: list[str] = field(default_factory=list)  # values stored as approximations
    _seen_notes: set = field(default_factory=set, repr=False, compare=False)

    # ----------------------------------------------------------------- collecting
    def error(self, row: int | None, column: str = "", value: Any = None, message: str = "") -> None:
        self.errors.append(Issue(row, column, value, message))

    def note(self, message: str, *, row: int | None = None, column: str = "", value: Any = None) -> None:
        issue = Issue(row, column, value, message)
        key = (row, column, str(value), message)
        if key not in self._seen_notes:
            self._seen_notes.add(key)
            self.notes.append(issue)

    def count(self, what: str, n: int = 1) -> None:
        self.related[what] = self.related.get(what, 0) + n

    # ----------------------------------------------------------------- reading
    def column_lines(self) -> list[str]:
        """How the file's columns were read: what was guessed, what was not used, the CRS test."""
        lines = []
        if self.column_guesses:
            lines.append("列的识别：" + "；".join(self.column_guesses))
        if self.unused_columns:
            lines.append("未使用的列：" + "、".join(self.unused_columns))
        if self.crs_test:
            lines.append("坐标系检验：" + self.crs_test)
        return lines

    @property
    def ok(self) -> bool:
        """True when no error was found (and, unless a dry run, the data was written)."""
        return not self.errors

    def summary(self) -> str:
        """One paragraph in Chinese for the CLI and the import page."""
        src = f"（{self.source}）" if self.source else ""
        if self.errors:
            return (f"{self.kind}导入{src}校验未通过：共 {self.rows} 行，发现 {len(self.errors)} 个错误，"
                    f"未写入任何数据。")
        verb = "将" if self.dry_run else ""
        parts = [f"{verb}新建 {self.created}", f"{verb}更新 {self.updated}", f"未变 {self.unchanged}"]
        related = "、".join(f"{verb}{k} {v}" for k, v in self.related.items() if v)
        head = f"{self.kind}校验通过（仅校验，未写入）{src}" if self.dry_run else f"{self.kind}导入完成{src}"
        text = f"{head}：共 {self.rows} 行，" + "、".join(parts) + "。"
        if related:
            text += related + "。"
        if self.crs:
            text += f"坐标系：{self.crs}。"
        if self.encoding:
            text += f"编码：{self.encoding}。"
        if self.notes:
            text += f"提示 {len(self.notes)} 条。"
        return text

    @staticmethod
    def _lines(issues: list[Issue], limit: int | None) -> list[str]:
        shown = issues if limit is None else issues[:limit]
        lines = [i.line() for i in shown]
        if limit is not None and len(issues) > limit:
            lines.append(f"…… 另有 {len(issues) - limit} 条未列出")
        return lines

    def error_lines(self, limit: int | None = None) -> list[str]:
        """Every error as a line (``limit`` lines at most, then a count of the rest)."""
        return self._lines(self.errors, limit)

    def note_lines(self, limit: int | None = None) -> list[str]:
        return self._lines(self.notes, limit)

    def errors_frame(self) -> pd.DataFrame:
        """Errors as a table with the columns 行号, 列, 值, 原因."""
        return pd.DataFrame(
            [(i.row, i.column, _show(i.value), i.message) for i in self.errors], columns=list(ERROR_COLUMNS)
        )

    def notes_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(i.row, i.column, _show(i.value), i.message) for i in self.notes], columns=list(NOTE_COLUMNS)
        )

    def to_excel_bytes(self) -> bytes:
        """The report as .xlsx: sheets 错误 (行号, 列, 值, 原因), 提示 and 汇总."""
        from data.exporters import to_xlsx_bytes

        lines = self.column_lines()
        summary = pd.DataFrame({"项目": ["结果", *[line.split("：", 1)[0] for line in lines]],
                                "内容": [self.summary(), *[line.split("：", 1)[1] for line in lines]]})
        # No title row: the header stays on row 1 so the file reads back as a table.
        return to_xlsx_bytes({"错误": self.errors_frame(), "提示": self.notes_frame(), "汇总": summary})

    def to_excel(self, path: str | Path) -> Path:
        """Write :meth:`to_excel_bytes` to ``path``; returns the path."""
        path = Path(path)
        path.write_bytes(self.to_excel_bytes())
        return path
