"""双随机抽查: set up and make a draw, verify it, record results, publish the list."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import streamlit as st

from data import db, settings
from data.photos import PhotoError
from data.queries import inspection as iq
from ui import cache_inspection as cache
from ui.inspection_form import draw_preview, show_checklist_form
from ui import state as state
from ui.cache import scope_key
from ui import tables as _tables
from ui import todo as todo
from ui.registers import inspector_editor
from ui import cache as cache_places
from ui import setup as setup
from ui.text import headers, md_escape, t, tf

url, engine = db.default_url(), state.engine()
scope = state.scope()
skey = scope_key(scope)
actor = state.current_user()
# an inspector sees and fills in only the checks their team was drawn for
own = actor.inspector_id if actor is not None and actor.role == "inspector" else None
who = cache.viewer_key(actor)  # the data layer shows an unpublished draw to the drawing unit only
today = date.today()


def table(frame: pd.DataFrame, name: str, key: str, notes: dict | None = None) -> None:
    _tables.table(frame, name=name, key=key, notes=notes)


def batch_notes(draw_id) -> dict:
    """A draw's export says which batch it is and how to check it: number, seed, check code."""
    row = draws[draws["draw_id"] == draw_id]
    if row.empty:
        return {}
    r = row.iloc[0]
    return {t("insp_batch_no"): int(r["draw_id"]), t("insp_batch_seed"): str(r["seed"]),
            t("insp_check_code"): r["input_hash"], t("insp_drawn_at"): f"{r['drawn_at']:%Y-%m-%d %H:%M}"}


st.title(t("insp_title"))
setup.guard("pages/inspection.py")  # an empty county: what to import next
st.caption(t("insp_caption"))
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")
# the to-do's link to one check (``?result=``): its draw and the check chosen in 结果登记, if this viewer
# may see it (an unpublished draw stays hidden, as everywhere: data.queries.inspection.visible_to)
asked = st.query_params.get("result")
linked_draw = cache.load_result_draw(url, skey, int(asked), own, who) if (asked or "").isdigit() else None
if (linked := todo.take_link("result", [] if linked_draw is None else [asked])) is not None:
    st.session_state["insp_results_draw"] = linked_draw
    st.session_state["insp_result"] = linked
    st.info(t("todo_result_opened"), icon=":material/fact_check:")
elif asked is not None:
    st.warning(t("todo_result_missing"))
tab_draw, tab_verify, tab_results, tab_public, tab_reg = st.tabs(
    [t("insp_tab_draw"), t("insp_tab_verify"), t("insp_tab_results"), t("insp_tab_public"), t("insp_tab_registers")],
    default=t("insp_tab_results") if state.role() == "inspector" or linked is not None else None)  # own checks first

