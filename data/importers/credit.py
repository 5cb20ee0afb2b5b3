"""Credit grades import (企业信用评价结果): one row per company and evaluation period.

Columns: 企业名称 (required; matched like every company name, a new name
creates the company), 统一社会信用代码 (optional, matched first), 信用得分
(0–100), 信用等级 (required; one of the setting ``credit_grades``, ``AA级``
accepted), 评价期间 / 年度 / 季度. The period may instead stand in the title
row ("2025年第四季度物业服务企业信用评价结果") or the file name.

Grades are stored per quarter (``credit_grade``), which is what the map's
credit colours, the spot-check risk weight and the company table read. A
quarterly result gives one quarter; a half-year result (上半年 / 下半年) its two
quarters; an annual result (2025年度) the four quarters of that year — each
said in the report. Re-importing updates the (company, quarter) grade.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions, vocab
from data.importers import columns as C
from data.importers import values as V
from data.importers.companies import COMPANY_NAME_ALIASES, CompanyResolver, _setting, credit_code
from data.importers.pipeline import Job, Row
from data.importers.places import apply_values
from data.importers.report import ImportReport
from data.schema import CreditGrade, PropertyCompany

__all__ = ["import_credit", "parse_period", "find_period", "title_text", "LEVEL"]

LEVEL = "credit"
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = re.compile(r"(\d{4})\s*(?:年|[-_/.])?\s*(?:第\s*([一二三四1-4])\s*季度?|([一二三四1-4])\s*季度|[Qq]\s*([1-4]))")
_HALF = re.compile(r"(\d{4})\s*年?\s*度?\s*(上|下)\s*半\s*年")
_YEAR = re.compile(r"(\d{4})\s*(?:年度|年(?!\s*\d{1,2}\s*月))")  # not a date: 填报日期 2026年1月5日
_YEAR_ONLY = re.compile(r"^\s*(\d{4})\s*$")


def _year(y: str) -> int:
    year = int(y)
    if not 2000 <= year <= datetime.now().year + 1:
        raise V.Bad("年份不在有效范围内")
    return year


def find_period(text: str) -> tuple[tuple[str, ...], str] | None:
    """The quarters a period names in free text, and how it was read; None when it names none."""
    s = str(text or "")
    m = _QUARTER.search(s)
    if m:
        y, q = _year(m.group(1)), _CN[m.group(2) or m.group(3) or m.group(4)]
        return (f"{y}-Q{q}",), f"{y}年第{q}季度"
    m = _HALF.search(s)
    if m:
        y = _year(m.group(1))
        qs = (1, 2) if m.group(2) == "上" else (3, 4)
        return tuple(f"{y}-Q{q}" for q in qs), f"{y}年{m.group(2)}半年"
    m = _YEAR.search(s)
    if m:
        y = _year(m.group(1))
        return tuple(f"{y}-Q{q}" for q in range(1, 5)), f"{y}年度"
    return None


def parse_period(value) -> tuple[str, ...]:
    """A 评价期间 cell → its quarters (``2025-Q4``; ``2025年上半年`` → Q1, Q2; ``2025年度`` or ``2025`` → Q1–Q4)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        value = str(int(value))
    s = V.text(value)
    m = _YEAR_ONLY.match(s)
    if m:
        y = _year(m.group(1))
        return tuple(f"{y}-Q{q}" for q in range(1, 5))
    found = find_period(s)
    if found is None:
        raise V.Bad("不是评价期间（应为 2025-Q4、2025年第四季度、2025年上半年 或 2025年度）")
    return found[0]


def _score(value) -> Decimal:
    s = str(value).strip().replace(",", "").rstrip("分").strip()
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise V.Bad("不是数字（信用得分应为 0–100）") from None
    if not d.is_finite() or not 0 <= d <= 100:
        raise V.Bad("信用得分应在 0 到 100 之间")
    return d.quantize(Decimal("0.01"))


def _grade_text(value) -> str:
    s = V.text(value, max_len=10).replace(" ", "").upper()
    return s.removesuffix("级")


_grade_text.allowed = vocab.CREDIT_GRADES_DEFAULT  # the template's drop-down (the setting may differ)


def _register_fields() -> None:
    if LEVEL in C.FIELDS:
        return
    f = C.Field
    C.LEVEL_LABELS[LEVEL] = "企业信用评价结果"
    C.FIELDS[LEVEL] = (
        f("name", "企业名称", COMPANY_NAME_ALIASES, partial(V.text, max_len=100)),
        f("credit_code", "统一社会信用代码", ("统一社会信用代码", "信用代码", "社会信用代码"), credit_code),
        f("score", "信用得分", ("信用得分", "信用分", "信用分值", "评价得分", "综合得分", "得分", "分数", "score"),
          _score),
        f("grade", "信用等级", ("信用等级", "信用评级", "评价等级", "等级", "评定等级", "grade"), _grade_text),
        f("period", "评价期间", ("评价期间", "评价周期", "评价时段", "考核期间", "期间", "年度", "评价年度",
                              "季度", "评价季度", "period"), parse_period),
    )


