"""待办: the to-do panel at the top of 总览 — what a township officer's day starts with.

Counts per kind (with the overdue ones as the delta), the most urgent item with
a link to the page that handles it, and the whole list, overdue first. A row
about a compound, once selected, opens that compound on the home map with the
same mechanism as the overview's tables (``mapview.select`` and a move to its
bounds, done before the map is drawn).

Who sees it how (:func:`show`): a township officer (``township``) lands here,
so the panel is open above the tiles; the county's roles that act on some of
the items (县领导 / 专班, 住建局) and the community see it folded into one line
that still says how many items and how many are overdue — the county overview's
tiles and map stay in view, the list is one click away. An inspector starts on
their checks and an administrator has no such work: no panel.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from data import db
from data.queries import todo as td
from data.queries.inspection import Viewer
from data.scope import Scope
from ui import cache as cache
from ui import mapview
from ui import state as state
from ui.nav import PAGES
from ui.tables import for_display
from ui.text import headers, t, tf, tv

EXPANDED_ROLES = frozenset({"township"})
FOLDED_ROLES = frozenset({"leader", "housing", "community"})
KIND_KEYS = {td.REGISTER: "register", td.CASE: "case", td.PARKING: "parking", td.RECTIFICATION: "rectification"}
SHOWN = ["todo_overdue", "todo_kind", "todo_item", "todo_compound", "todo_township", "todo_due_date",
         "todo_state", "todo_link"]


@st.cache_data(show_spinner=False, ttl=300)
def load_todo(url: str, scope: tuple[int | None, int | None], day: str, minute: str,
              viewer: tuple[str | None, int | None]) -> pd.DataFrame:
    """The scope's to-do as of ``minute`` (cases age by the minute; ``day`` for the dated kinds)."""
    return td.todo(db.shared_engine(url), Scope(*scope), date.fromisoformat(day), viewer=Viewer(*viewer),
                   now=datetime.fromisoformat(minute))


def kind_label(kind: str) -> str:
    return t(f"todo_kind_{KIND_KEYS[kind]}")


def _page_label(path: str) -> str:
    spec = next((p for p in PAGES if p.path == path), None)
    return t(spec.title_key) if spec else path


# the item's id in the link, under one name per kind: the hand-off a page can read to open the item itself
PARAMS = {td.REGISTER: "item", td.CASE: "case", td.PARKING: "proposal", td.RECTIFICATION: "result"}


def _params(row) -> dict[str, str]:
    return {PARAMS[row["kind"]]: str(int(row["ref_id"]))}


def take_link(name: str, ids) -> int | None:
    """The item a to-do link asked its page for (``?case=12``) if it is among ``ids``, read once:
    the parameter leaves the URL, so the user's own choices afterwards are not overridden."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    del st.query_params[name]
    try:
        wanted = int(raw)
    except ValueError:
        return None
    return wanted if wanted in {int(i) for i in ids} else None


def _page_url(row) -> str:
    """The item's address relative to the app (``st.Page`` names a page after its file)."""
    key, value = next(iter(_params(row).items()))
    return f"{row['page'].removeprefix('pages/').removesuffix('.py')}?{key}={value}"


def _due_text(row) -> str:
    due = row["due_date"]
    return t("todo_no_due") if due is None or pd.isna(due) else t("todo_due").format(date=f"{due:%Y-%m-%d}")


def show(page: str = "home") -> None:
    """The panel for the signed-in user (see the module notes for who sees it how)."""
    account = state.current_user()
    role = account.role if account is not None else None
    if role not in EXPANDED_ROLES | FOLDED_ROLES:
        return
    url, scope = db.default_url(), state.scope()
    from ui import register as rg

    rg.sync(rg.month_of(state.period()))  # the register's items exist before they are listed
    now = datetime.now().replace(second=0, microsecond=0)
    viewer = Viewer.of(account)
    try:
        frame = load_todo(url, cache.scope_key(scope), now.date().isoformat(), now.isoformat(),
                          (viewer.role, viewer.inspector_id))
    except Exception as exc:  # noqa: BLE001 - the overview still opens; the reason is said in Chinese
        st.warning(tf("todo_error", error=str(exc)))
        return
    late = int(frame["overdue"].sum())
    if role in EXPANDED_ROLES:
        with st.container(border=True, key="todo_panel"):
            st.subheader(t("todo_title"))
            _body(frame, page=page, scope=scope)
    else:
        # built only once opened: the county's overview keeps its tiles, tables and map as they were
        fold = st.expander(t("todo_label").format(n=len(frame), late=late), expanded=False, key="todo_fold",
                           icon=":material/checklist:", on_change="rerun")
        if fold.open:
            with fold:
                _body(frame, page=page, scope=scope)


