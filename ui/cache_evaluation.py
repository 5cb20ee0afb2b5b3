"""Cached loaders and small shared helpers of the 考核评价 and 物业费 pages.

Every loader is keyed by the database URL and the scope as a tuple (plus the
quarter where it matters), so no scope is ever served another's result.
Writes call :func:`clear` so the next run reads the new state.
"""
from __future__ import annotations

import streamlit as st

from data import db, settings
from data.queries import evaluation as ev
from data.queries import fees
from data.scope import Scope
from layers import geojson as gj
from layers.basemaps import for_basemap
from layers.colours import colour_compounds
from ui.cache import ScopeKey, load_compounds
from ui import tables as _tables
from ui.text import t
from ui import cache_version


def _engine(url: str):
    return db.shared_engine(url)


@st.cache_data(show_spinner=False)
def load_quarters(url: str) -> list[str]:
    return ev.quarters(_engine(url))


@st.cache_data(show_spinner=False)
def load_lists(url: str, scope: ScopeKey, quarter: str):
    return ev.quarter_lists(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False)
def load_company_status(url: str, scope: ScopeKey, quarter: str):
    return ev.company_status(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False, max_entries=64)
def load_company_view(url: str, scope: ScopeKey, company_id: int, quarter: str):
    return ev.company_view(_engine(url), Scope(*scope), company_id, quarter)


@st.cache_data(show_spinner=False)
def load_half_year(url: str, scope: ScopeKey, half: str):
    return ev.half_year_assessment(_engine(url), Scope(*scope), half)


@st.cache_data(show_spinner=False)
def load_indicators(url: str, scope: ScopeKey, quarter: str | None = None):
    """Per compound: eval_score, eval_list, fee_status, credit_grade (the colour modes' columns)."""
    return ev.compound_indicators(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False)
def load_fee_overview(url: str, scope: ScopeKey):
    return fees.fee_overview(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_fee_history(url: str, scope: ScopeKey, compound_id: int | None = None):
    return fees.fee_history(_engine(url), Scope(*scope), compound_id=compound_id, limit=None)


@st.cache_data(show_spinner=False)
def load_candidates(url: str, scope: ScopeKey, quarter: str):
    return fees.reduction_candidates(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False, max_entries=64)
def load_coloured_geojson(url: str, scope: ScopeKey, mode: str, basemap: str, quarter: str | None = None,
                          company_id: int | None = None) -> tuple[str, list, str, tuple]:
    """Compounds coloured by ``mode`` (evaluation / fee_status / credit) for ``quarter``.

    Returns GeoJSON (id, name, _fill, escaped name and status), legend entries and
    title, and the bounds (minx, miny, maxx, maxy) of what was drawn.
    """
    frame = load_compounds(url, scope)
    if company_id is not None:
        frame = frame[frame["company_id"] == company_id]
    frame = frame.merge(load_indicators(url, scope, quarter), on="id", how="left")
    fills, entries, title = colour_compounds(frame, mode)
    frame = for_basemap(frame.assign(_fill=fills), basemap)
    shown = {"fee_status": ("fee_status", "无"), "credit": ("credit_grade", "未评级")}.get(mode, ("eval_list", "未考评"))
    frame["status"] = frame[shown[0]].fillna(shown[1]).astype(str)
    bounds = _focus(frame) if company_id is None else (tuple(frame.total_bounds) if len(frame) else None)
    text = gj.to_geojson(frame, properties=["id", "name", "status", "_fill"], text=("name", "status"),
                         simplify_tolerance_m=2)
    return text, entries, title, bounds


def _focus(frame, share: float = 0.1) -> tuple | None:
    """Bounds around where most compounds are (``share`` cut off each side), so the colours can be seen
    at the opening zoom rather than lost in a whole-county view; the outliers are a pan away."""
    pts = frame.geometry.dropna()
    if pts.empty:
        return None
    xy = pts.representative_point()
    xs, ys = xy.x.quantile([share, 1 - share]), xy.y.quantile([share, 1 - share])
    pad_x, pad_y = max((xs.iloc[1] - xs.iloc[0]) * 0.1, 0.003), max((ys.iloc[1] - ys.iloc[0]) * 0.1, 0.003)
    return (xs.iloc[0] - pad_x, ys.iloc[0] - pad_y, xs.iloc[1] + pad_x, ys.iloc[1] + pad_y)


def clear() -> None:
    """Forget cached results after a write, in every cache of this process and (through the data
    version) of the others: a write here changes what other pages show too (a fee status
    recolours 总览, a check changes the record panel's last inspection)."""
    cache_version.clear_all()


def basemap(engine) -> tuple[str, str]:
    """The configured basemap and Tianditu key; 天地图 without a key falls back to no basemap."""
    choice = settings.get(engine, "basemap")
    key = settings.get(engine, "tianditu_key") or (st.secrets.get("tianditu_key", "") if choice == "tianditu"
                                                    else "")
    if choice == "tianditu" and not key:
        return "none", ""
    return choice, key


def labelled(frame, columns: list[str]):
    return _tables.labelled(frame, columns, prefix="ev_")


def table(frame, columns: list[str], *, name: str, key: str, height: int | None = None) -> None:
    """A table with this page's headers and its (stamped, audited) Excel download."""
    _tables.table(frame, columns, name=name, key=key, prefix="ev_", empty=t("ev_none"), height=height)


def show_map(url: str, scope: ScopeKey, mode: str, *, key: str, quarter: str | None = None,
             company_id: int | None = None, height: int = 520, tooltip_label: str = "状态") -> None:
    """Compounds coloured by ``mode`` with its legend, township outlines and a name/status tooltip."""
    import folium
    from streamlit_folium import st_folium

    from layers.boundaries import build_boundary_layer
    from layers.maps import make_map
    from ui.cache import load_outline_geojson
    from ui.state import engine

    base, tile_key = basemap(engine())
    bounds = load_coloured_geojson(url, scope, mode, base, quarter, company_id)[3]
    towns_json, towns = load_outline_geojson(url, "township", scope, base)
    if bounds is None and len(towns):
        bounds = tuple(towns.total_bounds)
    if bounds is None:
        st.caption(t("ev_none"))
        return
    m = make_map(bounds, basemap=base, tianditu_key=tile_key,
                 custom_url=settings.get(engine(), "custom_tile_url"), height_px=height)
    build_boundary_layer(towns_json, level="township", name=t("layer_townships")).add_to(m)
    coloured_layer(url, scope, mode, base, quarter, company_id, tooltip_label=tooltip_label).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])


