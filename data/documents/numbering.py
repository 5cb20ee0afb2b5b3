"""发文字号: serial numbers per issuing office, kind and year, kept per numbered subject.

``number_for(engine, kind="briefing", office=…, subject="briefing:2026-10:county",
pattern="金物专办〔{year}〕{n}号", year=2026, actor=…)`` gives ``金物专办〔2026〕3号``: the
number this subject already has, else the next free one for that office, kind and year
(stored in the same transaction, so two exports at once cannot take the same number).
Without an actor (nobody signed in, read-only mode) no number is taken: None, and the
document shows blank brackets to fill in by hand.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.schema import DocumentNumber


def township_short(name: str) -> str:
    """金乡街道 → 金乡街办, 胡集镇 → 胡集政 (the prefix township documents use)."""
    name = name or ""
    if name.endswith("街道"):
        return name[:-2][:2] + "街办"
    if name.endswith(("镇", "乡")):
        return name[:-1][:2] + "政"
    return name[:2]


def existing(engine: Engine, kind: str, subject: str) -> str | None:
    with Session(engine) as s:
        return s.scalar(select(DocumentNumber.text).where(DocumentNumber.kind == kind,
                                                          DocumentNumber.subject == subject))


def number_for(engine: Engine, *, kind: str, office: str, subject: str, pattern: str, year: int,
               actor: str | None, at: datetime | None = None, **fields) -> str | None:
    """The subject's 发文字号, given now if it has none and an ``actor`` asks; else None."""
    found = existing(engine, kind, subject)
    if found is not None or not actor:
        return found
    for _ in range(5):  # another export may take the same serial at the same moment: try the next
        try:
            with Session(engine) as s, s.begin():
                last = s.scalar(select(func.max(DocumentNumber.serial)).where(
                    DocumentNumber.office == office, DocumentNumber.kind == kind, DocumentNumber.year == year))
                serial = int(last or 0) + 1
                text = pattern.format(year=year, n=serial, **fields)
                s.add(DocumentNumber(office=office[:100], kind=kind, year=year, serial=serial,
                                     subject=subject[:100], text=text[:100],
                                     issued_at=(at or datetime.now()).replace(microsecond=0),
                                     issued_by=str(actor)[:100]))
            return text
        except IntegrityError:
            found = existing(engine, kind, subject)
            if found is not None:
                return found
    raise RuntimeError("发文字号分配冲突，请重试")
