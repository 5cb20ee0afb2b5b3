"""Panels of the 错时停车 page: summary, map, tables, register editing and the proposal's procedure.

Layout and widgets only; the plan comes from ``policy.parking`` through
``ui.cache_parking``, every write goes through ``data.queries.parking``.
"""
from __future__ import annotations

import time
from datetime import date, datetime

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from data import settings
from data.documents.parking import proposal_document
from data.queries import parking as q
from layers import parking as pl
from layers.boundaries import build_boundary_layer
from layers.legend import legend_html
from layers.maps import make_map
from ui import cache_parking as cache
from ui import state as state
from ui.cache import load_outline_geojson
from ui.cache_evaluation import basemap
from ui import tables as _tables
from ui.text import md_escape, t, tf
from policy import parking as rules

MAP_HEIGHT = 600
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def labelled(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return _tables.labelled(frame, columns, prefix="pk_")


def table(frame: pd.DataFrame, columns: list[str], *, name: str, key: str) -> None:
    """A table with this page's headers (columns the frame lacks shown empty) and its Excel download."""
    _tables.table(frame.reindex(columns=columns), columns, name=name, key=key, prefix="pk_", empty=t("pk_none"))


FLASH_SECONDS = 10


def flash(where: str) -> None:
    """The message of the last write, in the panel where it was made (``proposal`` / ``edit``).

    Kept for a few seconds rather than one run: a write that changes the plan redraws
    the map, and the map component's first report triggers one more run straight away.
    """
    pending = st.session_state.get("pk_flash")
    if not pending:
        return
    if time.monotonic() - pending[2] > FLASH_SECONDS:
        st.session_state.pop("pk_flash", None)
    elif pending[0] == where:
        st.success(md_escape(pending[1]))


def actor():
    """The signed-in Account: the data layer checks its role and records its name."""
    return state.current_user()


# --------------------------------------------------------------------------- summary and map
def day_type_coverage(url: str, skey, key, network) -> None:
    """Coverage of the shortage on weekday nights and on weekend/holiday nights, side by side:
    a resource counts only on the nights its opening window covers."""
    from data import settings
    from policy.parking import DAY_TYPES, WEEKDAY
    from ui import cache_parking as cache
    from ui import state

    cols = st.columns(len(DAY_TYPES))
    for col, day in zip(cols, DAY_TYPES):
        night = key.night if day == key.day_type else tuple(settings.get(
            state.engine(), "parking_night_window" if day == WEEKDAY else "parking_weekend_night_window"))
        other = key if day == key.day_type else key._replace(day_type=day, night=night, lock=(), locked_rows=())
        result, _ = cache.load_plan(url, skey, other, network)
        share = result.share_met
        cross = int(result.assignments.get("cross_township", pd.Series(dtype=bool)).sum())
        col.metric(t(f"pk_day_{day}"), "—" if share is None else f"{float(share):.0%}",
                   t("pk_day_placed").format(placed=result.placed, shortage=result.total_shortage, cross=cross),
                   delta_color="off", delta_arrow="off")


def summary(content: dict) -> None:
    totals = content["totals"]
    cols = st.columns(6)
    share = totals["share_met_pct"]
    mean = totals["mean_walk_m"]
    for col, (label, value) in zip(cols, (
            (t("pk_m_compounds"), totals["compounds"]), (t("pk_m_shortage"), totals["shortage"]),
            (t("pk_m_placed"), totals["placed"]), (t("pk_m_share"), "—" if share is None else f"{share}%"),
            (t("pk_m_walk"), "—" if mean is None else f"{mean:.0f}"), (t("pk_m_unplaced"), totals["unplaced"]))):
        col.metric(label, f"{value:,}" if isinstance(value, int) else value)
    roads = content["roads"]
    pending = [r for r in roads if r["approval"] == "待县综合执法局审批"]
    if pending:
        st.warning(tf(
            "pk_roads_pending", n=len(pending), cars=sum(r["cars"] for r in pending), names="、".join(r["name"] for r in pending)),
            icon=":material/gavel:")
    if len(roads) > len(pending):
        st.caption(t("pk_roads_ok").format(n=len(roads) - len(pending)))


def plan_map(url: str, skey, key: cache.PlanKey, network, engine) -> None:
    base, tile_key = basemap(engine)
    view = cache.load_plan_layers(url, skey, key, base, network)
    towns_json, towns = load_outline_geojson(url, "township", skey, base)
    bounds = view["bounds"] or (tuple(towns.total_bounds) if len(towns) else None)
    if bounds is None:
        st.caption(t("pk_none"))
        return
    m = make_map(bounds, basemap=base, tianditu_key=tile_key,
                 custom_url=settings.get(engine, "custom_tile_url"), height_px=MAP_HEIGHT)
    build_boundary_layer(towns_json, level="township", name=t("layer_townships")).add_to(m)
    if view["network"]:
        pl.build_network_layer(view["network"], name=t("pk_layer_network")).add_to(m)
    pl.build_shortage_layer(view["compounds"], name=t("pk_layer_compounds")).add_to(m)
    pl.build_assignment_layer(view["lines"], name=t("pk_layer_lines")).add_to(m)
    pl.build_resource_layer(view["resources"], name=t("pk_layer_resources")).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    st_folium(m, key="pk_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
    # the legends go under the map, not on it: on the map they covered compounds, circles and
    # the hover label of whatever lay beneath them
    st.html(legend_html(t("pk_legend_shortage"), view["entries"]))
    st.html(legend_html(t("pk_legend_resources"), pl.resource_legend_entries(network=bool(view["network"]))))


# --------------------------------------------------------------------------- tables
def tables(tabs, content: dict, resources: pd.DataFrame, result: rules.PlanResult, town: str) -> None:
    """The plan's tables in the first three of ``tabs``: assignments, compounds, resources."""
    with tabs[0]:
        table(pd.DataFrame(content["assignments"]),
              ["compound", "resource", "resource_township", "owner_kind", "hours", "weekend_hours", "cars", "walk_m",
               "locked"],
              name=f"{town}车辆安排", key="pk_assignments")
    with tabs[1]:
        table(pd.DataFrame(content["compounds"]),
              ["name", "community", "households", "parking_spaces", "demand", "cars_estimated", "shortage",
               "placed", "unplaced"], name=f"{town}缺口小区", key="pk_compounds")
    with tabs[2]:
        used = result.assignments.groupby("resource_id")["cars"].sum()
        frame = resources.assign(
            assigned=resources["id"].map(used).fillna(0).astype(int),
            hours=[rules.hours_label(o, c) for o, c in zip(resources["weekday_opens"], resources["weekday_closes"])],
            weekend_hours=[rules.hours_label(o, c) for o, c in zip(resources["weekend_opens"],
                                                                   resources["weekend_closes"])],
            note=resources["id"].map(result.reasons).where(resources["status"].isin(q.PLANNABLE), t("pk_paused")))
        table(frame, ["name", "owner_kind", "capacity", "assigned", "hours", "weekend_hours", "status", "contact", "note"],
              name=f"{town}共享停车资源", key="pk_resources")


# --------------------------------------------------------------------------- editing the registers
def _col(name: str) -> str:
    return labelled(pd.DataFrame(columns=[name]), [name]).columns[0]


def edit_registers(engine, scope, demand: pd.DataFrame, resources: pd.DataFrame) -> None:
    if not state.can("edit_parking"):
        st.info(t("pk_edit_denied"))
        return
    flash("edit")
    st.caption(t("pk_edit_help"))
    st.markdown(f"**{t('pk_edit_compounds')}**")
    comp = pd.DataFrame(demand[["id", "name", "community", "households", "parking_spaces", "cars", "demand"]])
    edited = st.data_editor(comp, key="pk_edit_compounds", hide_index=True, width="stretch",
                            placeholder=t("pk_estimated"),
                            disabled=["id", "name", "community", "households", "demand"],
                            column_config={"id": None, **{c: st.column_config.Column(_col(c)) for c in
                                                          ("name", "community", "households", "demand")},
                                           "parking_spaces": st.column_config.NumberColumn(
                                               _col("parking_spaces"), min_value=0, step=1),
                                           "cars": st.column_config.NumberColumn(_col("cars_recorded"), min_value=0,
                                                                                 step=1)})
    if st.button(t("pk_save_compounds"), key="pk_save_compounds"):
        changed, errors = 0, []
        for old, new in zip(comp.itertuples(index=False), edited.itertuples(index=False)):
            before = None if pd.isna(old.parking_spaces) else int(old.parking_spaces)  # None: 未填报
            spaces = before if pd.isna(new.parking_spaces) else int(new.parking_spaces)
            cars = None if pd.isna(new.cars) else int(new.cars)
            if spaces == before and cars == (None if pd.isna(old.cars) else int(old.cars)):
                continue
            try:
                q.update_compound_parking(engine, scope, int(old.id), parking_spaces=spaces, cars=cars,
                                          clear_cars=cars is None, actor=actor())
                changed += 1
            except (ValueError, PermissionError) as exc:  # ScopeError is a PermissionError
                errors.append(f"{old.name}：{exc}")
        _report(changed, errors)
    st.markdown(f"**{t('pk_edit_resources')}**")
    res = pd.DataFrame(resources[["id", "name", "owner_kind", "capacity", "weekday_opens", "weekday_closes",
                                  "weekend_opens", "weekend_closes", "status"]])
    times = {c: st.column_config.TextColumn(_col(c), validate=r"^\d{1,2}[:：]\d{2}$")
             for c in ("weekday_opens", "weekday_closes", "weekend_opens", "weekend_closes")}
    edited_r = st.data_editor(res, key="pk_edit_resources", hide_index=True, width="stretch",
                              disabled=["id", "name", "owner_kind"],
                              column_config={"id": None, "name": st.column_config.Column(_col("name")),
                                             "owner_kind": st.column_config.Column(_col("owner_kind")),
                                             "capacity": st.column_config.NumberColumn(_col("capacity"), min_value=0,
                                                                                       step=1),
                                             "status": st.column_config.SelectboxColumn(
                                                 _col("status"), options=list(q.RESOURCE_STATUSES), required=True),
                                             **times})
    if st.button(t("pk_save_resources"), key="pk_save_resources"):
        changed, errors = 0, []
        for old, new in zip(res.to_dict("records"), edited_r.to_dict("records")):
            old, new = _plain_record(old), _plain_record(new)
            if old == new:
                continue
            try:
                q.update_resource(engine, scope, int(old["id"]),
                                  capacity=None if new["capacity"] is None else int(new["capacity"]),
                                  weekday=(new["weekday_opens"], new["weekday_closes"]),
                                  weekend=(new["weekend_opens"], new["weekend_closes"]), status=new["status"],
                                  actor=actor())
                changed += 1
            except (ValueError, TypeError, PermissionError) as exc:
                errors.append(f"{old['name']}：{exc}")
        _report(changed, errors)
    import_resources(engine, scope)


def import_resources(engine, scope) -> None:
    """Resources from a file (Excel/CSV/GeoJSON, 名称 as the key): check first, then write all or nothing."""
    from data.importers.parking import import_parking
    from ui.imports import run_guarded, show_report

    st.markdown(f"**{t('pk_import')}**")
    st.caption(t("pk_import_help"))
    upload = st.file_uploader(t("pk_import"), type=["xlsx", "csv", "txt", "geojson", "json", "gpkg", "zip"],
                              key="pk_import_file", label_visibility="collapsed")
    if upload is None:
        return
    b1, b2, _ = st.columns([1, 1, 3])
    check, write = b1.button(t("pk_import_check"), key="pk_import_check"), b2.button(
        t("pk_import_go"), key="pk_import_go", type="primary")
    if check or write:
        with st.spinner(t("pk_import_check")):
            report = run_guarded(engine, import_parking, upload.getvalue(), filename=upload.name, dry_run=check,
                                 scope=scope, actor=actor())
        if report is None:
            return
        if report.ok and write:
            cache.clear()
        show_report(report, upload.name, key="dl_pk_import")


def _plain_record(record: dict) -> dict:
    """NaN/NA (未填报) as None, so an untouched unknown compares equal to itself."""
    return {k: (None if not isinstance(v, (list, tuple, dict)) and pd.isna(v) else v) for k, v in record.items()}


def _report(changed: int, errors: list[str]) -> None:
    for line in errors:
        st.error(md_escape(line))
    if changed and not errors:
        _saved(t("pk_saved_rows").format(n=changed))
    elif changed:
        cache.clear()  # the rows that did save show on the next run; the errors stay in view now


def _saved(message: str, where: str = "edit") -> None:
    cache.clear(plan=where != "proposal")  # a proposal written leaves the plan as it was
    for key in ("pk_edit_compounds", "pk_edit_resources"):  # saved: the editors start again from the registers
        st.session_state.pop(key, None)
    st.session_state["pk_flash"] = (where, message, time.monotonic())
    st.rerun()


# --------------------------------------------------------------------------- proposals
def proposals(url: str, engine, scope, skey, township_id: int, town: str, content: dict) -> None:
    editable = state.can("edit_parking")
    flash("proposal")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    title = left.text_input(t("pk_proposal_title"), f"{town}错时停车方案（{date.today():%Y-%m-%d}）",
                            key=f"pk_title_{township_id}", max_chars=200)
    if right.button(t("pk_save"), type="primary", key="pk_save", disabled=not editable, width="stretch"):
        try:
            pid = q.save_proposal(engine, scope, township_id, content, actor=actor(), title=title)
        except (ValueError, PermissionError) as exc:
            st.error(md_escape(str(exc)))
        else:
            st.session_state["pk_proposal"] = pid
            _saved(t("pk_saved").format(id=pid), "proposal")
    if not editable:
        st.caption(t("pk_edit_denied"))
    listing = cache.load_proposals(url, skey)
    if listing.empty:
        st.info(t("pk_no_proposals"))
        return
    table(listing, ["id", "title", "status", "shortage", "placed", "created_by", "created_at", "updated_at"],
          name=f"{town}错时停车方案", key="pk_proposals")
    labels = {int(r.id): f"{r.id} · {r.title}" for r in listing.itertuples()}  # status below: it changes
    from ui import todo

    if (linked := todo.take_link("proposal", labels)) is not None:  # from the overview's to-do: that plan
        st.session_state["pk_proposal"] = linked
        st.info(t("todo_proposal_opened"), icon=":material/local_parking:")
    if st.session_state.get("pk_proposal") not in labels:
        st.session_state.pop("pk_proposal", None)
    pid = st.selectbox(t("pk_pick"), list(labels), format_func=labels.get, key="pk_proposal")
    p = cache.load_proposal(url, skey, int(pid))
    st.markdown(tf("pk_current_status", status=p["status"]))
    approver = state.can("approve_parking")  # the county approves or returns; the township drafts and submits
    mine = [s for s in rules.TRANSITIONS[p["status"]]
            if (approver if s in (rules.APPROVED, rules.RETURNED) else editable)]
    if p["status"] == rules.SUBMITTED and not approver:
        st.caption(t("pk_awaiting_approval"))
    elif mine:
        a, b, c = st.columns([1, 2, 1], vertical_alignment="bottom")
        allowed = mine  # this role's legal moves first; others are refused with the reason
        step = f"{pid}_{p['status']}"  # fresh choices for each proposal and state, never a stale target
        target = a.selectbox(t("pk_target"), allowed + [s for s in rules.STATES if s not in allowed + [p["status"]]],
                             key=f"pk_target_{step}")
        note = b.text_input(t("pk_note"), key=f"pk_note_{step}", max_chars=300)
        if c.button(t("pk_change"), key="pk_change", width="stretch"):
            try:
                q.change_state(engine, scope, int(pid), target, actor=actor(), note=note)
            except (ValueError, PermissionError) as exc:  # StateError: the procedure never bends
                st.error(md_escape(str(exc)))
            else:
                _saved(t("pk_changed").format(old=p["status"], new=target), "proposal")
        if editable and p["status"] in rules.EDITABLE and st.button(t("pk_update"), key="pk_update"):
            q.save_proposal(engine, scope, township_id, content, actor=actor(), proposal_id=int(pid))
            _saved(t("pk_updated").format(id=pid), "proposal")
    table(p["history"], ["at", "actor", "from_status", "to_status", "note"], name=f"方案{pid}流转记录",
          key="pk_history")
    xlsx = cache.load_proposal_xlsx(url, skey, int(pid), state.exported_by(),
                                    datetime.now().strftime("%Y-%m-%d %H:%M"))
    d1, d2, _ = st.columns([1, 1, 3])
    # the Word paper is made at the click (文号, map, contacts by role: a reveal is audited each time)
    account, number = state.current_user(), int(pid)
    with d1:
        state.download(t("pk_docx"), lambda: proposal_document(engine, scope, number, account=account),
                       file_name=f"{p['title']}.docx", key="pk_dl_docx", mime=DOCX)
    name = f"{p['title']}.xlsx"
    d2.download_button(t("pk_xlsx"), xlsx, file_name=name, key="pk_dl_xlsx", on_click=state.log_export,
                       args=(name,))
