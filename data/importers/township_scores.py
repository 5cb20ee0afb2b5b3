"""Township and department quarterly assessment scores (镇街和部门季度考核成绩, 001 §3(6)).

Columns (Chinese or English headers, found like every import): 单位名称 (a
township's name, or a department's), 单位类型 (镇街 / 部门; when missing, a name
that is a township is 镇街 and anything else 部门), 季度 (``2026-Q1``,
``2026年第一季度``), 考核成绩 (0–100). Validated first, all or nothing; an
existing (unit, quarter) score is updated and its old value kept in the audit log.
The quarterly last place is then read from these scores
(``policy.ladders.township_quarter_ladder``), not from complaints.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions
from data.importers import columns as C
from data.importers import values as V
from data.importers.evaluations import _percent, _plain, _same, parse_quarter_cell
from data.importers.pipeline import Job
from data.importers.report import ImportReport
from data.importers.places import township_names
from data.schema import AssessmentScore, AuditLog
from data.scope import COUNTY, Scope

__all__ = ["import_township_scores", "LEVEL", "KINDS"]

LEVEL = "township_scores"
KINDS = ("镇街", "部门")


def _kind(value) -> str:
    s = V.text(value).strip()
    if s in ("镇街", "镇", "街道", "乡镇", "乡镇（街道）", "township"):
        return "镇街"
    if s in ("部门", "县直部门", "department"):
        return "部门"
    raise V.Bad("单位类型应为“镇街”或“部门”")


def _register_fields() -> None:
    if LEVEL in C.FIELDS:
        return

    def f(key, label, *aliases, parse):
        return C.Field(key, label, (label, *aliases), parse)

    C.LEVEL_LABELS[LEVEL] = "镇街和部门考核成绩"
    C.FIELDS[LEVEL] = (
        f("unit", "单位名称", "镇街", "乡镇（街道）", "乡镇街道", "部门", "单位", "名称", "unit",
          parse=partial(V.text, max_len=50)),
        f("kind", "单位类型", "类型", "kind", parse=_kind),
        f("quarter", "季度", "考核季度", "quarter", parse=parse_quarter_cell),
        f("score", "考核成绩", "考核得分", "成绩", "得分", "分数", "score", parse=partial(_percent, what="考核成绩")),
        f("note", "备注", "note", parse=partial(V.text, max_len=200)),
    )


_register_fields()


def import_township_scores(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                           filename: str | None = None, actor=None) -> ImportReport:
    """Import quarterly assessment scores; the actor needs ``edit_evaluations`` (county-wide)."""
    who = permissions.authorize(actor, permissions.EDIT_EVALUATIONS, COUNTY)
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor, scope=COUNTY)
    if not job.read(required=("unit", "quarter", "score")):
        return job.report
    with Session(engine, autoflush=False) as session:
        names = township_names(session)  # names are unique per county: a namesake of two counties is an error
        seen, plans = {}, []
        for row in job.rows():
            if row.bad:
                continue
            for key in ("unit", "quarter", "score"):
                if key not in row.values:
                    job.error(row, key, "为空", value=None)
            if row.bad:
                continue
            unit = row.values["unit"].strip()
            kind = row.values.get("kind") or ("镇街" if names.find(unit) else "部门")
            town = None
            if kind == "镇街":
                found, why = names.resolve(unit)
                if found is None:
                    job.error(row, "unit", "数据库中没有该镇街，请核对名称" if why.startswith("不存在") else why,
                              value=unit)
                    continue
                town, unit = found.id, names.label(found)  # 金乡县城关街道 where two counties have one
            key = (kind, unit, row.values["quarter"])
            if key in seen:
                job.error(row, "quarter", f"与第 {seen[key]} 行重复（同一单位同一季度只能有一个成绩）")
                continue
            seen[key] = row.number
            plans.append((row, kind, unit, town))
        if not job.report.errors:
            _write(job, session, plans, who.username)
        return job.finish(session)


def _write(job: Job, session: Session, plans, actor: str | None) -> None:
    existing = {(s.unit_kind, s.unit_name, s.quarter): s for s in session.scalars(select(AssessmentScore))}
    now = datetime.now().replace(microsecond=0)
    for row, kind, unit, town in plans:
        quarter, score = row.values["quarter"], row.values["score"]
        obj = existing.get((kind, unit, quarter))
        if obj is None:
            session.add(AssessmentScore(unit_kind=kind, unit_name=unit, quarter=quarter, score=score,
                                        township_id=town,
                                        note=row.values.get("note"), recorded_by=actor, recorded_at=now))
            job.report.created += 1
            continue
        if _same(obj.score, score):
            job.report.unchanged += 1
            continue
        old = obj.score
        obj.score, obj.recorded_by, obj.recorded_at = score, actor, now
        job.report.updated += 1
        session.add(AuditLog(at=now, username=(actor or "导入")[:50], action="import",
                             target=f"考核成绩 {unit} {quarter}"[:200], scope=COUNTY.key(),
                             detail={"unit_kind": kind, "unit": unit, "quarter": quarter, "row": row.number,
                                     "old": _plain(old), "new": _plain(score)}))
