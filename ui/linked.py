"""Linked views: tables whose rows select a compound (or township) on a small map beside them.

A page lists compounds or townships in one or more tables (红黑榜, 投诉排名, 问责台账 …).
:class:`LinkedView` makes those tables single-row selectable and keeps one
selection per page, ``("compound" | "township", id)``:

- a row picked in a table zooms the page's small map to it, outlines it and opens
  its record (the compound's summary, with a link to the full 小区档案);
- a compound (or, at county zoom, a township) clicked on the map selects its row
  in every table that lists it, and clears the rows of the others;
- the selection lives in the URL (``?compound=…`` or ``?township=…``), so a reload
  or a shared link opens the same row, map and record.

The map is the 总览 map in small: the same cached outline, place and compound
layers (``ui/cache.py``) and the same view state (``ui/mapview.py``).

Streamlit keeps a keyed table's row selection when its data change; a row number
would then point at another compound. Each table's widget key therefore carries a
digest of its rows: new rows are a new table, whose selection starts at the row of
the page's selection (``selection_default``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from ui import cache, mapview
from ui import tables as _tables
from ui.text import md_escape, t

KINDS = ("compound", "township")  # what a row can show on the map
_NO_ROWS = {"selection": {"rows": [], "columns": [], "cells": []}}


@dataclass(frozen=True)
class Source:
    """One selectable table: its frame, the column with the id, and what a row is.

    ``kind`` is ``"compound"`` or ``"township"``, or with ``kind_column`` the column
    that says it per row (问责台账: compound, township, company …; only the first two
    have a place on the map).
    """

    key: str
    frame: pd.DataFrame
    id_column: str
    kind: str = "compound"
    kind_column: str | None = None
    widget_key: str = field(init=False)

    def __post_init__(self):
        ids = self.frame[self.id_column].astype(str).tolist() if len(self.frame) else []
        kinds = self.frame[self.kind_column].astype(str).tolist() if self.kind_column and len(self.frame) else []
        digest = hashlib.blake2s(repr((ids, kinds)).encode(), digest_size=5).hexdigest()
        object.__setattr__(self, "widget_key", f"{self.key}_{digest}")

    def target(self, row: int) -> tuple[str, int] | None:
        """What row ``row`` shows on the map, or None (out of range, no id, a company …)."""
        if not 0 <= row < len(self.frame):
            return None
        r = self.frame.iloc[row]
        kind = r[self.kind_column] if self.kind_column else self.kind
        value = r[self.id_column]
        if kind not in KINDS or value is None or pd.isna(value):
            return None
        return str(kind), int(value)

    def row_of(self, target: tuple[str, int] | None) -> int | None:
        """The first row that shows ``target``, or None."""
        if target is None or not len(self.frame):
            return None
        kind, value = target
        ids = pd.to_numeric(self.frame[self.id_column], errors="coerce")
        hit = ids == value
        if self.kind_column:
            hit &= self.frame[self.kind_column] == kind
        elif self.kind != kind:
            return None
        rows = hit.to_numpy().nonzero()[0]
        return int(rows[0]) if len(rows) else None


def _rows(value) -> list[int] | None:
    """The selected rows of a table's widget state, or None (the table has not been drawn yet)."""
    if value is None:
        return None
    try:
        return [int(r) for r in (value.get("selection") or {}).get("rows") or []]
    except (AttributeError, TypeError, ValueError):
        return None