with tab_draw:
    window = int(settings.get(engine, "inspection_complaint_window_months"))
    left, right = st.columns([1, 2])
    with left:
        months = st.number_input(t("insp_exclude_months"), 0, 36,
                                 int(settings.get(engine, "inspection_exclude_months")), key="insp_exclude")
        cands, excluded = cache.load_candidates(url, skey, today.isoformat(), window, int(months), who)
        staff = cache.load_inspectors(url)
        eligible = len(cands) - len(excluded)
        mode = st.radio(t("insp_count_mode"), ["count", "share"], horizontal=True, key="insp_mode",
                        format_func=lambda m: t(f"insp_by_{m}"))
        if mode == "count":
            n = st.number_input(t("insp_n"), 1, max(1, eligible), min(20, max(1, eligible)), key="insp_n")
        else:
            n = Fraction(int(st.number_input(t("insp_share"), 1, 100, 5, key="insp_share")), 100)
        stratify = st.checkbox(t("insp_stratify"), True, key="insp_stratify")
        weighted = st.checkbox(t("insp_weights"), True, key="insp_weighted")
        team_size = st.number_input(t("insp_team_size"), 2, 6,
                                    max(2, int(settings.get(engine, "inspection_team_size"))), key="insp_team")
        seed_text = st.text_input(t("insp_seed"), key="insp_seed").strip()
        params = {"n": str(n), "mode": mode, "stratify": stratify, "weighted": weighted,
                  "team_size": int(team_size), "months": int(months), "seed": seed_text}
        go = st.button(t("insp_preview_button"), key="insp_go",
                       disabled=eligible < 1 or not state.can("run_draws"))
        if not state.can("run_draws"):
            st.caption(t("acc_read_only"))
    with right:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("insp_candidates"), eligible)
        c2.metric(t("insp_inspectors"), int(staff["active"].sum()) if len(staff) else 0)
        c3.metric(t("insp_excluded"), len(excluded))
        if staff.empty:
            st.warning(t("rg_inspectors_empty"))
        if go:
            if seed_text and not (seed_text.isdigit() and int(seed_text) > 0):
                st.error(t("insp_seed_bad"))
            else:
                st.session_state["insp_preview"] = params
        if st.session_state.get("insp_preview") == params:
            draw_preview(cands[~cands["id"].isin(excluded)], n, stratify=stratify, team_size=int(team_size),
                         staff=staff)
            if st.button(t("insp_confirm_button"), type="primary", key="insp_confirm"):
                try:
                    with st.spinner(t("insp_draw_button")):
                        rec = iq.run_draw(engine, scope, n=int(n) if mode == "count" else n, actor=actor,
                                          seed=int(seed_text) if seed_text else None, stratify=stratify,
                                          use_weights=weighted, exclude_months=int(months),
                                          team_size=int(team_size))
                    cache.clear()
                    st.session_state.pop("insp_preview", None)
                    st.session_state["insp_draw_id"] = rec.draw_id
                    st.session_state["insp_flash_draw"] = t("insp_drawn").format(
                        id=rec.draw_id, n=len(rec.result.picks), seed=rec.seed, hash=rec.input_hash[:16])
                    st.rerun()
                except (ValueError, PermissionError) as exc:  # RecusalError too: the rule is never bent
                    st.error(md_escape(str(exc)))
        flash = st.session_state.pop("insp_flash_draw", None)
        if flash:
            st.success(flash)
        draws = cache.load_draws(url, skey, who)
        if draws.empty:
            st.info(t("insp_no_draws"))
        else:
            table(draws, t("insp_draw"), "draws")
            # the batch just drawn (or the latest): its list stays here across reloads
            shown_id = st.session_state.get("insp_draw_id")
            shown_id = shown_id if shown_id in set(draws["draw_id"]) else int(draws["draw_id"].max())
            st.subheader(t("insp_batch_list").format(id=shown_id))
            fresh = cache.load_draw_results(url, skey, int(shown_id), today.isoformat(), viewer=who)
            table(fresh[["compound", "township", "company", "team", "team_units"]], t("insp_this_draw"), "fresh")
    with st.expander(t("insp_candidate_table")):
        shown = cands.drop(columns=["township_id", "company_id"]).assign(
            excluded=cands["id"].isin(excluded))
        table(shown, t("insp_candidate_table"), "candidates")

draws = cache.load_draws(url, skey, who)
draw_ids = list(draws["draw_id"])
labels = {int(r.draw_id): f"{r.draw_id} · {r.drawn_at:%Y-%m-%d}" for r in draws.itertuples()}


def pick_draw(key: str):
    if not draw_ids:
        st.info(t("insp_no_draws"))
        return None
    current = st.session_state.get("insp_draw_id")
    # a value already in the session (the user's, or a to-do link's) wins; a second default would warn
    index = draw_ids.index(current) if current in draw_ids and key not in st.session_state else 0
    return st.selectbox(t("insp_draw"), draw_ids, index=index, format_func=labels.get, key=key)


with tab_verify:
    draw_id = pick_draw("insp_verify_draw")
    if draw_id is not None:
        st.caption(t("insp_verify_help"))
        if st.button(t("insp_verify_button"), type="primary", key="insp_verify"):
            result = iq.verify_draw(engine, int(draw_id))
            (st.success if result.ok else st.error)(result.message())
        st.caption(t("insp_cli_hint"))
        st.code(f"python -m data verify-draw {draw_id}", language="bash")
        table(cache.load_draw_results(url, skey, int(draw_id), today.isoformat(), viewer=who),
              f"{t('insp_draw')}{draw_id}", "verify", batch_notes(draw_id))

