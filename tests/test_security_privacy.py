"""Issue 13 §8: phone numbers inside complaint text are masked like the phone column.

The attack: a community user read complainants' numbers in full in the text of
complaints (只有 the phone column was masked). The query layer now masks every
phone in complaint content and address before anything reaches a page, cache,
map or export.
"""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import auth, db, queries
from data.privacy import mask_phones_in_text
from data.queries import complaint_stats as cs
from data.schema import Complaint, Compound
from data.scope import Period
from tests import apptest

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


@pytest.mark.parametrize("text, masked", [
    ("请回电13812345678谢谢", "请回电138****5678谢谢"),
    ("手机 138-1234-5678", "手机 138****5678"),
    ("手机 138 1234 5678", "手机 138****5678"),
    ("座机0537-1234567", "座机053****4567"),
    ("座机05371234567", "座机053****4567"),
    ("座机 010-12345678", "座机 010****5678"),
    ("工单号 202612051381234567890", "工单号 202612051381234567890"),  # a longer digit run is no phone
    ("2026-12-05 发生", "2026-12-05 发生"),
    ("12812345678 不是手机号", "12812345678 不是手机号"),
    (None, None),
])
def test_phones_inside_text_are_masked(text, masked):
    assert mask_phones_in_text(text) == masked


TEXT = "楼上漏水，请联系13912345678或0537-7654321，地址见备注"


@pytest.fixture(scope="module")
def phone_url(page_demo):
    url = page_demo("phones_in_text")
    engine = db.make_engine(url)
    community = auth.get_account(engine, "jinxiang_sq1").scope.community_id
    with Session(engine) as s, s.begin():
        newest = s.scalars(select(Complaint.id).join(Compound, Compound.id == Complaint.compound_id)
                           .where(Compound.community_id == community)
                           .order_by(Complaint.received_at.desc()).limit(3)).all()
        s.execute(update(Complaint).where(Complaint.id.in_(newest))
                  .values(content=TEXT, address="金乡县某小区 电话15098765432"))
    engine.dispose()
    return url


def test_query_layer_masks_phones_in_text(phone_url):
    engine = db.make_engine(phone_url)
    scope = auth.get_account(engine, "jinxiang_sq1").scope
    period = Period.months("2020-01", "2030-12")
    for frame in (cs.complaint_records(engine, scope, period), queries.complaints(engine, scope, period)):
        texts = " ".join(str(v) for v in frame["content"]) + " ".join(str(v) for v in frame["address"])
        assert "139****5678" in texts
        assert not PHONE.search(texts), PHONE.search(texts)


def test_community_page_and_downloads_show_no_phone_from_text(phone_url, monkeypatch, media):
    monkeypatch.setenv("DATABASE_URL", phone_url)
    at = apptest.open_page("pages/complaints.py", user="jinxiang_sq1", timeout=180)
    shown = "\n".join(f.value.to_csv() for f in at.dataframe)
    assert "139****5678" in shown
    for number in ("13912345678", "0537-7654321", "15098765432"):
        assert number not in shown
    for name, data in apptest.downloads(at, media).items():
        if name.startswith("下载 Excel"):
            wb = openpyxl.load_workbook(io.BytesIO(data))
            cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
        else:
            cells = data.decode("utf-8", "replace")
        for number in ("13912345678", "0537-7654321", "15098765432"):
            assert number not in cells, name
