"""执法联动: case list with overdue tables, case detail with its steps, open-case map, new case."""
from __future__ import annotations

from datetime import datetime

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from data import db
from data.documents.case_form import case_form_document
from data.photos import PhotoError, read_photo
from data.queries import cases as cq
from layers.boundaries import build_boundary_layer
from layers.cases import build_case_layer, legend_entries
from layers.legend import build_legend
from layers.maps import make_map
from ui import cache as base_cache
from ui import cache_inspection as cache
from ui import state as state
from ui.cache import scope_key
from ui import tables as _tables
from ui import setup as setup
from ui import todo as todo
from ui.text import md_escape, t, tf
from policy.cases import REPORT, STEPS, StepError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

url, engine = db.default_url(), state.engine()
scope = state.scope()
skey = scope_key(scope)
actor = state.current_user()
editor = state.can("edit_cases")
minute = datetime.now().replace(second=0, microsecond=0).isoformat()


def table(frame: pd.DataFrame, name: str, key: str) -> None:
    _tables.table(frame, name=name, key=key)


st.title(t("case_title"))
setup.guard("pages/enforcement.py")  # an empty county: what to import next
st.caption(t("case_caption"))
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")
cases = cache.load_cases(url, skey, minute)
if (wanted := todo.take_link("case", cases["id"])) is not None:  # from the overview's to-do: that case
    st.session_state["case_pick"] = wanted
    st.info(t("todo_case_opened"), icon=":material/gavel:")
# the map sits in the first tab: Leaflet in a tab hidden at load would start with no size
tabs = st.tabs([t("case_tab_list"), t("case_tab_detail")] + ([t("case_tab_new")] if editor else []))
tab_list, tab_detail = tabs[:2]

with tab_list:
    st.subheader(t("case_tab_map"))
    towns_json, towns = base_cache.load_outline_geojson(url, "township", skey, "none")
    bounds = tuple(towns.total_bounds) if len(towns) else (116.2, 34.9, 116.5, 35.2)
    m = make_map(bounds, basemap="none", height_px=480)
    build_boundary_layer(towns_json, level="township", name=t("layer_townships")).add_to(m)
    build_case_layer(cache.load_case_geojson(url, skey, minute, "none"), name=t("case_legend")).add_to(m)
    build_legend(t("case_legend"), legend_entries(STEPS[:-1])).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    st_folium(m, key="case_map", height=480, use_container_width=True, returned_objects=[])

    f1, f2 = st.columns([1, 3])
    open_only = f1.checkbox(t("case_open_only"), True, key="case_open_only")
    steps = f2.multiselect(t("case_steps_filter"), list(STEPS), key="case_steps", placeholder=t("choose_options"))
    shown = cases[cases["step"] != STEPS[-1]] if open_only else cases
    if steps:
        shown = shown[shown["step"].isin(steps)]
    table(shown.drop(columns=["id", "compound_id", "township_id", "lon", "lat"]), t("case_tab_list"), "cases")
    overdue = cache.load_overdue(url, skey, minute)
    c1, c2 = st.columns(2)
    with c1:
        st.subheader(t("case_overdue_by_dept"))
        table(overdue["department"], t("case_overdue_by_dept"), "overdue_dept")
    with c2:
        st.subheader(t("case_overdue_by_town"))
        table(overdue["township"], t("case_overdue_by_town"), "overdue_town")