def _body(frame: pd.DataFrame, *, page: str, scope: Scope) -> None:
    if frame.empty:
        st.caption(t("todo_none"))
        return
    for col, (kind, (n, late)) in zip(st.columns(len(td.KINDS)), td.counts(frame).items()):
        col.metric(kind_label(kind), f"{n:,}", t("todo_overdue_delta").format(n=late) if late else None,
                   delta_color="inverse" if late else "off", delta_arrow="off", border=True)
    rows = frame.reset_index(drop=True)
    chosen = _take_pick(rows, page=page, scope=scope)
    row = rows.iloc[chosen if chosen is not None else 0]
    line = st.columns([4, 1], vertical_alignment="center")
    line[0].markdown((f":red-badge[{t('todo_overdue_mark')}] " if row["overdue"] else "") + tf(
        "todo_selected" if chosen is not None else "todo_first", kind=kind_label(row["kind"]), title=row["title"],
        due=_due_text(row)))
    with line[1]:
        st.page_link(row["page"], label=f"{t('todo_open')} · {_page_label(row['page'])}", query_params=_params(row),
                     icon=":material/arrow_forward:")
    if chosen is not None and not pd.isna(row["compound_id"]):
        st.caption(tf("todo_on_map", compound=row["compound"]))
    _table(rows, county=scope.township_id is None)
    st.caption(t("todo_caption"))


def _shown(rows: pd.DataFrame, *, county: bool) -> pd.DataFrame:
    out = pd.DataFrame({
        "todo_overdue": rows["overdue"].map(lambda v: t("todo_overdue_mark") if v else ""),
        "todo_kind": rows["kind"].map(kind_label),
        "todo_item": rows["title"],
        "todo_compound": rows["compound"].fillna(""),
        "todo_township": rows["township"].fillna(""),
        "todo_due_date": rows["due_date"].map(lambda d: "" if d is None or pd.isna(d) else f"{d:%Y-%m-%d}"),
        "todo_state": rows["state"].map(tv),
        "todo_link": [_page_url(r) for _, r in rows.iterrows()],
    })
    return out if county else out.drop(columns="todo_township")


def _table(rows: pd.DataFrame, *, county: bool) -> None:
    shown = _shown(rows, county=county)
    names = headers(shown.columns)
    config = {names["todo_link"]: st.column_config.LinkColumn(display_text=t("todo_open"), width="small"),
              names["todo_item"]: st.column_config.TextColumn(width="large"),
              names["todo_overdue"]: st.column_config.TextColumn(width="small")}
    st.dataframe(for_display(shown.rename(columns=names)), hide_index=True, width="stretch", column_config=config,
                 on_select="rerun", selection_mode="single-row", key="pick_todo",
                 height=min(38 + 35 * len(shown), 248))
    export = shown.drop(columns="todo_link").assign(todo_link=rows["page"].map(_page_label))
    state.download_xlsx(t("download_xlsx"), export.rename(columns=headers(export.columns)), key="dl_todo",
                        sheet_name=t("todo_title"), file_name=f"{t('todo_title')}.xlsx", dated=False)


def _take_pick(rows: pd.DataFrame, *, page: str, scope: Scope) -> int | None:
    """The row selected in the list (its index), moving the map to its compound once per new pick.

    Runs before the home map is drawn, as ``ui.overview.take_pick`` does for the tables below it.
    """
    picked = ((st.session_state.get("pick_todo") or {}).get("selection") or {}).get("rows") or []
    if not picked or picked[0] >= len(rows):
        return None
    index = int(picked[0])
    marker = (index, int(rows.iloc[index]["ref_id"]), rows.iloc[index]["kind"])
    if st.session_state.get("picked_todo") != marker:
        st.session_state["picked_todo"] = marker
        compound = rows.iloc[index]["compound_id"]
        if not pd.isna(compound):
            mapview.select(page, int(compound))
            bounds = cache.compound_bounds(db.default_url(), cache.scope_key(scope), int(compound),
                                           st.session_state.get("basemap", "none"))
            if bounds is not None:
                mapview.move_to_bounds(page, bounds)
    return index
