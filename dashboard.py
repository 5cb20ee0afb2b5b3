"""Entry point: ``streamlit run dashboard.py``.

Prepares the offline map assets and the database (building the demo county
on first run), then shows the pages the signed-in user's role may open through
``st.navigation`` with the shared sidebar (scope, period, language). With login
required and nobody signed in, only the login page exists.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from data import db
from layers import offline
from ui import cache_version
from ui import state as state
from ui.nav import LOGIN, PAGES, available, landing
from ui.text import localise_widgets, t


def _favicon():
    """Drawn here: a Material icon name as page_icon makes the browser fetch it from a CDN."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((2, 2, 62, 62), radius=12, fill=(198, 40, 40))
    d.polygon([(14, 46), (24, 18), (34, 38), (42, 26), (52, 46)], fill="white")
    return img


st.set_page_config(page_title="物业监管地图", page_icon=_favicon(), layout="wide")


@st.cache_resource(show_spinner=False)
def _prepare(url: str) -> None:
    if not offline.is_ready():
        offline.ensure_static()
    from data import build

    if build.state_of(url) != build.COMPLETE:  # empty, or a build killed half-way: (re)built all-or-nothing
        bar = st.progress(0.0, text=t("db_building"))
        build.build_demo_safely(url, progress=lambda done, total, msg="": bar.progress(
            min(1.0, done / total if total else 1.0), text=f"{t('db_building')} {msg}"))
        bar.empty()
    db.migrate(db.shared_engine(url))


_prepare(db.default_url())
cache_version.sync(db.default_url())  # another process imported? then drop this one's cached figures
offline.configure_folium()

account = state.current_user()
if account is None and state.login_required():
    wanted = state.remember_destination({Path(p.path).stem for p in PAGES})
    login = [st.Page(LOGIN.path, title=t(LOGIN.title_key), icon=LOGIN.icon, default=True)]
    if wanted:  # a shared link: sign in at its own URL (no "page not found"), then go on to it
        login.append(st.Page(LOGIN.path, title=t(LOGIN.title_key), url_path=wanted, visibility="hidden"))
    st.navigation(login, position="hidden").run()
    state.sync_session_cookie()  # after a sign-out: clear the browser's login-session cookie
    st.stop()
pages = available(account.role if account else None)
if not pages:  # a role without pages (deny by default) still gets the sign-in page
    pages = [LOGIN]
default = landing(account.role if account else None, pages)
entries = [st.Page(p.path, title=t(p.title_key), icon=p.icon, default=p is default) for p in pages]
nav = st.navigation(entries)
destination = state.take_destination()
if destination:  # a shared link opened before sign-in: go where it pointed, if this role may
    name, params = destination
    target = next((e for e in entries if name and e.url_path == name), None)
    if target is not None and target is not nav:
        st.switch_page(target, query_params=params)
state.sidebar()
localise_widgets()
nav.run()
# After a sign-in: the login-session cookie, so a reload stays signed in. Last, so its
# (empty) element adds no gap above the page; a run that stops early leaves it for the next.
state.sync_session_cookie()
