"""Register panels shared by pages: import templates, the company list and merge, the inspector editor.

Every write goes through the data layer, which checks the role and audits it;
these helpers only lay out widgets and show the Chinese messages.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data.importers.templates import KINDS as TEMPLATE_KINDS
from data.importers.templates import KIND_LABELS, template_bytes
from data.queries import companies as cq
from data.queries import inspectors as rq
from ui import state
from ui.tables import table
from ui.text import t
from ui import cache_version

__all__ = ["template_buttons", "company_panel", "inspector_editor"]


@st.cache_data(show_spinner=False)
def _template(kind: str) -> bytes:
    return template_bytes(kind)


def template_buttons() -> None:
    """One download button per import kind (templates are built from the importers' column specs)."""
    with st.expander(t("rg_templates")):
        st.caption(t("rg_templates_help"))
        cols = st.columns(3)
        for k, kind in enumerate(TEMPLATE_KINDS):
            cols[k % 3].download_button(t("rg_template_button").format(kind=KIND_LABELS[kind]),
                                        _template(kind), file_name=f"{KIND_LABELS[kind]}模板.xlsx",
                                        key=f"dl_template_{kind}")


def company_panel(engine) -> None:
    """The company register (phones masked) and merging two records of one company."""
    st.caption(t("rg_companies_caption"))
    frame = cq.companies(engine)
    if frame.empty:
        st.info(t("rg_no_companies"))
        return
    table(frame, [c for c in frame.columns if c != "id"], name=t("rg_tab_companies"), key="companies")
    st.subheader(t("rg_merge"))
    if not state.can("edit_registers"):
        st.caption(t("rg_read_only"))
        return
    names = dict(zip(frame["id"].astype(int), frame["name"] + "（" + frame["projects"].astype(str) + "）"))
    if "rg_merge_done" in st.session_state:
        st.success(st.session_state.pop("rg_merge_done"))
    with st.form("rg_merge_form"):
        a, b = st.columns(2)
        keep = a.selectbox(t("rg_merge_keep"), list(names), format_func=names.get, key="rg_keep")
        gone = b.selectbox(t("rg_merge_gone"), list(names), format_func=names.get, key="rg_gone",
                           index=min(1, len(names) - 1))
        sure = st.checkbox(t("rg_merge_confirm"), key="rg_sure")
        if st.form_submit_button(t("rg_merge_go"), type="primary") and sure:
            try:
                moved = cq.merge_companies(engine, int(keep), int(gone), actor=state.current_user())
            except (ValueError, PermissionError) as exc:
                st.error(str(exc))
            else:
                cache_version.clear_all()  # every app process (ui/cache_version.py)
                st.session_state["rg_merge_done"] = t("rg_merged").format(**moved)
                st.rerun()


def inspector_editor(engine, staff: pd.DataFrame, townships: dict[int, str], on_saved) -> None:
    """Add, edit or deactivate one inspector (住建局 and 管理员; the data layer checks and audits)."""
    if staff.empty:
        st.warning(t("rg_inspectors_empty"))
    if not state.can("edit_registers"):
        st.caption(t("rg_edit_denied"))
        return
    companies = cq.companies(engine)
    company_names = dict(zip(companies["id"].astype(int), companies["name"]))
    people = {None: t("rg_inspector_new")} | {
        int(r.id): f"{r.cert_no or '—'} · {r.name} · {r.unit}" for r in staff.itertuples()}
    st.subheader(t("rg_inspector_edit"))
    if "rg_saved" in st.session_state:
        st.success(st.session_state.pop("rg_saved"))
    pick = st.selectbox(t("rg_inspector_pick"), list(people), format_func=people.get, key="rg_pick")
    row = staff.set_index("id").loc[pick] if pick is not None else None
    towns = {None: t("rg_county_level")} | townships
    with st.form(f"rg_inspector_form_{pick}"):
        a, b, c = st.columns(3)
        name = a.text_input(t("rg_name"), "" if row is None else row["name"], key=f"rg_name_{pick}")
        unit = b.text_input(t("rg_unit"), "" if row is None else row["unit"], key=f"rg_unit_{pick}")
        cert = c.text_input(t("rg_cert_no"), "" if row is None or pd.isna(row["cert_no"]) else row["cert_no"],
                            key=f"rg_cert_{pick}")
        current_town = None if row is None or pd.isna(row["township_id"]) else int(row["township_id"])
        town = a.selectbox(t("rg_township"), list(towns), format_func=towns.get,
                           index=list(towns).index(current_town) if current_town in towns else 0,
                           key=f"rg_town_{pick}")
        links = [] if row is None else [i for i in row["linked_company_ids"] if i in company_names]
        recusal = b.multiselect(t("rg_recusal"), list(company_names), default=links, format_func=company_names.get,
                                key=f"rg_recusal_{pick}", placeholder=t("choose_options"))
        phone = c.text_input(t("rg_phone"), "", key=f"rg_phone_{pick}")
        active = st.checkbox(t("rg_active"), True if row is None else bool(row["active"]), key=f"rg_active_{pick}")
        if st.form_submit_button(t("rg_save"), type="primary"):
            try:
                kept_phone = phone.strip() or None
                if pick is not None and kept_phone is None:
                    kept_phone = rq.stored_phone(engine, int(pick))
                rq.save_inspector(engine, inspector_id=pick, name=name, unit=unit, cert_no=cert, township_id=town,
                                  company_ids=recusal, phone=kept_phone, active=active, actor=state.current_user())
            except (ValueError, PermissionError) as exc:
                st.error(str(exc))
            else:
                on_saved()
                st.session_state["rg_saved"] = t("rg_saved").format(name=name.strip())
                st.rerun()  # the register above shows the change at once

