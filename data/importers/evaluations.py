"""Quarterly evaluation import (季度考评结果): one row per project and quarter.

Columns (Chinese or English headers, found among the first rows like every
import): 小区名称/项目名称 (or 小区编码), 季度 (``2026-Q1``, ``2026Q1``,
``2026年第一季度``), 考评分数 (0–100), 业主满意度 (0–100, ``85%`` accepted),
考评单位; 所属镇街 optionally tells apart compounds of the same name.

Rows are matched to compounds by code, else by name or alias (within the
township when given). Everything is validated first — unknown or ambiguous
compounds, bad quarters, scores out of range, a project listed twice for one
quarter, compounds outside the importer's scope — and nothing is written when
any row is wrong. Existing (compound, quarter) results are updated; every
changed score keeps its previous values in the audit log, so history is never
lost.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions
from data.importers import columns as C
from data.importers import values as V
from data.importers.pipeline import Job, Row
from data.importers.places import compound_index, match_compound, outside_scope
from data.importers.report import ImportReport
from data.schema import AuditLog, Evaluation
from data.scope import COUNTY, Scope

__all__ = ["import_evaluations", "parse_quarter_cell", "LEVEL"]

LEVEL = "evaluations"
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_Q_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-_/.年 ]?\s*[Qq]\s*([1-4])$"),
    re.compile(r"^(\d{4})\s*年?\s*[-_/. ]?\s*第?\s*([一二三四1-4])\s*季度?$"),
)


def parse_quarter_cell(value) -> str:
    """``2026-Q1`` / ``2026Q1`` / ``2026年第一季度`` / ``2026年1季度`` → ``2026-Q1``."""
    s = V.text(value).replace("　", " ").strip()
    for pattern in _Q_PATTERNS:
        m = pattern.match(s)
        if m:
            year = int(m.group(1))
            if not 2000 <= year <= datetime.now().year + 1:
                raise V.Bad("年份不在有效范围内")
            return f"{year:04d}-Q{_CN[m.group(2)]}"
    raise V.Bad("不是季度（应为 2026-Q1 或 2026年第一季度）")


_Q_IN_TEXT = re.compile(r"(\d{4})\s*年?\s*(?:度)?\s*[-_/. ]?\s*(?:第\s*([一二三四1-4])\s*季度?|([一二三四1-4])\s*季度|[Qq]\s*([1-4]))")
_HALF_OR_YEAR = re.compile(r"(\d{4})\s*年")


def quarter_in_text(text) -> str | None:
    """The one quarter a title or file name names: '2025年第四季度考评结果' → '2025-Q4',
    '考评_2025Q3.xlsx' → '2025-Q3'; None when none or several are named."""
    from data.importers.values import nfkc

    s = nfkc(str(text or ""))
    found = {f"{int(m.group(1)):04d}-Q{_CN[m.group(2) or m.group(3) or m.group(4)]}" for m in _Q_IN_TEXT.finditer(s)}
    if len(found) != 1 or len(re.findall(r"第\s*[一二三四1-4]\s*季度|[Qq]\s*[1-4]", s)) > 1:
        return None
    q = found.pop()
    return q if 2000 <= int(q[:4]) <= datetime.now().year + 1 else None


def _percent(value, *, what: str) -> Decimal:
    if isinstance(value, bool):
        raise V.Bad(f"不是{what}")
    s = V.nfkc(str(value)).replace(",", "").replace(" ", "").rstrip("%％分").strip()
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise V.Bad(f"不是数字（{what}应为 0–100）") from None
    if not d.is_finite() or not 0 <= d <= 100:
        raise V.Bad(f"{what}应在 0 到 100 之间")
    return d.quantize(Decimal("0.01"))


def _register_fields() -> None:
    """Teach the shared readers this import's headers (header-row search and column mapping)."""
    if LEVEL in C.FIELDS:
        return
    def f(key, label, *aliases, parse):
        return C.Field(key, label, (label, *aliases), parse)

    C.LEVEL_LABELS[LEVEL] = "季度考评"
    C.FIELDS[LEVEL] = (
        f("name", "小区名称", "项目名称", "物业项目名称", "物业项目", "小区", "项目", "名称", "住宅小区名称",
          "物业服务项目", "物业服务项目名称", "被考评项目", "考评项目", "考核项目", "name",
          parse=partial(V.text, max_len=100)),
        f("code", "小区编码", "小区代码", "项目编码", "编码", "代码", "code", parse=partial(V.code, max_len=30)),
        f("township", "所属镇街", "镇街", "乡镇", "街道", "乡镇街道", "所属乡镇", "所属街道", "所属镇",
          "所属乡镇街道", "街道办事处", "township", parse=partial(V.text, max_len=50)),
        f("quarter", "季度", "考评季度", "考核季度", "评价季度", "考评期", "考核期间", "考评周期", "考核周期",
          "考评时间", "考核时间", "quarter", parse=parse_quarter_cell),
        f("score", "考评分数", "考核得分", "考评得分", "综合得分", "得分", "分数", "评分", "考核分数", "总分",
          "综合评分", "评价得分", "考评成绩", "考核成绩", "成绩", "最终得分", "季度考评得分", "合计得分", "score",
          parse=partial(_percent, what="考评分数")),
        f("satisfaction", "业主满意度", "满意度", "满意率", "业主满意率", "群众满意度", "满意度测评",
          "满意度得分", "业主满意度测评", "满意度评价", "satisfaction", parse=partial(_percent, what="满意度")),
        f("evaluator", "考评单位", "考核单位", "评价单位", "考评人", "评价人", "考评组", "考核组", "evaluator",
          parse=partial(V.text, max_len=50)),
    )


