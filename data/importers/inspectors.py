"""Inspector register import (执法检查人员名录): one row per inspector, keyed by 执法证号.

Columns: 姓名, 单位, 执法证号 (required; the natural key: an existing inspector
with that number is updated), 所属镇街 (blank or 县直: a county-level unit,
recused from no township), 回避企业 (companies the inspector must never
inspect, separated by 、，,；; / or new lines — each resolved like every
company name, see :mod:`data.importers.companies`; a name not in the company
register is an error, because a recusal that silently matches nothing would
let the draw send the inspector to that company), 联系电话 (personal data:
masked wherever shown), 状态 (在岗 / 停用).

All rows are validated first; nothing is written when any row is wrong.
"""
from __future__ import annotations

import re
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions
from data.importers import columns as C
from data.importers import values as V
from data.importers.companies import CompanyResolver
from data.importers.pipeline import Job, Row
from data.importers.places import Registry, apply_values
from data.importers.report import ImportReport
from data.schema import Inspector
from policy.companies import split_names

__all__ = ["import_inspectors", "LEVEL", "COUNTY_LEVEL_WORDS"]

LEVEL = "inspectors"
COUNTY_LEVEL_WORDS = ("县直", "县级", "县直单位", "无", "/", "-", "—")
STATES = ("在岗", "停用")


def _state(value) -> bool:
    s = V.text(value).replace(" ", "")
    if s in ("在岗", "正常", "有效", "启用", "是"):
        return True
    if s in ("停用", "离岗", "调离", "注销", "无效", "否"):
        return False
    raise V.Bad("不是允许的状态（可选：在岗、停用）")


_state.allowed = STATES  # the template's drop-down


def _names_cell(value) -> str:
    """A cell listing companies; line breaks (Alt+Enter in Excel) kept as separators."""
    return V.text(re.sub(r"[\r\n]+", "、", str(value)), max_len=1000)


def _register_fields() -> None:
    if LEVEL in C.FIELDS:
        return
    f = C.Field
    C.LEVEL_LABELS[LEVEL] = "执法检查人员名录"
    C.FIELDS[LEVEL] = (
        f("name", "姓名", ("姓名", "检查人员", "检查人员姓名", "执法人员", "执法人员姓名", "人员姓名", "name"),
          partial(V.text, max_len=30)),
        f("unit", "单位", ("单位", "所在单位", "工作单位", "所属单位", "单位名称", "部门", "执法单位", "unit"),
          partial(V.text, max_len=50)),
        f("cert_no", "执法证号", ("执法证号", "执法证件号", "执法证件号码", "执法证编号", "执法证", "证件号",
                              "证号", "cert_no"), partial(V.code, max_len=30)),
        f("township", "所属镇街", ("所属镇街", "所属乡镇", "所属街道", "镇街", "乡镇", "街道", "township"),
          partial(V.text, max_len=50)),
        f("recusal", "回避企业", ("回避企业", "需回避企业", "回避单位", "关联企业", "利害关系企业", "回避物业企业"),
          _names_cell),
        f("phone", "联系电话", ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "phone"), V.phone),
        f("active", "状态", ("状态", "在岗状态", "人员状态"), _state),
    )


_register_fields()


def import_inspectors(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                      filename: str | None = None, actor=None) -> ImportReport:
    """Import the inspector register; validate everything, write all or nothing.

    ``actor`` needs ``import`` or ``edit_registers`` (PermissionError otherwise).
    """
    permissions.authorize(actor, (permissions.IMPORT, permissions.EDIT_REGISTERS))
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor)
    if not job.read(required=("name", "unit", "cert_no")):
        return job.report
    with Session(engine, autoflush=False) as session:
        _import(job, session, job.rows())
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row]) -> None:
    reg = Registry(session, job.place_scope)
    seen: dict[str, int] = {}
    good = []
    for row in rows:
        for key in ("name", "unit", "cert_no"):
            if key not in row.values and not (row.bad and row.raw.get(key) is not None):
                why = "为空（执法证号是检查人员的唯一标识）" if key == "cert_no" else "为空"
                job.error(row, key, why, value=None)
        cert = row.values.get("cert_no")
        if cert:
            if cert in seen:
                job.error(row, "cert_no", f"与第 {seen[cert]} 行重复")
            seen.setdefault(cert, row.number)
        town = row.values.get("township")
        row.values["_township"] = None
        if town and town.replace(" ", "") not in COUNTY_LEVEL_WORDS:
            found, why = reg.resolve_township(town)
            if found is None:
                job.error(row, "township", why + ("（县直单位可留空或填“县直”）" if why.startswith("不存在") else ""))
            else:
                row.values["_township"] = found.id
        if not row.bad:
            good.append(row)
    wanted: dict[str, list[Row]] = {}
    for row in good:
        for name in split_names(row.values.get("recusal")):
            wanted.setdefault(name, []).append(row)
    companies = CompanyResolver(job, session).resolve(
        wanted, key="recusal", create=False,
        missing_hint="：请先导入企业名录（python -m data import companies 文件）或小区名册，再导入检查人员")
    if companies is None or job.report.errors:
        return
    stored = {i.cert_no: i for i in session.scalars(select(Inspector).where(Inspector.cert_no.is_not(None)))}
    for row in good:
        v = row.values
        values = {k: v[k] for k in ("name", "unit", "phone", "active") if k in v}
        values["cert_no"] = v["cert_no"]
        if "township" in v:
            values["township_id"] = v["_township"]
        if "recusal" in v:
            values["linked_company_ids"] = sorted({companies[n].id for n in split_names(v["recusal"])})
        obj = stored.get(v["cert_no"])
        if obj is None:
            values.setdefault("linked_company_ids", [])
            values.setdefault("active", True)
            session.add(Inspector(**values))
            job.report.created += 1
        else:
            old_links = sorted(obj.linked_company_ids or [])
            links = values.pop("linked_company_ids", old_links)
            changed = apply_values(obj, values)
            if links != old_links:
                obj.linked_company_ids = links
                changed = True
            if changed:
                job.report.updated += 1
            else:
                job.report.unchanged += 1
    towns = sum(1 for r in good if r.values.get("_township") is None)
    if towns:
        job.report.note(f"{towns} 名检查人员未填所属镇街（或为县直单位）：抽查时不按镇街回避")
