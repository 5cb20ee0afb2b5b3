"""登录: local accounts (argon2, backoff per client), OpenID Connect when configured, demo accounts in demo mode.

A one-time password (``init --no-demo``'s first administrator) signs nobody in:
the page asks for a new password first (``auth.change_own_password``).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import auth
from data.auth import DEMO_PASSWORD
from ui import state as state
from ui.text import md_escape, t

st.title(t("acc_login_title"))
engine = state.engine()

if state.oidc_available():
    if st.session_state.get("login_error"):
        st.error(t("acc_oidc_denied") + md_escape(st.session_state["login_error"]))
        st.button(t("acc_sign_out"), on_click=state.sign_out, key="oidc_sign_out")
    else:
        st.button(t("acc_oidc"), on_click=st.login, type="primary", key="oidc_login",
                  icon=":material/key:")
    st.caption(t("acc_oidc_or"))


def _submit() -> None:
    username = st.session_state.get("login_username", "").strip()
    password = st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""  # never kept in session state
    if not username or not password:
        st.session_state["login_message"] = t("acc_need_both")
        return
    try:
        account = auth.authenticate(engine, username, password, client=state.client_id())
    except auth.LoginError as exc:
        st.session_state["login_message"] = str(exc)
        return
    st.session_state.pop("login_message", None)
    if account.must_change_password:  # not signed in until the one-time password is replaced
        st.session_state["login_change_for"] = account.username
        return
    _enter(account)


def _enter(account) -> None:
    state.sign_in(account)
    state.keep_signed_in(account)
    st.session_state["login_done"] = True


def _change() -> None:
    username = st.session_state.get("login_change_for", "")
    old, new, again = (st.session_state.pop(k, "") for k in ("chg_old", "chg_new", "chg_again"))
    if new != again:
        st.session_state["login_message"] = t("acc_change_mismatch")
        return
    try:
        account = auth.change_own_password(engine, username, old, new, client=state.client_id())
    except (auth.LoginError, ValueError) as exc:
        st.session_state["login_message"] = str(exc)
        return
    st.session_state.pop("login_message", None)
    st.session_state.pop("login_change_for", None)
    _enter(account)


if st.session_state.get("login_change_for"):
    st.subheader(t("acc_change_title"))
    st.caption(t("acc_change_help"))
    with st.form("change_form", border=True):
        st.text_input(t("acc_change_old"), type="password", key="chg_old", autocomplete="current-password")
        st.text_input(t("acc_change_new"), type="password", key="chg_new", autocomplete="new-password")
        st.text_input(t("acc_change_again"), type="password", key="chg_again", autocomplete="new-password")
        st.form_submit_button(t("acc_change_go"), type="primary", on_click=_change)
    if st.session_state.get("login_message"):
        st.error(md_escape(st.session_state["login_message"]))
    if st.session_state.pop("login_done", False):
        st.rerun()
    st.stop()

with st.form("login_form", enter_to_submit=True, border=True):
    st.text_input(t("acc_username"), key="login_username", autocomplete="username")
    st.text_input(t("acc_password"), type="password", key="login_password",
                  autocomplete="current-password")
    st.form_submit_button(t("acc_sign_in"), type="primary", on_click=_submit)

if st.session_state.get("login_message"):
    st.error(md_escape(st.session_state["login_message"]))
if st.session_state.pop("login_done", False):
    st.rerun()  # the entry script now builds this user's navigation (once: no loop if it does not)

def _demo_sign_in(username: str) -> None:
    """The demo accounts share a published password: one click signs in (audited like any login)."""
    st.session_state["login_username"], st.session_state["login_password"] = username, DEMO_PASSWORD
    _submit()


if state.is_demo():
    with st.expander(t("acc_demo_title"), expanded=True):
        st.markdown(f"{t('acc_demo_password')} `{DEMO_PASSWORD}`")
        users = pd.DataFrame(auth.users(engine))
        users = users[users["active"] & users["has_password"]]
        labels = {u: f"{name}（{role}，{u}）" for u, name, role in
                  zip(users["username"], users["display_name"], users["role_label"])}
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox(t("acc_demo_pick"), list(labels), format_func=labels.get, key="demo_user")
        right.button(t("acc_demo_enter"), key="demo_enter", on_click=_demo_sign_in, args=(chosen,),
                     width="stretch")
        st.dataframe(users[["username", "display_name", "role_label"]].rename(columns={
            "username": t("acc_username"), "display_name": "名称", "role_label": t("acc_role")}),
            hide_index=True, width="stretch")
