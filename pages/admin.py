"""系统管理: local accounts (create, reset password, unlock, disable) and settings, for administrators."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data import auth, db, settings
from data.permissions import CITY_ROLES
from data.vocab import ALL_ROLES, ROLES
from ui import state as state
from ui.cache import load_communities, load_counties, load_townships
from ui import setup as setup
from ui.cache_inspection import load_inspectors
from ui import cache_version
from ui.text import md_escape, t

if not state.can("manage_users"):  # hidden from other roles by the page matrix; refuse a forced visit
    st.error(t("acc_no_right"))
    st.stop()
engine, me = state.engine(), state.current_user()
url = db.default_url()
# a city's or a province's deployment (issue 17): the city roles, and a county or city for each user;
# a one-county deployment's page stays as it was
counties = load_counties(url, (None, None))
several = len(counties) > 1
county_names = dict(zip(counties["adcode"], counties["name"]))
city_names = dict(zip(counties["city_adcode"].dropna(), counties["city"].fillna(counties["city_adcode"]).dropna()))


def _place(names: dict):
    return lambda code: "—" if code is None else names.get(code, code)


st.title(t("nav_admin"))
setup.guard("pages/admin.py")  # an empty county: what to import next
users_tab, settings_tab = st.tabs([t("adm_tab_users"), t("adm_tab_settings")])


def _done(message: str) -> None:
    st.session_state["adm_flash"] = message


def _edit_places(pick: str, row) -> None:
    city_role = row["role"] in CITY_ROLES
    names = city_names if city_role else county_names
    current = row["city_adcode" if city_role else "county_adcode"]
    current = None if pd.isna(current) else str(current)
    options = list(names) if city_role else [None, *names]
    d, e = st.columns([3, 1], vertical_alignment="bottom")
    chosen = d.selectbox(t("adm_city" if city_role else "adm_county"), options, format_func=_place(names),
                         index=options.index(current) if current in options else 0, key=f"adm_place_{pick}")
    if e.button(t("adm_set_place"), key="adm_place_go"):
        auth.set_places(engine, pick, actor=me,
                        **({"city_adcode": chosen} if city_role else {"county_adcode": chosen}))
        _done(t("adm_place_set").format(username=pick))
        st.rerun()


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
    places = ["city", "county"] if several else []
    if several:
        shown = shown.assign(city=people["city_adcode"].map(city_names),
                             county=people["county_adcode"].map(county_names))
    shown = shown[["username", "display_name", "role_label", *places, "township", "community", "email", "active",
                   "locked_until"]].astype({c: object for c in [*places, "township", "community", "email"]})
    st.dataframe(shown.where(shown.notna(), "").rename(columns={
        "username": t("acc_username"), "display_name": t("adm_display_name"), "role_label": t("acc_role"),
        "city": t("adm_city"), "county": t("adm_county"),
        "township": t("adm_township"), "community": t("adm_community"), "email": t("adm_email"),
        "active": t("adm_active"), "locked_until": t("adm_locked_until")}), hide_index=True, width="stretch")

    st.subheader(t("adm_new_user"))
    roles = ALL_ROLES if several else ROLES
    cols = st.columns(4 if several else 3)
    c1, c2, c3 = cols[0], cols[-2], cols[-1]
    role = c1.selectbox(t("acc_role"), list(roles), format_func=roles.get, key="adm_role")
    county_adcode = city_adcode = None
    if several and role in CITY_ROLES:  # 市专班 / 市住建局 read their whole city: a city, no county or township
        city_adcode = cols[1].selectbox(t("adm_city"), list(city_names), format_func=_place(city_names),
                                        key="adm_city")
    elif several and role != "admin":  # an administrator serves the whole deployment
        county_adcode = cols[1].selectbox(t("adm_county"), [None, *county_names], format_func=_place(county_names),
                                          key="adm_county")
        if county_adcode is not None:  # the county's townships only
            towns = load_townships(url, (None, None, county_adcode, None))
            town_names = dict(zip(towns["id"], towns["name"]))
    township_id = None if role in CITY_ROLES else c2.selectbox(
        t("adm_township"), [None, *town_names], key="adm_town",
        format_func=lambda i: "—" if i is None else town_names[i])
    comms = load_communities(url, (township_id, None)) if township_id is not None else pd.DataFrame(
        columns=["id", "name"])
    comm_names = dict(zip(comms["id"], comms["name"]))
    community_id = None if role in CITY_ROLES else c3.selectbox(
        t("adm_community"), [None, *comm_names], key="adm_comm",
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
                                 email=email.strip() or None, inspector_id=inspector_id, actor=me,
                                 county_adcode=county_adcode, city_adcode=city_adcode)
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
            if several and row["role"] != "admin":  # the user's county (a county's roles) or city (city roles)
                _edit_places(pick, row)
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