class LinkedView:
    """One page's selectable tables, its small map and its record panel.

    Create it before any of its tables is drawn (it settles the selection from the
    URL, the tables' rows and the last map click), then draw with :meth:`table`,
    :meth:`show_map` and :meth:`show_record` in any layout.
    """

    def __init__(self, page: str, sources: list[Source], *, url: str, scope_key, period_key=None,
                 map_height: int = 420):
        if period_key is None:  # the sidebar's period (the record's complaint count)
            from ui import state

            period = state.period()
            period_key = cache.period_key(period) if period else None
        self.page, self.url, self.skey, self.pkey = page, url, scope_key, period_key
        self.sources = {s.key: s for s in sources}
        self.map_height = map_height
        self._hinted = False
        self.new_picks: dict[str, int] = {}  # source key → the row picked in it since the last run
        self._restore()
        self._take_picks()
        self._sync_tables()
        self._write_url()

    # ------------------------------------------------------------------ the selection
    @property
    def selection(self) -> tuple[str, int] | None:
        return st.session_state.get(f"{self.page}_linked")

    def _set(self, target: tuple[str, int] | None, *, move: bool, no_place: str | None = None) -> None:
        """Select ``target``; ``no_place``: the table whose picked row has no place on the map."""
        if move and target is not None and target != self.selection:
            st.session_state[f"{self.page}_linked_move"] = True
        st.session_state[f"{self.page}_linked"] = target
        st.session_state[f"{self.page}_linked_no_place"] = no_place

    def _restore(self) -> None:
        """Once per session: the selection from the URL (a reload, a shared link)."""
        done = f"{self.page}_linked_url_read"
        if st.session_state.get(done):
            return
        st.session_state[done] = True
        for kind in KINDS:
            value = st.query_params.get(kind, "")
            if value.isdigit():
                self._set((kind, int(value)), move=True)
                return

    def _take_picks(self) -> None:
        """A row picked (or unpicked) in a table since the last run becomes the page's selection."""
        for src in self.sources.values():
            rows = _rows(st.session_state.get(src.widget_key))
            if rows is None:
                continue
            seen = f"{self.page}_linked_seen_{src.key}"
            before = st.session_state.get(seen)
            st.session_state[seen] = (src.widget_key, tuple(rows))
            if before == (src.widget_key, tuple(rows)):
                continue
            if rows:
                self.new_picks[src.key] = rows[0]
                target = src.target(rows[0])
                self._set(target, move=True, no_place=src.key if target is None else None)
            elif before is not None and before[0] == src.widget_key and before[1]:
                self._set(None, move=False)  # the user cleared the row

    def _sync_tables(self) -> None:
        """Every drawn table shows the selection's row (or none): a map click, another table's pick."""
        chosen = self.selection
        for src in self.sources.values():
            rows = _rows(st.session_state.get(src.widget_key))
            if rows is None or (rows and src.target(rows[0]) == chosen and chosen is not None):
                continue
            if rows and st.session_state.get(f"{self.page}_linked_no_place") == src.key:
                continue  # a company's row stays selected, with nothing to show on the map
            want = src.row_of(chosen)
            want_rows = [] if want is None else [want]
            if rows != want_rows:
                st.session_state[src.widget_key] = {"selection": {"rows": want_rows, "columns": [], "cells": []}}
                st.session_state[f"{self.page}_linked_seen_{src.key}"] = (src.widget_key, tuple(want_rows))

    def _write_url(self) -> None:
        chosen = self.selection
        params = st.query_params
        for kind in KINDS:
            value = str(chosen[1]) if chosen is not None and chosen[0] == kind else None
            if value is None:
                if kind in params:
                    del params[kind]
            elif params.get(kind) != value:
                params[kind] = value

    # ------------------------------------------------------------------ drawing
    def table(self, key: str, columns: list[str], *, name: str, prefix: str = "", empty: str | None = None,
              height: int | None = None, title: str | None = None) -> pd.DataFrame:
        """Source ``key`` as a single-row selectable table with its Excel download (``ui.tables.table``)."""
        src = self.sources[key]
        row = src.row_of(self.selection)
        select = {"on_select": "rerun", "selection_mode": "single-row", "key": src.widget_key}
        if row is not None:
            select["selection_default"] = {"selection": {"rows": [row]}}
        if not self._hinted:  # once per page, above its first table
            st.caption(t("lv_pick_hint"))
            self._hinted = True
        return _tables.table(src.frame, columns, name=name, key=key, prefix=prefix, empty=empty,
                             height=height, title=title, select=select)

    def show_map(self, *, mode: str = "complaints", compound_layer=None, bounds=None) -> None:
        """The small map: outlines, the compounds, the selection outlined; a click selects.

        ``compound_layer(basemap) -> FeatureGroup`` replaces the 总览 layers (places at county
        zoom, compounds coloured by ``mode`` once big enough to see), e.g. the page's own quarter.
        ``bounds`` (minx, miny, maxx, maxy) where the map opens; the scope's outline by default.
        """
        import folium

        from layers.boundaries import build_boundary_layer, build_label_layer
        from layers.compounds import build_selection_layer
        from layers.maps import make_map
        from ui import state
        from ui.cache_evaluation import basemap as configured_basemap

        basemap, tile_key = configured_basemap(state.engine())
        in_town = self.skey[0] is not None
        county = cache.load_outline(self.url, "county", (None, None, *self.skey[2:4]), basemap)  # the scope's
        towns = cache.load_outline(self.url, "township", self.skey, basemap)
        start = bounds or (towns.bounds if in_town or county.bounds is None else county.bounds)
        from data import settings

        m = make_map(start, basemap=basemap, tianditu_key=tile_key, height_px=self.map_height,
                     custom_url=settings.get(state.engine(), "custom_tile_url"))
        if not in_town:
            build_boundary_layer(county.geojson, level="county", name=t("layer_county")).add_to(m)
        build_boundary_layer(towns.geojson, level="township", name=t("layer_townships")).add_to(m)
        build_label_layer(towns.labels, name=t("layer_township_labels"), m=m).add_to(m)
        folium.LayerControl(collapsed=True).add_to(m)

        layers = [compound_layer(basemap)] if compound_layer is not None else self._home_layers(mode, basemap)
        chosen = self.selection
        outline = self._outline(chosen, basemap)
        if outline is not None:
            layers.append(build_selection_layer(outline, name=t("lv_selected")))
            if st.session_state.pop(f"{self.page}_linked_move", False):
                # a small map is narrower than tall: a wider margin keeps the neighbours in view
                box = (cache.compound_bounds(self.url, self.skey, chosen[1], basemap, margin_m=300)
                       if chosen[0] == "compound"
                       else cache.place_bounds(self.url, self.skey, "township", chosen[1], basemap))
                if box is not None:
                    mapview.move_to_bounds(self.page, box, height_px=self.map_height, max_zoom=16)
        out = mapview.show(m, self.page, layers=layers, height=self.map_height,
                           base_signature=(basemap, self.skey, start))
        self._take_click(out, basemap)

    def _home_layers(self, mode: str, basemap: str) -> list:
        from layers.areas import build_area_layer
        from layers.compounds import build_compound_layer
        from ui.text import legend_in_language

        comp_json, entries, title = cache.load_compound_geojson(self.url, self.skey, self.pkey, mode, basemap)
        places = cache.load_places(self.url, self.skey, self.pkey, mode, basemap)
        area_title, area_entries = legend_in_language(places.title, places.entries)
        return [build_area_layer(places.geojson, name=t("layer_places"), legend_title=area_title,
                                 entries=area_entries, max_zoom=places.visible_zoom - 0.25),
                build_compound_layer(comp_json, name=t("layer_compounds"), min_zoom=places.visible_zoom,
                                     legend=legend_in_language(title, entries))]

    def _outline(self, chosen, basemap: str):
        """The selected compound's or township's outline (a GeoDataFrame), or None."""
        if chosen is None:
            return None
        if chosen[0] == "compound":
            return cache.load_compound_outline(self.url, self.skey, chosen[1], basemap)
        _, frame = cache.load_outline_geojson(self.url, "township", self.skey, basemap)
        shown = frame[frame["id"] == chosen[1]][["id", "geometry"]]
        return shown if len(shown) else None

    def _take_click(self, out: dict, basemap: str) -> None:
        """A compound clicked on the map selects it (and its rows); a township at county zoom too."""
        props = mapview.clicked_properties(out, self.page)
        if props.get("id") is not None:
            self._set(("compound", int(props["id"])), move=False)
            st.rerun()
        if props.get("place_id") is not None:
            level = cache.place_level(self.url, self.skey)
            place = str(props["place_id"]) if level in ("city", "county") else int(props["place_id"])
            if level == "township" and any(s.row_of(("township", place)) is not None
                                           for s in self.sources.values()):
                self._set(("township", place), move=True)
            else:  # a place no table lists: zoom into it, as on 总览
                box = cache.place_bounds(self.url, self.skey, level, place, basemap)
                if box is not None:
                    mapview.move_to_bounds(self.page, box, height_px=self.map_height)
            st.rerun()

    def show_record(self) -> None:
        """The selection's record: the compound's summary and a link to the full 小区档案,
        or the township's name; a hint while nothing is selected."""
        from ui.record import show_record_summary

        chosen = self.selection
        if chosen is None:
            no_place = st.session_state.get(f"{self.page}_linked_no_place")
            st.caption(t("lv_no_place") if no_place else t("lv_hint"))
            return
        if not any(s.row_of(chosen) is not None for s in self.sources.values()):
            st.caption(t("lv_not_listed"))
        kind, value = chosen
        if kind == "township":
            _, frame = cache.load_outline_geojson(self.url, "township", self.skey, "none")
            names = frame.loc[frame["id"] == value, "name"]
            if names.empty:
                st.warning(t("cmp_out_of_scope"))
                return
            st.markdown(f"#### {md_escape(names.iloc[0])}")
            st.caption(t("lv_township_hint"))
            return
        show_record_summary(cache.load_compound_table(self.url, self.skey, self.pkey), value)
        st.page_link("pages/compounds.py", label=t("open_full_record"), icon=":material/apartment:",
                     query_params={"compound": str(value)})
