"""The unmatched queue's manual matching (数据管理 · 未匹配诉求): the top 3 candidates with their
scores and one-click confirmation, a search over every compound, and the name learned as an alias."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data.queries import complaint_stats as cs
from data.scope import Scope, ScopeError
from ui import cache, cache_version, state
from ui.text import md_escape, t


@st.cache_data(show_spinner=False, max_entries=256)
def load_candidates(url: str, scope: cache.ScopeKey, order_no: str) -> list[tuple[int, str, float]]:
    """(compound id, name, score) of the best 3 compounds for one order (cleared with the queue)."""
    return [(c.compound_id, c.name, c.score)
            for c in cs.match_candidates(cache._engine(url), Scope(*scope), order_no, limit=3)]


def _assign(order: str, compound_id: int, label: str, learn: bool) -> None:
    try:
        cs.assign_compound(state.engine(), state.scope(), order, int(compound_id), actor=state.current_user(),
                           learn_alias=learn)
    except ScopeError as exc:
        st.error(str(exc))
        return
    cache_version.clear_all()  # every app process
    st.session_state["assign_done"] = t("dp_assign_done").format(order=md_escape(order), compound=md_escape(label))
    st.rerun()


def show_assign(url: str, queue: pd.DataFrame) -> None:
    """Pick an order; confirm one of its candidates with one click, or search any compound."""
    scope = state.scope()
    skey = cache.scope_key(scope)
    where = queue["address"].fillna(queue["content"].str.slice(0, 24)).fillna("")
    brief = dict(zip(queue["order_no"], queue["order_no"] + " · " + where))
    order = st.selectbox(t("dp_assign_order"), list(brief), format_func=brief.get, key="assign_order")
    row = queue[queue["order_no"] == order].iloc[0]
    st.caption(t("dp_order_text").format(order=md_escape(order), name=md_escape(row.get("compound_name") or "—"),
                                         address=md_escape(row.get("address") or "—")))
    learn = st.checkbox(t("dp_learn_alias"), value=True, key="assign_learn")
    st.markdown(f"**{t('dp_candidates')}**")
    candidates = load_candidates(url, skey, order)
    if not candidates:
        st.caption(t("dp_candidates_none"))
    cols = st.columns(max(len(candidates), 1))
    for col, (cid, name, score) in zip(cols, candidates):
        if col.button(t("dp_candidate_confirm").format(name=md_escape(name), score=score), key=f"cand_{order}_{cid}",
                      width="stretch"):
            _assign(order, cid, name, learn)
    compounds = cache.load_compounds(url, skey)
    names = dict(zip(compounds["id"], compounds["name"] + " · " + compounds["township"] + " · "
                     + compounds["community"].fillna("")))
    with st.form("assign_form"):
        compound = st.selectbox(t("dp_assign_compound"), list(names), format_func=names.get,
                                index=None, key="assign_compound", placeholder=t("dp_assign_pick"))
        if st.form_submit_button(t("dp_assign_go"), type="primary") and compound is not None:
            _assign(order, compound, names[compound], learn)


def show_learned_aliases(url: str) -> None:
    """Aliases learned from confirmations, newest first, each one removable (a wrong click is undone)."""
    scope = state.scope()
    frame = cs.learned_aliases(cache._engine(url), scope)
    if frame.empty:
        return
    with st.expander(t("dp_aliases").format(n=len(frame))):
        from ui import tables

        tables.table(frame, ["alias", "compound", "created_by", "created_at"], name="已学习的小区别名",
                     key="dp_aliases", prefix="alias_")
        if state.can("import"):
            labels = dict(zip(frame["id"], frame["alias"] + " → " + frame["compound"]))
            pick = st.selectbox(t("dp_alias_forget"), list(labels), format_func=labels.get, index=None,
                                key="dp_alias_pick", placeholder=t("choose_one"))
            if pick is not None and st.button(t("dp_alias_forget_go"), key="dp_alias_forget"):
                try:
                    cs.delete_alias(state.engine(), scope, int(pick), actor=state.current_user())
                except (ScopeError, PermissionError) as exc:
                    st.error(str(exc))
                else:
                    cache_version.clear_all()  # every app process
                    st.rerun()


# --------------------------------------------------------------------------- 12345 category table


@st.cache_data(show_spinner=False)
def load_category_map(url: str) -> tuple[pd.DataFrame, list[str]]:
    """The table as stored (defaults and edits) and the product's categories (the editor's choices)."""
    from data.queries.duties import category_map, product_categories

    engine = cache._engine(url)
    table = category_map(engine)
    frame = pd.DataFrame({"source_category": list(table), "product_category": list(table.values())})
    return frame.sort_values(["product_category", "source_category"], ignore_index=True), \
        product_categories(engine)


def category_changes(stored: pd.DataFrame, edited: pd.DataFrame) -> list[tuple[str, str | None]]:
    """(12345 name, product category or None to remove) for every row the editor changed."""
    before = dict(zip(stored["source_category"], stored["product_category"]))
    after = {}
    for src, cat in zip(edited["source_category"], edited["product_category"]):
        src = "" if pd.isna(src) else str(src).strip()
        cat = None if pd.isna(cat) or not str(cat).strip() else str(cat).strip()
        if src:
            after[src] = cat
    out = [(s, c) for s, c in after.items() if before.get(s) != c]
    out += [(s, None) for s in before if s not in after]  # a deleted row removes the mapping
    return out


def show_category_map(url: str) -> None:
    """The table beside the duty matrix: editable by 住建局 and 管理员 (``edit_registers``), read by others."""
    from data.queries.duties import set_category_map

    st.subheader(t("cp_catmap_title"))
    st.caption(t("cp_catmap_help"))
    stored, choices = load_category_map(url)
    if not state.can("edit_registers"):
        from ui import tables

        tables.table(stored, ["source_category", "product_category"], name="诉求类别对照", key="cp_catmap",
                     empty=t("no_data"))
        return
    edited = st.data_editor(
        stored, key="cp_catmap_editor", num_rows="dynamic", hide_index=True, width="stretch", height=360,
        column_config={
            "source_category": st.column_config.TextColumn(headers_label("source_category"), max_chars=100,
                                                             required=True),
            "product_category": st.column_config.SelectboxColumn(
                headers_label("product_category"), options=choices, required=True)})
    if st.button(t("cp_catmap_save"), key="cp_catmap_save"):
        changes = category_changes(stored, edited)
        try:
            for source, category in changes:
                set_category_map(state.engine(), source, category, actor=state.current_user())
        except (ValueError, PermissionError) as exc:
            st.error(str(exc))
        else:
            load_category_map.clear()
            st.success(t("cp_catmap_saved").format(n=len(changes)))


def headers_label(column: str) -> str:
    from ui.text import headers

    return headers([column]).get(column, column)
