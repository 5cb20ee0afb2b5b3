"""Shared page state: the signed-in user, the engine, the sidebar (scope, period, language).

Access (issue 8): the scope every page reads comes from the signed-in user
(:func:`user_scope`), never from the URL or a widget alone — the sidebar can
only narrow it. Until somebody signs in, ``dashboard.py`` shows the login page
only, when :func:`login_required` is on.

``st.session_state["user"]`` holds the :class:`data.auth.Account`; tests may
preset it with an Account or a username (looked up in the user table).
"""
from __future__ import annotations

import json
import os
from datetime import datetime

import streamlit as st

from data import audit, auth, db, queries
from data.scope import COUNTY, PERIOD_PRESETS, Period, Scope, preset_months
from ui import drill
from ui.cache import load_communities, load_counties, load_months, load_townships
from ui.text import LANGUAGES, md_escape, t

# Sign-in is required by default. DASHBOARD_LOGIN=off (environment) gives the
# single-user mode of a laptop demo: nobody signs in, read-only, whole county.
LOGIN_DEFAULT = "on"


def login_required() -> bool:
    return os.environ.get("DASHBOARD_LOGIN", LOGIN_DEFAULT).strip().lower() not in {"off", "0", "false", "no"}


@st.cache_resource
def _engine(url: str):
    return db.shared_engine(url)


@st.cache_resource
def _township_engine(url: str, township_id: int):
    """PostgreSQL: connections carry app.township_id, so row-level security is a second wall."""
    return db.make_engine(url, township_id=township_id)


@st.cache_resource
def _place_engine(url: str, county_adcode: str | None, city_adcode: str | None):
    """PostgreSQL: connections carry app.county_adcode or app.city_adcode (migration 0011b)."""
    return db.make_engine(url, county_adcode=county_adcode, city_adcode=city_adcode)


def engine_for(url: str, scope: Scope):
    """The engine of a user with ``scope``: on PostgreSQL fenced by row-level security at the
    narrowest level the scope names (township, else county, else city); the shared one otherwise."""
    if not url.startswith("postgresql"):
        return _engine(url)
    if scope.township_id is not None:
        return _township_engine(url, scope.township_id)
    if scope.county is not None:
        return _place_engine(url, scope.county, None)
    if scope.city is not None:
        return _place_engine(url, None, scope.city)
    return _engine(url)


def engine():
    """The engine for this user: on PostgreSQL a township, county or city user's connections
    are fenced by row-level security (an admin's and a one-county deployment's are not)."""
    url = db.default_url()
    account = current_user()
    return engine_for(url, account.scope if account is not None else COUNTY)


# --------------------------------------------------------------------------- who is signed in
def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return False


def oidc_available() -> bool:
    return _oidc_configured() and hasattr(st, "login")


def sign_in(account: auth.Account) -> None:
    """Remember ``account`` for this browser session (call st.rerun() afterwards)."""
    st.session_state["user"] = account
    for key in ("scope", "township_id", "community_id"):  # widgets of somebody else's scope
        st.session_state.pop(key, None)


def keep_signed_in(account: auth.Account) -> None:
    """After a local sign-in: open a login session, so reloading the tab keeps the user signed in.

    The token goes to the browser as a cookie (:func:`sync_session_cookie`); the
    database keeps only its hash. OpenID Connect sign-ins have Streamlit's own cookie.
    """
    opened = auth.open_session(_engine(db.default_url()), account)
    if opened:
        token, expires_at = opened
        st.session_state["session_token"] = token
        st.session_state["session_cookie"] = (token, int((expires_at - datetime.now()).total_seconds()))


def client_id() -> str:
    """Where a sign-in attempt comes from, for the per-client backoff (``auth.authenticate``).

    The IP address of the websocket connection; behind the reverse proxy of
    ``deploy/nginx`` (which connects from 127.0.0.1, so Streamlit reports no IP)
    the ``X-Real-IP`` header that proxy sets; else this browser session.
    """
    try:
        ip = st.context.ip_address
        forwarded = st.context.headers.get("X-Real-IP")
    except Exception:  # noqa: BLE001 - no browser connection (AppTest, bare mode)
        ip, forwarded = None, None
    if isinstance(ip, str) and ip:
        return f"ip:{ip}"
    forwarded = forwarded.strip() if isinstance(forwarded, str) else ""
    if forwarded:
        return f"ip:{forwarded[:64]}"
    return "session:" + st.session_state.setdefault("client_nonce", os.urandom(8).hex())