with tab_detail:
    if cases.empty:
        st.info(t("case_none"))
    else:
        labels = {int(r.id): f"{r.case_no} · {r.compound or r.township} · {r.category} · {r.step}"
                  for r in cases.itertuples()}
        case_id = st.selectbox(t("case_pick"), list(labels), format_func=labels.get, key="case_pick")
        detail = cq.case_detail(engine, scope, int(case_id))
        c = detail.case
        keys = ("compound", "category", "department", "location", "details", "reporting_unit", "reporter_phone",
                "receiving_unit", "receiver_phone")
        info = pd.DataFrame({"field": [t(f"case_f_{k}") for k in keys], "value": [c[k] for k in keys]})
        st.dataframe(info, hide_index=True, width="stretch",
                     column_config={"field": t("case_f_field"), "value": t("case_f_value")})
        if detail.suggested_department:
            st.warning(tf("case_outside_duties", unit=detail.suggested_department))
        st.subheader(t("case_steps"))
        table(detail.steps.drop(columns=["id"]), t("case_steps"), "steps")
        if detail.next_step is None:
            st.success(t("case_closed_note"))
        elif not editor:
            st.caption(t("acc_read_only"))
        else:
            with st.form("case_step_form"):
                step = detail.next_step
                if len(detail.next_steps) > 1:  # after 制止: refused → 呈报, corrected → 结案
                    step = st.radio(t("case_next_choice"), detail.next_steps, key="case_next_pick",
                                    format_func=lambda s: t(f"case_choice_{s}"), horizontal=True)
                else:
                    st.markdown(f"**{tf('case_next', step=step)}**")
                if step == "拍照" and detail.photos.empty:
                    st.caption(t("case_photo_needed"))
                note = st.text_area(t("case_note"), key="case_step_note")
                form = {}
                if step == REPORT:
                    a, b = st.columns(2)
                    form["reporting_unit"] = a.text_input("呈报单位", c["reporting_unit"] or "", key="cf_ru")
                    form["reporter"] = a.text_input("联系人", key="cf_rp")
                    form["reporter_phone"] = a.text_input("电话", key="cf_rph")
                    form["receiving_unit"] = b.text_input("接收单位", c["department"], key="cf_rcu")
                    form["reporting_opinion"] = st.text_area("呈报单位意见", key="cf_ro")
                elif step == "处理":
                    a, b = st.columns(2)
                    form["receiver"] = a.text_input("接收人", key="cf_rc")
                    form["receiver_phone"] = b.text_input("电话", key="cf_rcph")
                    form["receiving_opinion"] = st.text_area("接收单位意见", key="cf_rco")
                if st.form_submit_button(t("case_record_step"), type="primary"):
                    try:
                        cq.advance_case(engine, scope, int(case_id), step, actor=actor, note=note,
                                        form={k: v for k, v in form.items() if v})
                        cache.clear()
                        st.success(tf("case_recorded", step=step))
                        st.rerun()
                    except (StepError, ValueError, PermissionError) as exc:
                        st.error(md_escape(str(exc)))
            with st.expander(t("case_transfer"), expanded=bool(detail.suggested_department)):
                to = st.text_input(t("case_transfer_to"), detail.suggested_department or "", key="case_to")
                reason = st.text_input(t("case_transfer_reason"), key="case_reason")
                if st.button(t("case_transfer_button"), key="case_transfer_btn"):
                    try:
                        cq.transfer_case(engine, scope, int(case_id), to, actor=actor, reason=reason)
                        cache.clear()
                        st.success(tf("case_transferred", unit=to))
                        st.rerun()
                    except (StepError, ValueError, PermissionError) as exc:
                        st.error(md_escape(str(exc)))
        st.subheader(t("case_photos"))
        cols = st.columns(4)
        for k, p in enumerate(detail.photos.itertuples()):
            data = read_photo(p.sha256, p.content_type) if isinstance(p.sha256, str) else None
            where = f"{p.lat:.5f}, {p.lon:.5f}" if pd.notna(p.lat) else "—"
            if data:
                cols[k % 4].image(data, caption=f"{p.step or ''} · {p.filename} · {t('case_photo_location')} {where}")
        seen = st.session_state.setdefault("case_seen_files", set())
        files = st.file_uploader(t("case_upload"), accept_multiple_files=True, key=f"case_upload_{case_id}",
                                 disabled=not editor)
        fresh = [f for f in files or [] if f.file_id not in seen]
        saved = 0
        for f in fresh:
            seen.add(f.file_id)
            try:
                last_step = int(detail.steps["id"].iloc[-1]) if len(detail.steps) else None
                cq.add_case_photo(engine, scope, int(case_id), f.getvalue(), f.name, step_id=last_step,
                                  actor=actor)
                saved += 1
            except (PhotoError, PermissionError) as exc:
                st.error(md_escape(f"{f.name}：{exc}"))
        if saved:
            st.success(t("case_photo_saved").format(n=saved))
        # read now: the form is made at the click, in another thread without session state
        who, cid, account = state.exported_by(), int(case_id), state.current_user()
        state.download(t("case_form_export"),
                       lambda: case_form_document(engine, scope, cid, account=account, exported_by=who),
                       file_name=f"案件呈报表_{c['case_no']}.docx", key="case_form_dl", mime=DOCX)

if editor:  # opening a case: only for roles that handle cases (the data layer checks again)
    with tabs[2]:
        comps = base_cache.load_compounds(url, skey)
        names = dict(zip(comps["id"], comps["name"] + "（" + comps["township"] + "）"))
        with st.form("case_new_form"):
            compound_id = st.selectbox(t("case_new_compound"), list(names), format_func=names.get, key="case_new_c")
            category = st.selectbox(t("case_new_category"), cq.case_categories(engine), key="case_new_cat")
            location = st.text_input(t("case_new_location"), key="case_new_loc")
            details = st.text_area(t("case_new_details"), key="case_new_details")
            if st.form_submit_button(t("case_new_button"), type="primary"):
                try:
                    row = comps.set_index("id").loc[compound_id]
                    centre = row["geometry"].centroid if row["geometry"] is not None else None
                    new_id = cq.open_case(engine, scope, category=category, details=details, actor=actor,
                                          compound_id=int(compound_id), location=location or None,
                                          lon=centre.x if centre else None, lat=centre.y if centre else None)
                    cache.clear()
                    case = cq.case_detail(engine, scope, new_id).case
                    st.success(tf("case_new_done", no=case["case_no"], dept=case["department"]))
                except (ValueError, PermissionError) as exc:
                    st.error(md_escape(str(exc)))
