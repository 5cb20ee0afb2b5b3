"""The setup checklist on every page of a county database that is not complete yet.

A database with no township (``python -m data init --no-demo``) says so on every
page and lists what to import next, ticked as it arrives (``data.queries.setup``);
pages that need places do not run until there are some, the 数据管理, 系统管理 and
审计日志 pages always do. Once townships exist, an incomplete county shows the same
list folded away at the top of every page; the demo shows none.
"""
from __future__ import annotations

import streamlit as st

from data import db
from data.queries import setup as S
from ui import state
from ui.text import t

# pages that work in a database with no places: importing, users, the audit log
ALWAYS_RUN = ("pages/data.py", "pages/admin.py", "pages/audit.py")
DATA_PAGE = "pages/data.py"


@st.cache_data(show_spinner=False, ttl=30)
def load_checklist(url: str) -> tuple[bool, list[S.SetupItem]]:
    engine = state._engine(url)
    return S.is_blank(engine), S.setup_checklist(engine)


@st.cache_data(show_spinner=False, ttl=30)
def load_county_name(url: str) -> str | None:
    return S.county_display_name(state._engine(url))


def county_name() -> str:
    """The county's name for titles (settings / imported outline), never a default of another county."""
    return load_county_name(db.default_url()) or t("county_unset")


def show_checklist(items: list[S.SetupItem]) -> None:
    """The list itself: tick, label, count or command; a link to the 数据管理 page when allowed."""
    lines = []
    for item in items:
        # Material icons ship with Streamlit (no CDN, no emoji font needed on a closed network)
        mark = ":green[:material/check_circle:]" if item.done else ":gray[:material/radio_button_unchecked:]"
        extra = f"（{t('setup_optional')}）" if item.optional and "可选" not in item.label else ""
        state_text = t("setup_done").format(n=item.count) if item.done else t("setup_missing")
        lines.append(f"- {mark} **{item.label}**{extra} — {state_text}"
                     + ("" if item.done else f"：`{item.command}`"))
    st.caption(t("setup_help"))
    st.markdown("\n".join(lines))
    account = state.current_user()
    if account is None or account.can_open(DATA_PAGE):
        st.page_link(DATA_PAGE, label=t("setup_link"), icon=":material/upload_file:")
    else:
        st.caption(t("setup_ask_admin"))


def guard(page_path: str) -> None:
    """Below a page's title: the checklist where it applies; stops a page that needs places
    in a database that has none (``st.stop``), so it never meets an empty register.

    Never raises: a database the checklist cannot read lets the page run as before.
    """
    try:
        blank, items = load_checklist(db.default_url())
    except Exception:  # noqa: BLE001 - the checklist must never take a page down
        return
    if blank:
        st.warning(t("setup_blank"), icon=":material/inventory_2:")
        with st.expander(t("setup_title"), expanded=True):
            show_checklist(items)
        if page_path not in ALWAYS_RUN:
            st.stop()
        return
    required = [i for i in items if not i.optional]
    done = sum(i.done for i in required)
    if done < len(required) and not state.is_demo():
        with st.expander(t("setup_progress").format(done=done, total=len(required)), icon=":material/checklist:"):
            show_checklist(items)


def missing(text_key: str) -> None:
    """A register this page needs is empty: say so, and where to import it (if the user may)."""
    st.info(t(text_key), icon=":material/inventory_2:")
    account = state.current_user()
    if account is None or account.can_open(DATA_PAGE):
        st.page_link(DATA_PAGE, label=t("setup_link"), icon=":material/upload_file:")
