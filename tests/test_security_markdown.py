"""Issue 13 §4: one way to render data text — no Markdown from data on any page.

The attack: a compound code ``![i](/beacon)`` or a company name with
``**…**[链接](http://…)`` rendered as an image request and a live link in the
record caption and on 考核评价; bare URLs in names became links. Every data
value now goes through ``ui.text.md_escape`` (or ``tf``) before Markdown.
This test puts the corpus into compound code, name and company name, opens
every page as the roles that see them, and looks at every element Streamlit
renders as Markdown: captions, messages, headings, metric labels, st.table
cells, widget and radio labels. The raw payload must never be there.
"""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import auth, db
from data.permissions import PAGE_ROLES
from data.schema import Compound, PropertyCompany
from tests import apptest, hostile
from ui.text import md_escape

CODE = "![i](/beacon)"
NAME = "**x**[链接](http://evil) http://evil.example ${1} :red[假冒]"
COMPANY = "<img src=x onerror=alert(1)>`$x^2$` **x**[链接](http://evil.example/c) www.evil.example"


@pytest.mark.parametrize("raw", hostile.ALL + hostile.FORMULAS)
def test_md_escape_leaves_no_live_markup(raw):
    out = md_escape(raw)
    assert not hostile.live_markup(out), out
    assert "\n" not in out
    assert out.replace("\\", "") == raw.replace("\\", "").replace("\n", " ")  # nothing lost


def test_md_escape_of_nothing_is_empty():
    assert md_escape(None) == ""


@pytest.fixture(scope="module")
def hostile_url(page_demo):
    url = page_demo("hostile_markdown")
    engine = db.make_engine(url)
    town = auth.get_account(engine, "jinxiang_sq1").scope
    with Session(engine) as s, s.begin():
        target = s.scalars(select(Compound).where(Compound.community_id == town.community_id,
                                                  Compound.company_id.is_not(None)).order_by(Compound.id)).first()
        s.execute(update(Compound).where(Compound.id == target.id).values(code=CODE, name=NAME))
        s.execute(update(PropertyCompany).where(PropertyCompany.id == target.company_id).values(name=COMPANY))
        cid, company = target.id, target.company_id
    engine.dispose()
    return url, cid, company


def _rendered_markdown(at) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                 "toast"):
        out += [str(e.value) for e in at.get(kind)]
    out += [str(m.label) for m in at.metric]
    for table in at.table:
        frame = table.value
        out += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
        out += [str(i) for i in frame.index]
    for kind in ("button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "text_input",
                 "number_input", "text_area", "date_input", "expander", "tab", "download_button"):
        for w in at.get(kind):
            out.append(str(getattr(w, "label", "") or ""))
            if kind == "radio":
                out += [str(o) for o in w.options]
    return out


def _pages(user: str) -> list[str]:
    role = {"leader": "leader", "housing": "housing", "admin": "admin", "jinxiang_jd": "township",
            "jinxiang_sq1": "community", "inspector1": "inspector"}[user]
    return [p for p, roles in PAGE_ROLES.items() if role in roles]


@pytest.mark.parametrize("user", ["leader", "jinxiang_sq1", "jinxiang_jd", "housing", "admin"])
def test_no_page_renders_markdown_from_data(hostile_url, monkeypatch, user):
    url, cid, company = hostile_url
    monkeypatch.setenv("DATABASE_URL", url)
    seen_escaped = False
    for page in _pages(user):
        at = apptest.open_page(page, user=user, timeout=240, query={"compound": str(cid)},
                               ev_company=company)
        texts = _rendered_markdown(at)
        for text in texts:
            assert not hostile.live_markup(text), (user, page, hostile.live_markup(text), text[:300])
        seen_escaped |= any(md_escape(CODE) in text or md_escape("http://evil.example") in text for text in texts)
    if user in ("leader", "jinxiang_sq1"):
        assert seen_escaped, "the payload reached a page (escaped), else the test proves nothing"
