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
from ui import state as state
from ui.cache import scope_key
from ui import tables as _tables
from ui import setup as setup
from ui.text import headers, t
from policy.inspection import VERDICTS

url, engine = db.default_url(), state.engine()
scope = state.scope()
skey = scope_key(scope)
actor = state.current_user()
# an inspector sees and fills in only the checks their team was drawn for
own = actor.inspector_id if actor is not None and actor.role == "inspector" else None
today = date.today()


def table(frame: pd.DataFrame, name: str, key: str) -> None:
    _tables.table(frame, name=name, key=key)


st.title(t("insp_title"))
setup.guard("pages/inspection.py")  # an empty county: what to import next
st.caption(t("insp_caption"))
if state.is_demo():
    st.info(t("demo_note"), icon=":material/science:")
tab_draw, tab_verify, tab_results, tab_public, tab_reg = st.tabs(
    [t("insp_tab_draw"), t("insp_tab_verify"), t("insp_tab_results"), t("insp_tab_public"), t("insp_tab_registers")])

with tab_draw:
    window = int(settings.get(engine, "inspection_complaint_window_months"))
    left, right = st.columns([1, 2])
    with left:
        months = st.number_input(t("insp_exclude_months"), 0, 36,
                                 int(settings.get(engine, "inspection_exclude_months")), key="insp_exclude")
        cands, excluded = cache.load_candidates(url, skey, today.isoformat(), window, int(months))
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
        go = st.button(t("insp_draw_button"), type="primary", key="insp_go",
                       disabled=eligible < 1 or not state.can("run_draws"))
        if not state.can("run_draws"):
            st.caption(t("acc_read_only"))
    with right:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("insp_candidates"), eligible)
        c2.metric(t("insp_inspectors"), len(staff))
        c3.metric(t("insp_excluded"), len(excluded))
        fresh_id = None
        if go:
            if seed_text and not (seed_text.isdigit() and int(seed_text) > 0):
                st.error(t("insp_seed_bad"))
            else:
                try:
                    with st.spinner(t("insp_draw_button")):
                        rec = iq.run_draw(engine, scope, n=int(n) if mode == "count" else n, actor=actor,
                                          seed=int(seed_text) if seed_text else None, stratify=stratify,
                                          use_weights=weighted, exclude_months=int(months),
                                          team_size=int(team_size))
                    cache.clear()
                    st.session_state["insp_draw_id"] = fresh_id = rec.draw_id
                    st.success(t("insp_drawn").format(id=rec.draw_id, n=len(rec.result.picks), seed=rec.seed,
                                                      hash=rec.input_hash[:16]))
                except (ValueError, PermissionError) as exc:  # RecusalError too: the rule is never bent
                    st.error(str(exc))
        draws = cache.load_draws(url, skey)
        if draws.empty:
            st.info(t("insp_no_draws"))
        else:
            table(draws, t("insp_draw"), "draws")
        if fresh_id is not None:
            st.subheader(t("insp_this_draw"))
            fresh = cache.load_draw_results(url, skey, fresh_id, today.isoformat())
            table(fresh[["compound", "township", "company", "team", "team_units"]], t("insp_this_draw"), "fresh")
    with st.expander(t("insp_candidate_table")):
        shown = cands.drop(columns=["township_id", "company_id"]).assign(
            excluded=cands["id"].isin(excluded))
        table(shown, t("insp_candidate_table"), "candidates")

draws = cache.load_draws(url, skey)
draw_ids = list(draws["draw_id"])
labels = {int(r.draw_id): f"{r.draw_id} · {r.drawn_at:%Y-%m-%d}" for r in draws.itertuples()}


def pick_draw(key: str):
    if not draw_ids:
        st.info(t("insp_no_draws"))
        return None
    current = st.session_state.get("insp_draw_id")
    index = draw_ids.index(current) if current in draw_ids else 0
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
        table(cache.load_draw_results(url, skey, int(draw_id), today.isoformat()), t("insp_draw"), "verify")

with tab_results:
    draw_id = pick_draw("insp_results_draw")
    if draw_id is not None:
        results = cache.load_draw_results(url, skey, int(draw_id), today.isoformat(), own)
        table(results, t("insp_draw"), "results")
        names = dict(zip(results["result_id"], results["compound"]))
        result_id = st.selectbox(t("insp_pick_result"), list(names), format_func=names.get, key="insp_result")
        if result_id is not None and not state.can("record_checks"):
            st.caption(t("acc_read_only"))
        elif result_id is not None:
            items = iq.result_items(engine, scope, int(result_id))
            with st.form("insp_result_form"):
                edited = st.data_editor(items.assign(passed=items["passed"].fillna(True).astype(bool)),
                                        disabled=["item_id", "code", "name"], hide_index=True,
                                        column_config={"item_id": None}, key="insp_items_editor")
                checked_at = st.date_input(t("insp_checked_at"), today, key="insp_checked_at")
                verdict = st.selectbox(t("insp_verdict"), [None, *VERDICTS], key="insp_verdict_pick",
                                       format_func=lambda v: t("insp_auto") if v is None else v)
                if st.form_submit_button(t("insp_save")):
                    marks = {int(r.item_id): (bool(r.passed), r.note if isinstance(r.note, str) else None)
                             for r in edited.itertuples()}
                    try:
                        done = iq.record_result(engine, scope, int(result_id), items=marks,
                                                checked_at=checked_at, actor=actor, verdict=verdict)
                    except (ValueError, PermissionError) as exc:
                        st.error(str(exc))
                    else:
                        cache.clear()
                        st.success(t("insp_saved").format(verdict=done))
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
                    st.error(str(exc))
            files = st.file_uploader(t("insp_upload"), accept_multiple_files=True, key="insp_photos")
            seen = st.session_state.setdefault("insp_seen_files", set())
            for f in files or []:
                if f.file_id in seen:  # the uploader keeps its files across reruns: store each once
                    continue
                seen.add(f.file_id)
                try:
                    iq.add_result_photo(engine, scope, int(result_id), f.getvalue(), f.name, actor=actor)
                except (PhotoError, PermissionError) as exc:
                    st.error(f"{f.name}：{exc}")
            photos = iq.result_photos(engine, scope, int(result_id))
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
    overdue = iq.overdue_rectifications(engine, scope, today)
    st.subheader(t("insp_overdue"))
    table(overdue, t("insp_overdue"), "overdue")

with tab_reg:
    table(cache.load_inspectors(url).drop(columns=["township_id", "linked_company_ids"]),
          t("insp_inspectors"), "inspectors")
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
            st.error(line)
        if not errors:
            cache.clear()
            st.success(t("insp_checklist_saved"))
