"""Fee history import (物业收费标准及调整记录): one row per compound and date.

Columns: 小区名称 (or 小区编码; 所属镇街 tells apart compounds of one name),
收费标准 (元/㎡·月, required), 等级 (一级–四级), 执行日期 / 变更日期 (required),
调整类型 (首次核定 / 上调 / 下调 / 降费), 备注.

Each row is one ``fee_record`` (upserted by compound and date), imported in
date order whatever the file's order — so a past adjustment is history, never
refused as "earlier than the last change". The compound's current fee (the
register's 收费标准 and 等级) becomes the latest record on or before today;
a future date is kept as scheduled and reported. 上调 also records the fee
status 已通过 and 下调 / 降费 the status 已降费 at that date (fee history of
:mod:`data.queries.fees`), so the status history reads as it happened.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions, vocab
from data.importers import columns as C
from data.importers import values as V
from data.importers.pipeline import Job, Row
from data.importers.places import apply_values, compound_index, match_compound, outside_scope
from data.importers.report import ImportReport
from data.schema import Compound, FeeAdjustment, FeeRecord
from data.scope import COUNTY, Scope

__all__ = ["import_fees", "parse_date", "CHANGE_KINDS", "LEVEL"]

LEVEL = "fees"
CHANGE_KINDS = ("首次核定", "上调", "下调", "降费")
STATUS_OF_KIND = {"上调": "已通过", "下调": "已降费", "降费": "已降费"}
_KIND_ALIASES = {"核定": "首次核定", "首次": "首次核定", "新定": "首次核定", "备案": "首次核定", "初始": "首次核定",
                 "调增": "上调", "提价": "上调", "涨价": "上调", "上浮": "上调", "调高": "上调",
                 "调减": "下调", "降价": "下调", "下浮": "下调", "调低": "下调", "降费管理": "降费"}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")


def parse_date(value) -> date:
    """``2024-03-01`` / ``2024/3/1`` / ``2024年3月1日`` / ``2024.3`` (→ the 1st) / ``20240301`` / an Excel date."""
    if isinstance(value, datetime):
        out = value.date()
    elif isinstance(value, date):
        out = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        n = int(value)
        if 19000101 <= n <= 21001231:
            s = str(n)
            out = _make(s[:4], s[4:6], s[6:])
        elif 20000 < n < 80000:  # an Excel serial day number
            out = date(1899, 12, 30) + timedelta(days=n)
        else:
            raise V.Bad("不是日期（如 2024-03-01）")
    else:
        s = V.text(value).replace(" ", "")
        if re.fullmatch(r"\d{8}", s):
            out = _make(s[:4], s[4:6], s[6:])
        else:
            m = _DATE.match(s)
            if not m:
                raise V.Bad("不是日期（如 2024-03-01、2024年3月1日）")
            out = _make(m.group(1), m.group(2), m.group(3) or "1")
    if not 1990 <= out.year <= date.today().year + 2:
        raise V.Bad("年份不在有效范围内")
    return out


def _make(y, m, d) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise V.Bad("不是有效的日期") from None


_kind = partial(V.choice, allowed=CHANGE_KINDS, aliases=_KIND_ALIASES, what="调整类型")


def _price(value) -> Decimal:
    out = V.decimal(value, digits=6)
    if out <= 0:
        raise V.Bad("收费标准应大于 0（元/㎡·月）")
    return out


def _register_fields() -> None:
    if LEVEL in C.FIELDS:
        return
    f = C.Field
    C.LEVEL_LABELS[LEVEL] = "物业收费记录"
    C.FIELDS[LEVEL] = (
        f("name", "小区名称", ("小区名称", "小区", "项目名称", "物业项目名称", "物业项目", "名称"),
          partial(V.text, max_len=100)),
        f("code", "小区编码", ("小区编码", "小区代码", "项目编码", "编码"), partial(V.code, max_len=30)),
        f("township", "所属镇街", ("所属镇街", "镇街", "乡镇", "街道", "所属乡镇"), partial(V.text, max_len=50)),
        f("fee_price", "收费标准", ("收费标准", "物业费标准", "物业费单价", "收费单价", "单价", "物业费", "服务费标准"),
          _price),
        f("fee_level", "等级", ("等级", "收费等级", "服务等级", "物业服务等级", "收费级别"),
          partial(V.fee_level, labels=vocab.FEE_LEVELS)),
        f("date", "执行日期", ("执行日期", "变更日期", "调整日期", "生效日期", "执行时间", "批准日期", "日期"),
          parse_date),
        f("kind", "调整类型", ("调整类型", "变更类型", "调整方式", "类型"), _kind),
        f("note", "备注", ("备注", "说明", "批准文号", "文号"), partial(V.text, max_len=200)),
    )


_register_fields()


def import_fees(engine, path, *, encoding: str | None = None, dry_run: bool = False,
                filename: str | None = None, scope: Scope = COUNTY, actor=None,
                today: date | None = None) -> ImportReport:
    """Import fee records and past adjustments; validate everything, write all or nothing.

    ``actor`` needs ``edit_fees`` or ``import``; rows for compounds outside ``scope`` are errors.
    """
    who = permissions.authorize(actor, (permissions.EDIT_FEES, permissions.IMPORT), scope)
    job = Job(path, LEVEL, encoding=encoding, filename=filename, dry_run=dry_run, actor=actor, scope=scope)
    if not job.read(required=("fee_price", "date")):
        return job.report
    if "name" not in job.cmap.columns and "code" not in job.cmap.columns:
        job.report.error(None, "小区名称", None, "缺少必需的列：小区名称或小区编码")
        return job.report
    with Session(engine, autoflush=False) as session:
        _import(job, session, job.rows(), scope, who.name or "导入", today or date.today())
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row], scope: Scope, actor: str, today: date) -> None:
    by_code, by_name, towns = compound_index(session, scope)
    seen: dict[tuple[int, date], int] = {}
    plans = []
    for row in rows:
        for key in ("fee_price", "date"):
            if key not in row.values and row.raw.get(key) is None:
                job.error(row, key, "为空", value=None)
        comp = match_compound(job, row, by_code, by_name, towns)
        if comp is None or row.bad:
            continue
        if outside_scope(job, session, row, comp, scope):
            continue
        key = (comp.id, row.values["date"])
        if key in seen:
            job.error(row, "date", f"与第 {seen[key]} 行重复（同一小区同一日期只能有一条收费记录）")
            continue
        seen[key] = row.number
        plans.append((row, comp))
    if job.report.errors:
        return
    ids = sorted({c.id for _, c in plans})
    records = {(r.compound_id, r.effective_date): r for r in session.scalars(
        select(FeeRecord).where(FeeRecord.compound_id.in_(ids)))}
    adjustments = {(a.compound_id, a.changed_at, a.status) for a in session.scalars(
        select(FeeAdjustment).where(FeeAdjustment.compound_id.in_(ids)))}
    plans.sort(key=lambda p: (p[0].values["date"], p[0].number))  # date order, whatever the file's order
    if [p[0].number for p in plans] != sorted(p[0].number for p in plans):
        job.report.note("文件中的记录不按日期排列，已按执行日期先后导入")
    future = 0
    for row, comp in plans:
        v = row.values
        values = {"fee_price": v["fee_price"], "fee_level": v.get("fee_level"), "note": v.get("note"),
                  "change_kind": v.get("kind")}
        values = {k: x for k, x in values.items() if x is not None}
        obj = records.get((comp.id, v["date"]))
        if obj is None:
            obj = FeeRecord(compound_id=comp.id, effective_date=v["date"], **values)
            session.add(obj)
            records[(comp.id, v["date"])] = obj
            job.report.created += 1
        elif apply_values(obj, values):
            job.report.updated += 1
        else:
            job.report.unchanged += 1
        if v["date"] > today:
            future += 1
        status = STATUS_OF_KIND.get(v.get("kind"))
        when = datetime(v["date"].year, v["date"].month, v["date"].day)
        if status and v["date"] <= today and (comp.id, when, status) not in adjustments:
            adjustments.add((comp.id, when, status))
            session.add(FeeAdjustment(compound_id=comp.id, status=status, changed_at=when, actor=actor[:50],
                                      reason=f"导入历史收费记录：{v['kind']}至 {v['fee_price']} 元/㎡·月"
                                             f"（{job.report.source} 第 {row.number} 行）"[:300]))
            job.report.count("调价状态记录")
    if future:
        job.report.note(f"{future} 条记录的执行日期晚于今天：已保存，到期前不改变小区当前收费标准")
    # the register's current fee = the latest record on or before today
    latest: dict[int, FeeRecord] = {}
    for (cid, day), rec in records.items():
        if day <= today and (cid not in latest or day > latest[cid].effective_date):
            latest[cid] = rec
    compounds = {c.id: c for c in session.scalars(select(Compound).where(Compound.id.in_(ids)))}
    changed = 0
    for cid, rec in latest.items():
        values = {"fee_price": rec.fee_price}
        if rec.fee_level is not None:
            values["fee_level"] = rec.fee_level
        if apply_values(compounds[cid], values):
            changed += 1
    if changed:
        job.report.count("小区当前收费标准更新", changed)