def _browser_session_token() -> str | None:
    try:
        token = st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (AppTest, bare mode)
        return None
    return token if isinstance(token, str) and token else None


def sync_session_cookie() -> None:
    """Write (or clear) the login-session cookie in the browser when sign-in or sign-out asked for it.

    Called by ``dashboard.py`` at the end of every run (after the page, so its empty
    element adds no gap; a run that stops early leaves it for the next). The cookie
    is written by a script in the page, since Streamlit sets no cookies itself.
    """
    from ui import session_cookie

    pending = st.session_state.pop("session_cookie", None)
    if pending is None:
        return
    token, max_age = pending if pending else ("", 0)
    # st.App (scripts/serve.py): the server sets it HttpOnly; single-machine default: written by the page
    script = session_cookie.SCRIPT if session_cookie.enabled() else _COOKIE_SCRIPT
    st.html(script.replace("NAME", auth.SESSION_COOKIE).replace("VALUE", json.dumps(token))
            .replace("MAX_AGE", str(int(max_age))), unsafe_allow_javascript=True)


# SameSite=Strict: never sent with another site's requests; Secure whenever served over HTTPS.
_COOKIE_SCRIPT = """<script>(() => {
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "NAME=" + encodeURIComponent(VALUE) + "; path=/; max-age=MAX_AGE; SameSite=Strict" + secure;
})();</script>"""


def sign_out() -> None:
    eng = _engine(db.default_url())
    account = current_user()
    if account is not None:
        audit.record(eng, account, "logout", "session", account.scope)
    auth.close_session(eng, st.session_state.get("session_token"))
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    st.session_state["session_cookie"] = ()  # clear the browser's cookie
    st.session_state["session_resumed"] = True  # this tab's old cookie is over: do not try it again
    if oidc_available() and getattr(st.user, "is_logged_in", False):
        st.logout()


def current_user() -> auth.Account | None:
    """The signed-in :class:`~data.auth.Account`, or None."""
    value = st.session_state.get("user")
    if isinstance(value, auth.Account):
        return value
    eng = _engine(db.default_url())
    if isinstance(value, str) and value:
        try:
            account = auth.get_account(eng, value)
        except auth.LoginError:
            st.session_state.pop("user", None)
            return None
        st.session_state["user"] = account
        return account
    if login_required() and "session_resumed" not in st.session_state:
        st.session_state["session_resumed"] = True  # once per browser tab
        token = _browser_session_token()
        if token:
            try:
                account = auth.resume_session(eng, token)
            except auth.LoginError:
                st.session_state["session_cookie"] = ()  # expired or ended: clear it
            else:
                sign_in(account)
                st.session_state["session_token"] = token
                return account
    if oidc_available() and getattr(st.user, "is_logged_in", False) and "login_error" not in st.session_state:
        try:
            if st.user.get("email_verified") is False:
                raise auth.LoginError("身份提供方未验证该邮箱")
            account = auth.account_for_email(eng, st.user.get("email"))
        except auth.LoginError as exc:
            st.session_state["login_error"] = str(exc)
            return None
        sign_in(account)
        return account
    return None


def remember_destination(names) -> str:
    """Before sign-in: keep the page and query string the visitor asked for (a shared link).

    ``names`` are the URL names of the app's pages (``"compounds"``, …); returns
    the one asked for, or ``""`` (home page, or anything else). Streamlit gives
    the page by name on a first load and by its hash (of the name) on a rerun.
    """
    if "after_login" not in st.session_state:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.util import calc_hash

        manager = getattr(get_script_run_ctx(), "pages_manager", None)
        name = getattr(manager, "intended_page_name", None) or ""
        wanted_hash = getattr(manager, "intended_page_script_hash", None)
        if not name and wanted_hash:
            name = next((n for n in names if calc_hash(n) == wanted_hash), "")
        st.session_state["after_login"] = (name if name in names else "", st.query_params.to_dict())
    return st.session_state["after_login"][0]


def take_destination() -> tuple[str, dict] | None:
    """After sign-in, once: ``(url page name, query params)`` remembered at the sign-in page."""
    return st.session_state.pop("after_login", None)


def user_scope() -> Scope:
    """The signed-in user's jurisdiction; the whole county only while login is switched off."""
    account = current_user()
    if account is not None:
        return account.scope
    if login_required():
        raise PermissionError("请先登录")
    return COUNTY


def role() -> str | None:
    account = current_user()
    return None if account is None else account.role


