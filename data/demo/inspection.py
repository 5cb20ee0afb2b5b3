"""Demo spot checks (双随机) made the real way, and photos and transfers for the demo cases.

``data.demo.oversight`` writes inspectors, placeholder draws and ~30 cases.
Here the placeholder draws are replaced by four quarterly draws made with
``data.queries.inspection.run_draw`` at their historical times — so each one
carries its seed, inputs and hash and passes the 验证 button — with
per-item results for the checklist. Cases get small generated photos (EXIF
GPS and time) at their 拍照 step, and their transfers (移交) get from/to units.
Everything derives from the seed; nothing reads the clock.
"""
from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from data.demo.util import month_start
from data.photos import store_photo
from data.queries import inspection as q
from data.schema import (
    CasePhoto, CaseStep, CheckItem, EnforcementCase, SpotCheckDraw, SpotCheckItemResult, SpotCheckResult,
)
from data.scope import COUNTY
from policy import cases as case_rules
from policy import inspection as rules

ACTOR = "县物业管理工作专班"
ITEM_NOTES = {"XF": "消防通道有车辆停放", "GS": "公示栏信息未更新", "BJ": "楼道堆放杂物，绿化缺株",
              "AF": "夜间门岗无人值守", "DT": "维保记录缺两个月", "SY": "公共收益未按季度公示",
              "TS": "投诉台账回访记录不全"}
PHOTO_CASES = 12


def build_inspection(engine: Engine, seed: int, end_month: str) -> dict:
    r = random.Random(seed * 7919 + 7)
    q.ensure_check_items(engine)
    with Session(engine) as s, s.begin():  # placeholders from oversight: remade below with real draws
        s.execute(delete(SpotCheckResult))
        s.execute(delete(SpotCheckDraw))
        if engine.dialect.name == "postgresql":  # SQLite reuses the ids; make PostgreSQL match
            for table in ("spot_check_result", "spot_check_draw"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)"))
        items = [(i.id, i.code, i.name) for i in s.scalars(select(CheckItem).order_by(CheckItem.sort_order))]
        n_compounds = len(q._scope_compounds(engine, COUNTY))
    end = datetime.combine(month_start(end_month, 1), datetime.min.time())
    n = max(12, min(60, round(0.03 * n_compounds)))
    n_draws, item_rows, result_count = 4, 0, 0
    for d in range(n_draws):
        month = month_start(end_month, -3 * (n_draws - 1 - d))
        drawn = datetime(month.year, month.month, 10, 9, 30)
        rec = q.run_draw(engine, COUNTY, n=n, actor=ACTOR, seed=r.randrange(1, 2**31 - 1), now=drawn)
        last = d == n_draws - 1
        with Session(engine) as s, s.begin():
            s.execute(update(SpotCheckDraw).where(SpotCheckDraw.id == rec.draw_id).values(published=not last))
            results = list(s.scalars(select(SpotCheckResult).where(SpotCheckResult.draw_id == rec.draw_id)
                                     .order_by(SpotCheckResult.id)))
            for k, res in enumerate(results):
                result_count += 1
                checked = drawn + timedelta(days=r.randint(3, 20))
                if checked >= end or (last and k % 2):
                    continue  # the newest draw is still being worked through
                outcome = {i: r.random() >= 0.14 for i, _, _ in items}
                for (iid, code, _), ok in zip(items, outcome.values()):
                    s.add(SpotCheckItemResult(result_id=res.id, item_id=iid, passed=ok,
                                              note=None if ok else ITEM_NOTES.get(code)))
                    item_rows += 1
                failed = [name for (iid, _, name) in items if not outcome[iid]]
                verdict = rules.overall_verdict(outcome.values())
                if len(failed) == 1 and r.random() < 0.5:
                    verdict = "基本合格"
                res.checked_at, res.verdict = checked.date(), verdict
                res.score = max(40, 100 - 9 * len(failed) - r.randint(0, 6))
                res.findings = "；".join(failed) if failed else "未发现明显问题"
                if failed:
                    due = checked.date() + timedelta(days=30)
                    res.rectification_due = due
                    done = checked.date() + timedelta(days=r.randint(7, 45))
                    if r.random() < 0.8 and done < end.date():
                        res.rectified_at = done
                        res.follow_up = "复查：已整改到位" if done <= due else "复查：逾期后整改到位"
    photos = _case_photos(engine, r)
    _transfer_units(engine)
    return {"检查事项": len(items), "抽查批次": n_draws, "抽查结果": result_count, "事项结果": item_rows,
            "案件照片": photos}


def demo_photo(r: random.Random, lon: float | None, lat: float | None, taken: datetime, label: int) -> bytes:
    """A small JPEG (a 'site photo' sketch) with EXIF GPS and time, deterministic for ``r``."""
    img = Image.new("RGB", (320, 240), (r.randint(150, 210), r.randint(150, 200), r.randint(130, 180)))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40 + r.randint(0, 40), 60, 220 + r.randint(0, 60), 200), fill=(120, 120, 130),
                   outline=(60, 60, 60), width=3)
    draw.polygon([(30, 70), (160, 20 + r.randint(0, 20)), (290, 70)], fill=(90, 110, 140))
    draw.text((10, 220), f"JX-{label:03d} {taken:%Y-%m-%d %H:%M}", fill=(255, 255, 255))
    exif = Image.Exif()
    exif[306] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if lon is not None and lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "N", "E"
        gps[2] = _dms(lat)
        gps[4] = _dms(lon)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 3)
    return (float(d), float(m), s)


def _case_photos(engine: Engine, r: random.Random) -> int:
    with Session(engine) as s:
        shots = s.execute(select(CaseStep.id, CaseStep.case_id, CaseStep.at, EnforcementCase.lon,
                                 EnforcementCase.lat)
                          .join(EnforcementCase, EnforcementCase.id == CaseStep.case_id)
                          .where(CaseStep.step == "拍照").order_by(CaseStep.case_id)).all()
    rows = []
    for step_id, case_id, at, lon, lat in shots[:PHOTO_CASES]:
        for k in range(r.randint(1, 2)):
            photo = store_photo(demo_photo(r, lon, lat, at + timedelta(minutes=3 * k), case_id))
            rows.append(CasePhoto(case_id=case_id, step_id=step_id, filename=f"现场照片{k + 1}.jpg",
                                  content_type=photo.content_type, content=None, sha256=photo.sha256,
                                  size_bytes=photo.size_bytes, lon=photo.lon, lat=photo.lat,
                                  taken_at=photo.taken_at))
    with Session(engine) as s, s.begin():
        s.add_all(rows)
    return len(rows)


def _transfer_units(engine: Engine) -> None:
    """Oversight's transfers name the unit in the note only: record from/to units."""
    with Session(engine) as s, s.begin():
        for step, case in s.execute(select(CaseStep, EnforcementCase)
                                    .join(EnforcementCase, EnforcementCase.id == CaseStep.case_id)
                                    .where(CaseStep.step == case_rules.TRANSFER)):
            step.from_unit = (step.actor or "")[:50] or None
            step.to_unit = case.department