_register_fields()


def import_evaluations(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                       filename: str | None = None, scope: Scope = COUNTY,
                       actor=None) -> ImportReport:
    """Import quarterly evaluation results from .xlsx/.csv; validate everything, write all or nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str, Path, bytes or file object
    encoding, dry_run, filename
        As for :func:`data.importers.import_compounds`.
    scope
        The importer's jurisdiction: rows for compounds outside it are errors.
    actor
        Who imports (recorded with the history of changed scores): the signed-in
        Account, which needs ``edit_evaluations`` (PermissionError otherwise), or a name.
    """
    who = permissions.authorize(actor, permissions.EDIT_EVALUATIONS, scope)
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor, scope=scope)
    actor = who.username
    if not job.read(required=("score",)):
        return job.report
    title_quarter = None
    if "quarter" not in job.cmap.columns:
        # 2025年第四季度考评结果: the quarter in the title row above the header, else in the file name
        for where, text in [("标题行", t) for t in job.table.titles] + [("文件名", job.report.source)]:
            title_quarter = quarter_in_text(text)
            if title_quarter:
                job.report.column_guesses.append(f"季度 → {title_quarter}（取自{where}“{text}”）")
                break
        if title_quarter is None:
            f = next(f for f in C.FIELDS[LEVEL] if f.key == "quarter")
            job.report.error(None, "季度", None, "缺少必需的列，标题行和文件名中也没有季度（可用列名："
                             + "、".join(f.aliases[:5]) + "；或在标题中写明，如“2025年第四季度考评结果”）")
            return job.report
    if "name" not in job.cmap.columns and "code" not in job.cmap.columns:
        job.report.error(None, "小区名称", None, "缺少必需的列：小区名称或小区编码（可用列名：小区名称、项目名称、小区编码）")
        return job.report
    with Session(engine, autoflush=False) as session:
        rows = job.rows()
        if title_quarter:
            for row in rows:
                row.values.setdefault("quarter", title_quarter)
        _import(job, session, rows, scope, actor)
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row], scope: Scope, actor: str | None) -> None:
    by_code, by_name, towns = compound_index(session, scope)
    seen: dict[tuple[int, str], int] = {}
    plans = []
    for row in rows:
        if row.bad:
            continue
        for key in ("quarter", "score"):
            if key not in row.values:
                job.error(row, key, "为空", value=None)
        comp = match_compound(job, row, by_code, by_name, towns)
        if comp is None or row.bad:
            continue
        if outside_scope(job, session, row, comp, scope):
            continue
        key = (comp.id, row.values["quarter"])
        if key in seen:
            job.error(row, "quarter", f"与第 {seen[key]} 行重复（同一小区同一季度只能有一条考评结果）")
            continue
        seen[key] = row.number
        plans.append((row, comp))
    if job.report.errors:
        return
    existing = {(e.compound_id, e.quarter): e for e in session.scalars(
        select(Evaluation).where(Evaluation.compound_id.in_([c.id for _, c in plans])))}
    now = datetime.now().replace(microsecond=0)
    for row, comp in plans:
        values = {k: row.values[k] for k in ("score", "satisfaction", "evaluator") if k in row.values}
        obj = existing.get((comp.id, row.values["quarter"]))
        if obj is None:
            session.add(Evaluation(compound_id=comp.id, quarter=row.values["quarter"], **values))
            job.report.created += 1
            continue
        old = {k: getattr(obj, k) for k in values}
        changed = {k: v for k, v in values.items() if not _same(old[k], v)}
        if not changed:
            job.report.unchanged += 1
            continue
        for k, v in changed.items():
            setattr(obj, k, v)
        job.report.updated += 1
        session.add(AuditLog(at=now, username=(actor or "导入")[:50], action="import",
                             target=f"季度考评 {comp.name} {obj.quarter}"[:200], scope=scope.key(),
                             detail={"compound_id": comp.id, "quarter": obj.quarter, "row": row.number,
                                     "old": {k: _plain(old[k]) for k in changed},
                                     "new": {k: _plain(v) for k, v in changed.items()}}))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (Decimal, int, float)):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _plain(v):
    return None if v is None else (str(v) if isinstance(v, Decimal) else v)