def coloured_layer(url: str, scope: ScopeKey, mode: str, basemap: str, quarter: str | None = None,
                   company_id: int | None = None, *, tooltip_label: str = "状态"):
    """The compounds coloured by ``mode`` for ``quarter`` as one layer with its legend and a
    name/status tooltip (the 考核评价 maps; ``ui.linked`` swaps it into its small map)."""
    from layers.compounds import build_compound_layer
    from ui.text import legend_in_language

    text, entries, title, _ = load_coloured_geojson(url, scope, mode, basemap, quarter, company_id)
    return build_compound_layer(text, name=t("layer_compounds"), tooltip_fields=("name", "status"),
                                tooltip_aliases=("小区", tooltip_label), legend=legend_in_language(title, entries))


def focus_bounds(url: str, scope: ScopeKey, mode: str, basemap: str, quarter: str | None = None):
    """Where the coloured compounds of ``quarter`` are (the opening view of a 考核评价 map)."""
    return load_coloured_geojson(url, scope, mode, basemap, quarter)[3]


def credit_chart(credit, grades):
    """Grade per quarter (best grade on top) as a step line with points; score in the tooltip."""
    import altair as alt

    base = alt.Chart(credit).encode(
        x=alt.X("quarter:O", title=None, sort=list(credit["quarter"])),
        y=alt.Y("grade:O", title=None, sort=list(grades), scale=alt.Scale(domain=list(grades))),
        tooltip=[alt.Tooltip("quarter:O", title="季度"), alt.Tooltip("grade:O", title="信用等级"),
                 alt.Tooltip("credit_score:Q", title="信用评分"), alt.Tooltip("tier:N", title="监管类别")])
    return (base.mark_line(interpolate="step-after", color="#3182bd")
            + base.mark_point(filled=True, size=60, color="#08519c")).properties(height=200)