with tab_results:
    draw_id = pick_draw("insp_results_draw")
    if draw_id is not None:
        results = cache.load_draw_results(url, skey, int(draw_id), today.isoformat(), own, who)
        table(results, f"{t('insp_draw')}{draw_id}", "results", batch_notes(draw_id))
        names = dict(zip(results["result_id"], results["compound"]))
        result_id = st.selectbox(t("insp_pick_result"), list(names), format_func=names.get, key="insp_result")
        if result_id is not None and not state.can("record_checks"):
            st.caption(t("acc_read_only"))
        elif result_id is not None:
            show_checklist_form(engine, scope, int(result_id), results, actor=actor, today=today)
            st.subheader(t("insp_follow_up"))
            f1, f2 = st.columns(2)
            done_flag = f1.checkbox(t("insp_rectified"), key="insp_rectified_flag")
            rectified_at = f1.date_input(t("insp_rectified_at"), today, key="insp_rectified_at")
            note = f2.text_area(t("insp_follow_note"), key="insp_follow_note")
            if st.button(t("insp_save_follow"), key="insp_follow_save"):
                try:
                    iq.record_follow_up(engine, scope, int(result_id), actor=actor, note=note,
                                        rectified_at=rectified_at if done_flag else None)
                    cache.clear()
                    st.success(t("insp_saved").format(verdict=t("insp_follow_up")))
                except (ValueError, PermissionError) as exc:
                    st.error(md_escape(str(exc)))
            files = st.file_uploader(t("insp_upload"), accept_multiple_files=True, key="insp_photos")
            seen = st.session_state.setdefault("insp_seen_files", set())
            for f in files or []:
                if f.file_id in seen:  # the uploader keeps its files across reruns: store each once
                    continue
                seen.add(f.file_id)
                try:
                    iq.add_result_photo(engine, scope, int(result_id), f.getvalue(), f.name, actor=actor)
                except (PhotoError, PermissionError) as exc:
                    st.error(md_escape(f"{f.name}：{exc}"))
            photos = iq.result_photos(engine, scope, int(result_id), actor=actor)
            if len(photos):
                table(photos.drop(columns=["sha256"]), t("insp_photos"), "result_photos")

with tab_public:
    st.caption(t("insp_public_note"))
    draw_id = pick_draw("insp_public_draw")
    if draw_id is not None:
        published = bool(draws.set_index("draw_id").loc[draw_id, "published"])
        if state.can("run_draws") and st.button(t("insp_unpublish") if published else t("insp_publish"),
                                                key="insp_publish_btn"):
            iq.set_published(engine, int(draw_id), not published, actor=actor)
            cache.clear()
            st.rerun()
    table(cache.load_published(url, skey), t("insp_tab_public"), "public")
    overdue = cache.load_overdue_checks(url, skey, today.isoformat(), who)
    st.subheader(t("insp_overdue"))
    table(overdue, t("insp_overdue"), "overdue")

with tab_reg:
    staff = cache.load_inspectors(url)
    table(staff.drop(columns=["id", "township_id", "linked_company_ids"]), t("insp_inspectors"), "inspectors")
    places = cache_places.load_townships(url, (None, None))
    towns = dict(zip(places["id"].astype(int), places["name"]))
    inspector_editor(engine, staff, towns, on_saved=cache.clear)
    st.subheader(t("insp_items"))
    items = cache.load_check_items(url, False).drop(columns=["id"])
    if not state.can("run_draws"):
        table(items, t("insp_items"), "items")
    else:
        edited = st.data_editor(items, num_rows="dynamic", hide_index=True, key="insp_checklist",
                                column_config={c: st.column_config.Column(label) for c, label in
                                               headers(items.columns).items()})
    if state.can("run_draws") and st.button(t("insp_checklist_save"), key="insp_checklist_save"):
        errors = iq.save_check_items(engine, edited, actor=actor)
        for line in errors:
            st.error(md_escape(line))
        if not errors:
            cache.clear()
            st.success(t("insp_checklist_saved"))