_register_fields()


def title_text(job: Job) -> str:
    """The text above the header row (titles, 填报单位 …), for a period written only there.

    Uses the reader's own title when it keeps one; otherwise reads those rows again.
    """
    table = job.table
    for attr in ("title", "titles", "title_lines"):
        got = getattr(table, attr, None)
        if got:
            return " ".join(map(str, got)) if isinstance(got, (list, tuple)) else str(got)
    above = (table.rows[0] - 2) if table.rows else 0  # rows above the header row
    if above <= 0:
        return ""
    src = job.source
    try:
        data = Path(src).read_bytes() if isinstance(src, (str, Path)) else (
            bytes(src) if isinstance(src, (bytes, bytearray)) else None)
        if data is None:
            return ""
        cells: list[str] = []
        if table.fmt == "xlsx":
            import io

            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    for r in ws.iter_rows(max_row=above, values_only=True):
                        cells += [str(c) for c in r if c is not None]
            finally:
                wb.close()
        elif table.fmt == "csv":
            from data.importers.encoding import decode_text

            text, _ = decode_text(data, job.encoding)
            cells = text.lstrip("\ufeff").splitlines()[:above]
        return " ".join(cells)[:500]
    except Exception:  # noqa: BLE001 - the title is a hint, never a reason to fail
        return ""


def import_credit(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                  filename: str | None = None, actor=None) -> ImportReport:
    """Import credit grades; validate everything, write all or nothing.

    ``actor`` needs ``edit_evaluations`` (the housing bureau keeps the grades) or ``import``.
    """
    permissions.authorize(actor, (permissions.EDIT_EVALUATIONS, permissions.IMPORT))
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor)
    if not job.read(required=("name", "grade")):
        return job.report
    default = None
    if "period" not in job.cmap.columns:
        for where, text in (("标题行", title_text(job)), ("文件名", job.report.source or "")):
            try:
                found = find_period(text)
            except V.Bad:
                found = None
            if found:
                default = found[0]
                job.report.note(f"评价期间取自{where}：{found[1]}（{'、'.join(default)}）")
                break
        if default is None:
            job.report.error(None, "评价期间", None,
                             "缺少评价期间：表中没有“评价期间/年度/季度”列，标题行和文件名中也没有"
                             "（如“2025年第四季度”）")
            return job.report
    with Session(engine, autoflush=False) as session:
        _import(job, session, job.rows(), default)
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row], default: tuple[str, ...] | None) -> None:
    scale = [str(g).upper() for g in _setting(session, "credit_grades")]
    seen: dict[tuple[str, str], int] = {}
    good = []
    for row in rows:
        for key in ("name", "grade"):
            if key not in row.values and row.raw.get(key) is None:
                job.error(row, key, "为空", value=None)
        grade = row.values.get("grade")
        if grade is not None and grade not in scale:
            job.error(row, "grade", f"不是允许的信用等级（可选：{'、'.join(scale)}，见设置“信用等级”）")
        if "period" not in row.values and default is None and not row.bad:
            job.error(row, "period", "为空", value=None)
        row.values.setdefault("period", default)
        if not row.bad:
            good.append(row)
    by_code = {c.credit_code: c for c in session.scalars(
        select(PropertyCompany).where(PropertyCompany.credit_code.is_not(None)))}
    wanted: dict[str, list[Row]] = {}
    for row in good:
        if by_code.get(row.values.get("credit_code")) is None:
            wanted.setdefault(row.values["name"], []).append(row)
    companies = CompanyResolver(job, session).resolve(wanted, key="name")
    if companies is None or job.report.errors:
        return
    plans = []
    for row in good:
        company = by_code.get(row.values.get("credit_code")) or companies[row.values["name"]]
        for quarter in row.values["period"]:
            key = (id(company), quarter)
            if key in seen:
                job.error(row, "period", f"与第 {seen[key]} 行重复（同一企业同一季度只能有一个信用等级）")
                continue
            seen[key] = row.number
            plans.append((row, company, quarter))
        if len(row.values["period"]) > 1:
            job.report.note(f"年度或半年评价结果按所含季度分别记录（{len(row.values['period'])} 个季度）")
    if job.report.errors:
        return
    ids = [c.id for _, c, _ in plans if c.id is not None]
    existing = {(g.company_id, g.quarter): g for g in session.scalars(
        select(CreditGrade).where(CreditGrade.company_id.in_(ids)))} if ids else {}
    for row, company, quarter in plans:
        values = {"grade": row.values["grade"]}
        if "score" in row.values:
            values["score"] = row.values["score"]
        obj = existing.get((company.id, quarter))
        if obj is None:
            session.add(CreditGrade(company_id=company.id, quarter=quarter, **values))
            job.report.created += 1
        elif apply_values(obj, values):
            job.report.updated += 1
        else:
            job.report.unchanged += 1