def can(capability: str) -> bool:
    """May the current user do ``capability``? (While login is off: read and export only.)"""
    account = current_user()
    if account is None:
        return not login_required() and capability in ("read", "export")
    return account.can(capability)


# --------------------------------------------------------------------------- sidebar
def sidebar() -> None:
    """Render the shared sidebar; store ``scope`` and ``period`` in session state."""
    url = db.default_url()
    with st.sidebar:
        account = current_user()
        if account is not None:
            st.caption(f"{t('acc_signed_in_as')}：{md_escape(account.display_name)}（{account.role_label}）")
            st.button(t("acc_sign_out"), key="sign_out", on_click=sign_out,
                      icon=":material/logout:")
        st.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang",
                 horizontal=True)
        st.subheader(t("sidebar_scope"))
        base = user_scope()
        drill.apply_pending(load_counties(url, base.args()))  # a place clicked on 总览's map
        if base.county is None and base.township_id is None:
            # a province or a city: the city, then the county, then its townships (issue 17)
            counties = load_counties(url, base.args())
            city_names = {a: name or a for a, name in zip(counties["city_adcode"], counties["city"]) if a}
            if base.city is None and len(city_names) > 1:
                options = [None, *sorted(city_names)]
                if st.session_state.get("city_adcode") not in options:
                    st.session_state.pop("city_adcode", None)
                city = st.selectbox(t("city_level"), options, key="city_adcode",
                                    format_func=lambda a: t("whole_deployment") if a is None else city_names[a])
                if city is not None:
                    base = base.narrow(city=city)
                    counties = counties[counties["city_adcode"] == city]
            if len(counties) > 1:
                county_names = dict(zip(counties["adcode"], counties["name"]))
                copts = [None, *county_names]
                if st.session_state.get("county_adcode") not in copts:
                    st.session_state.pop("county_adcode", None)
                whole = t("whole_city") if base.city is not None else t("whole_deployment")
                county = st.selectbox(t("county_level"), copts, key="county_adcode",
                                      format_func=lambda a: whole if a is None else county_names[a])
                base = base.narrow(county=county) if county is not None else base
        towns = load_townships(url, base.args())
        options = [None] if base.township_id is None else []
        options += list(towns["id"])
        names = dict(zip(towns["id"], towns["name"]))
        several = towns["county_adcode"].nunique() > 1  # a city's or a province's: 城区街道 in every county
        if several:
            counties = load_counties(url, user_scope().args())
            county_of = dict(zip(counties["adcode"], counties["name"]))
            names = {i: f"{county_of.get(c, '')}·{n}" for i, c, n in zip(towns["id"], towns["county_adcode"],
                                                                      towns["name"])}
        whole = t("all_townships") if several else t("whole_county")
        if st.session_state.get("township_id") not in options:
            st.session_state.pop("township_id", None)  # preset or stale: never wider than the user
        township_id = st.selectbox(t("township"), options, key="township_id",
                                   format_func=lambda i: whole if i is None else names[i])
        community_id = None
        if township_id is not None:
            comms = load_communities(url, base.narrow(township_id=township_id).args())
            copts = ([None] if base.community_id is None else []) + list(comms["id"])
            if st.session_state.get("community_id") not in copts:
                st.session_state.pop("community_id", None)
            cnames = dict(zip(comms["id"], comms["name"]))
            community_id = st.selectbox(t("community"), copts, key="community_id",
                                        format_func=lambda i: t("all_communities") if i is None else cnames[i])
        st.session_state["scope"] = base.narrow(township_id=township_id, community_id=community_id)

        months = load_months(url)
        if months:
            preset = st.selectbox(t("period"), PERIOD_PRESETS, index=PERIOD_PRESETS.index("last_12"),
                                  key="period_preset", help=t("period_help"),
                                  format_func=dict((p, _preset_label(p, months)) for p in PERIOD_PRESETS).get)
            if preset == "custom":
                default = (months[max(0, len(months) - 12)], months[-1])
                first, last = st.select_slider(t("period_custom"), options=months, value=default,
                                               key="period_range")
            else:
                first, last = preset_months(preset, months[-1], earliest=months[0])
            st.session_state["period"] = Period.months(first, last)
        else:
            st.session_state["period"] = None


def _preset_label(preset: str, months: list[str]) -> str:
    """``本月（2026-10）``: the preset's name and the months it means now."""
    if preset == "custom":
        return t("period_custom")
    first, last = preset_months(preset, months[-1], earliest=months[0])
    return f"{t('period_' + preset)}（{first if first == last else f'{first} 至 {last}'}）"


