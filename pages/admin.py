"""系统管理: local accounts (create, reset password, unlock, disable) and settings, for administrators."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import auth, db, settings
from data.vocab import ROLES
from ui import state as state
from ui.cache import load_communities, load_townships
from ui import setup as setup
from ui.cache_inspection import load_inspectors
from ui import cache_version
from ui.text import md_escape, t

if not state.can("manage_users"):  # hidden from other roles by the page matrix; refuse a forced visit
    st.error(t("acc_no_right"))
    st.stop()
engine, me = state.engine(), state.current_user()
url = db.default_url()
st.title(t("nav_admin"))
setup.guard("pages/admin.py")  # an empty county: what to import next
users_tab, settings_tab = st.tabs([t("adm_tab_users"), t("adm_tab_settings")])


def _done(message: str) -> None:
    st.session_state["adm_flash"] = message


with users_tab:
    if st.session_state.get("adm_flash"):
        st.success(st.session_state.pop("adm_flash"))
    people = pd.DataFrame(auth.users(engine))
    towns = load_townships(url, (None, None))
    town_names = dict(zip(towns["id"], towns["name"]))
    all_comms = load_communities(url, (None, None))
    shown = people.assign(township=people["township_id"].map(town_names),
                          community=people["community_id"].map(dict(zip(all_comms["id"], all_comms["name"]))),
                          locked_until=people["locked_until"].map(lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}"))
    shown = shown[["username", "display_name", "role_label", "township", "community", "email", "active",
                   "locked_until"]].astype({"township": object, "community": object, "email": object})
    st.dataframe(shown.where(shown.notna(), "").rename(columns={
        "username": t("acc_username"), "display_name": t("adm_display_name"), "role_label": t("acc_role"),
        "township": t("adm_township"), "community": t("adm_community"), "email": t("adm_email"),
        "active": t("adm_active"), "locked_until": t("adm_locked_until")}), hide_index=True, width="stretch")

    st.subheader(t("adm_new_user"))
    c1, c2, c3 = st.columns(3)
    role = c1.selectbox(t("acc_role"), list(ROLES), format_func=ROLES.get, key="adm_role")
    township_id = c2.selectbox(t("adm_township"), [None, *town_names], key="adm_town",
                               format_func=lambda i: "—" if i is None else town_names[i])
    comms = load_communities(url, (township_id, None)) if township_id is not None else pd.DataFrame(
        columns=["id", "name"])
    comm_names = dict(zip(comms["id"], comms["name"]))
    community_id = c3.selectbox(t("adm_community"), [None, *comm_names], key="adm_comm",
                                format_func=lambda i: "—" if i is None else comm_names[i])
    staff = load_inspectors(url)
    staff_names = {None: t("rg_user_inspector_none")} | {
        int(r.id): f"{r.cert_no or '—'} · {r.name} · {r.unit}" for r in staff.itertuples()}
    inspector_id = (st.selectbox(t("rg_user_inspector"), list(staff_names), format_func=staff_names.get,
                                 key="adm_inspector") if role == "inspector" else None)
    with st.form("adm_new_user_form", clear_on_submit=True):
        a, b = st.columns(2)
        username = a.text_input(t("acc_username"), key="adm_username")
        name = b.text_input(t("adm_display_name"), key="adm_name")
        email = a.text_input(t("adm_email"), key="adm_email")
        password = b.text_input(t("adm_initial_password"), type="password", key="adm_password")
        if st.form_submit_button(t("adm_create"), type="primary"):
            try:
                auth.create_user(engine, username, name.strip() or username, role, password=password,
                                 township_id=township_id, community_id=community_id,
                                 email=email.strip() or None, inspector_id=inspector_id, actor=me)
            except (ValueError, PermissionError) as exc:  # LoginError is a PermissionError
                st.error(md_escape(str(exc)))
            else:
                _done(t("adm_created").format(username=username.strip()))
                st.rerun()

    st.subheader(t("adm_pick_user"))
    pick = st.selectbox(t("adm_pick_user"), list(people["username"]), key="adm_pick",
                        label_visibility="collapsed")
    if pick:
        row = people.set_index("username").loc[pick]
        a, b, c = st.columns([2, 1, 1], vertical_alignment="bottom")
        new_password = a.text_input(t("adm_new_password"), type="password", key="adm_new_password")
        try:
            if b.button(t("adm_set_password"), key="adm_set_pw"):
                auth.set_password(engine, pick, new_password, actor=me)
                _done(t("adm_password_set").format(username=pick))
                st.rerun()
            if c.button(t("adm_disable") if row["active"] else t("adm_enable"), key="adm_toggle"):
                auth.set_active(engine, pick, not row["active"], actor=me)
                _done(t("adm_active_changed").format(username=pick))
                st.rerun()
            if row["role"] == "inspector":
                current = None if pd.isna(row["inspector_id"]) else int(row["inspector_id"])
                d, e = st.columns([3, 1], vertical_alignment="bottom")
                link = d.selectbox(t("rg_user_inspector"), list(staff_names), format_func=staff_names.get,
                                   index=list(staff_names).index(current) if current in staff_names else 0,
                                   key=f"adm_link_{pick}")
                if e.button(t("rg_link_inspector"), key="adm_link_go"):
                    auth.set_inspector(engine, pick, link, actor=me)
                    _done(t("rg_linked").format(username=pick))
                    st.rerun()
            if pd.notna(row["locked_until"]) and st.button(t("adm_unlock"), key="adm_unlock"):
                auth.unlock(engine, pick, actor=me)
                _done(t("adm_unlocked").format(username=pick))
                st.rerun()
        except (ValueError, PermissionError) as exc:
            st.error(md_escape(str(exc)))

with settings_tab:
    st.caption(t("adm_settings_help"))
    values = settings.all_values(engine)
    table = pd.DataFrame([{"key": d.key, "label": d.label, "value": str(values[d.key]),
                           "default": str(d.default), "help": d.help} for d in settings.DEFINITIONS])
    edited = st.data_editor(table, hide_index=True, width="stretch", height=520, key="adm_settings",
                            disabled=["key", "label", "default", "help"],
                            column_config={"key": None, "label": t("adm_setting"), "value": t("adm_value"),
                                           "default": t("adm_default"), "help": t("adm_help")})
    if st.button(t("adm_save_settings"), type="primary", key="adm_save_settings"):
        changed = edited[edited["value"] != table["value"]]
        errors = []
        for row in changed.itertuples(index=False):
            try:
                settings.parse_value(row.key, row.value)
            except ValueError as exc:
                errors.append(str(exc))
        for line in errors:  # all checked first: one bad value saves nothing
            st.error(md_escape(line))
        if not errors:
            for row in changed.itertuples(index=False):
                settings.set_value(engine, row.key, row.value, actor=me)
            cache_version.clear_all()  # every app process (ui/cache_version.py)
            st.success(t("adm_settings_saved").format(n=len(changed)))