def scope() -> Scope:
    """The scope pages query with: the sidebar's choice, re-checked against the user's jurisdiction."""
    base = user_scope()
    chosen = st.session_state.get("scope", base)
    try:
        return base.narrow(city=chosen.city, county=chosen.county, township_id=chosen.township_id,
                           community_id=chosen.community_id)
    except (ValueError, PermissionError, AttributeError):  # ScopeError is a PermissionError
        return base


def period() -> Period | None:
    return st.session_state.get("period")


def is_demo() -> bool:
    towns = load_townships(db.default_url(), Scope().args())
    return bool(len(towns)) and bool(towns["synthetic"].any())


# --------------------------------------------------------------------------- exports
def exported_by() -> str | None:
    account = current_user()
    return None if account is None else f"{account.display_name}（{account.username}）"


def log_export(file_name: str, rows: int | None = None) -> None:
    """Audit one export (use as a download button's on_click)."""
    account = current_user()
    audit.record(_engine(db.default_url()), account, "export", file_name, scope(), rows=rows)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(label: str, data, *, file_name: str, key: str, rows: int | None = None,
             mime: str | None = None) -> None:
    """A download button that audits the export (who, when, what, scope) when clicked.

    ``data`` is the bytes, or (better, unless they are cached) a callable that makes
    them only when clicked; the callable runs in another thread, without session state.

    A callable's export is audited where the file is made, and the click does not
    rerun the page: a rerun started by the click retires the button's file id when
    it ends, and a download asked for after that fails ("Failed to generate file").
    CI saw it once on a loaded machine; without the rerun the click is also quicker.
    """
    if not callable(data):
        st.download_button(label, data, file_name=file_name, key=key, mime=mime, on_click=log_export,
                           args=(file_name, rows), help=t("acc_export_stamp"))
        return
    account, where, engine = current_user(), scope(), _engine(db.default_url())

    def made():
        payload = data()
        audit.record(engine, account, "export", file_name, where, rows=rows)
        return payload

    st.download_button(label, made, file_name=file_name, key=key, mime=mime, on_click="ignore",
                       help=t("acc_export_stamp"))


def scope_label() -> str:
    """The scope's name as an export's 范围 row: 金乡县, 金乡街道, 金乡街道 · 城西社区."""
    from data import settings

    s = scope()
    url = db.default_url()
    name = settings.get(_engine(url), "county_name")
    if s.township_id is not None:
        towns = load_townships(url, s.args())
        name = dict(zip(towns["id"], towns["name"])).get(s.township_id, name)
        if s.community_id is not None:
            comms = load_communities(url, s.args())
            name += " · " + dict(zip(comms["id"], comms["name"])).get(s.community_id, "")
    return name


def download_xlsx(label: str, data, *, file_name: str, key: str, sheet_name: str = "数据",
                  title: str | None = None, notes: dict | None = None, dated: bool = True) -> None:
    """An Excel download of ``data`` (a table or ``{sheet: table}``) naming who exported it; logged.

    Every workbook says under its title the scope, the sidebar's period (``dated``), the
    time of export and any ``notes`` (a draw's batch number, seed and check code).
    The workbook is written only when the button is clicked: written on every
    rerun, the workbooks took 0.4 s of the complaints page's 0.6 s and 0.7 s of
    the data page's 0.8 s (demo county; ``tests/bench/bench_downloads.py``).
    """
    from data.exporters import to_xlsx_bytes

    who = exported_by()  # read now: the callable runs at the click, without session state
    where = scope_label()
    span = period().label().replace(" 至 ", "—") if dated and period() is not None else None
    rows = len(data) if hasattr(data, "columns") else sum(len(df) for df in data.values())
    download(label, lambda: to_xlsx_bytes(data, sheet_name=sheet_name, title=title or sheet_name,
                                          exported_by=who, scope=where, period=span, notes=notes),
             file_name=file_name, key=key, rows=rows, mime=XLSX_MIME)


__all__ = ["client_id", "remember_destination", "take_destination", "engine", "sidebar", "scope", "period", "is_demo", "queries", "current_user", "sign_in",
           "keep_signed_in", "sync_session_cookie", "sign_out", "user_scope", "role", "can", "login_required", "download", "download_xlsx", "exported_by", "scope_label",
           "log_export"]
