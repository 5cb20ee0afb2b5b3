"""Cached loaders: thin ``st.cache_data`` wrappers over ``data``/``layers`` functions.

Every key includes the database URL and the scope as a tuple, so one user's
scope can never be served another's cached result. Imports clear the cache.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from data import db, queries
from data.scope import Period, Scope
from layers import geojson as gj
from layers.basemaps import for_basemap
from layers.boundaries import label_rows
from layers.colours import colour_compounds
from layers.packed import pack_features

ScopeKey = tuple[int | None, int | None, str | None, str | None]  # Scope.args()
PeriodKey = tuple[str, str]  # ISO dates [start, end)


def _engine(url: str):
    return db.shared_engine(url)


def _period(p: PeriodKey) -> Period:
    from datetime import date

    return Period(date.fromisoformat(p[0]), date.fromisoformat(p[1]))


def period_key(period: Period) -> PeriodKey:
    return (period.start.isoformat(), period.end.isoformat())


def scope_key(scope: Scope) -> ScopeKey:
    return scope.args()


@st.cache_data(show_spinner=False)
def load_counties(url: str, scope: ScopeKey):
    """县（区、市） inside the scope (adcode, name, city): the sidebar's county choice (issue 17)."""
    return queries.counties(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_townships(url: str, scope: ScopeKey):
    return queries.townships(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_communities(url: str, scope: ScopeKey):
    return queries.communities(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_months(url: str) -> list[str]:
    return queries.complaint_months(_engine(url))


@st.cache_data(show_spinner=False)
def load_compounds(url: str, scope: ScopeKey):
    return queries.compounds(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_complaint_counts(url: str, scope: ScopeKey, period: PeriodKey, by: tuple[str, ...]):
    return queries.complaint_counts(_engine(url), Scope(*scope), _period(period), by=by)


@st.cache_data(show_spinner=False)
def load_outline_geojson(url: str, level: str, scope: ScopeKey, basemap: str) -> tuple[str, object]:
    """Outline GeoJSON of one level and the frame (for labels), shifted for the basemap."""
    engine, s = _engine(url), Scope(*scope)
    frame = {
        "city": lambda: queries.cities(engine, s),
        "county": lambda: queries.county(engine, s),
        "township": lambda: queries.townships(engine, s),
        "community": lambda: queries.communities(engine, s),
        "grid": lambda: queries.grids(engine, s),
    }[level]()
    frame = frame[frame.geometry.notna()]  # a community from a list without polygons has no outline to draw
    frame = for_basemap(frame, basemap)
    tolerance = {"city": 60, "county": 30, "township": 20, "community": 10, "grid": 5}[level]
    return gj.to_geojson(frame, properties=["name"], text=("name",),
                         simplify_tolerance_m=tolerance), frame


class Outline(NamedTuple):
    """One outline level ready to draw: GeoJSON, label rows and bounds — no GeoDataFrame to unpickle."""

    geojson: str
    labels: list
    bounds: tuple | None


@st.cache_data(show_spinner=False)
def load_outline(url: str, level: str, scope: ScopeKey, basemap: str) -> Outline:
    """:func:`load_outline_geojson` as plain values: a rerun reads text and numbers, not geometries."""
    text, frame = load_outline_geojson(url, level, scope, basemap)
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
    return Outline(text, label_rows(frame), bounds)


@st.cache_data(show_spinner=False)
def load_compound_table(url: str, scope: ScopeKey, period: PeriodKey | None):
    """:func:`compound_frame` without geometry, for tiles, coverage and the record summary."""
    import pandas as pd

    return pd.DataFrame(compound_frame(url, scope, period).drop(columns="geometry"))


@st.cache_data(show_spinner=False)
def load_coverage(url: str, scope: ScopeKey, targets: tuple) -> tuple:
    """``(policy.coverage.coverage, coverage_by_township)`` of the scope's compounds for the
    targets ``ui.overview.coverage_key()``: compound attributes only, whatever the period.
    Computed on every run before, it was a quarter of a new session's server CPU."""
    from policy.coverage import coverage, coverage_by_township

    compounds = load_compound_table(url, scope, None)
    return coverage(compounds, **dict(targets)), coverage_by_township(compounds, **dict(targets))


def load_period_total(url: str, scope: ScopeKey, period: PeriodKey) -> int:
    """All work orders of the scope in the period, matched to a compound or not (the tiles' count)."""
    counts = load_complaint_counts(url, scope, period, ("month",))
    return int(counts["count"].sum()) if len(counts) else 0


def compound_frame(url: str, scope: ScopeKey, period: PeriodKey | None):
    """Compounds with complaint counts and density (per 100 households per month)."""
    frame = load_compounds(url, scope)
    if period is None:
        return frame.assign(complaints=0, complaint_density=float("nan"))
    counts = load_complaint_counts(url, scope, period, ("compound",)).set_index("compound")["count"]
    months = _period(period).month_count()
    complaints = frame["id"].map(counts).fillna(0).astype(int)
    households = frame["households"].where(frame["households"] > 0)
    return frame.assign(complaints=complaints,
                        complaint_density=complaints / households * 100 / months)


# Colour modes whose columns come from data.queries.evaluation.compound_indicators
INDICATOR_MODES = ("evaluation", "fee_status", "credit")


@st.cache_data(show_spinner=False)
def load_indicators(url: str, scope: ScopeKey, period: PeriodKey | None):
    """eval_score/eval_list, fee_status, credit_grade per compound, for the latest quarter of the period."""
    from data.queries.overview import latest_quarter

    quarter = latest_quarter(_engine(url), _period(period)) if period else None
    return _load_quarter_indicators(url, scope, quarter)


@st.cache_data(show_spinner=False)
def _load_quarter_indicators(url: str, scope: ScopeKey, quarter: str | None):
    """:func:`load_indicators` by quarter: periods with the same latest quarter share it."""
    from data.queries.evaluation import compound_indicators

    return compound_indicators(_engine(url), Scope(*scope), quarter)


@st.cache_data(show_spinner=False, max_entries=12)
def load_county_ladder(url: str, month: str, scope: ScopeKey = ()):
    """The published top list and ladder of ``month``: ids and numbers, each page cuts it to its scope.
    1.5 s to compute at 500,000 complaints.

    One per month for every page and user of a county deployment. In a city or province one per
    month and set of cities the scope needs (``ladder_cities``): a city's page computes its city's
    list only, not the province's 16 (14 of the 15 s of a cold city overview at 1,000,000 complaints).
    """
    return _county_ladder_of(url, month, (ladder_cities(url, scope) or None) if scope else None)


@st.cache_data(show_spinner=False)
def ladder_cities(url: str, scope: ScopeKey) -> tuple[str, ...]:
    """The cities whose 全市 lists the scope's pages show; ``()`` in a one-county deployment (its county list)."""
    from data.queries.complaint_stats import ladder_cities as cities

    return cities(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def _county_ladder_of(url: str, month: str, cities: tuple[str, ...] | None):
    from data.queries.complaint_stats import county_ladder

    return county_ladder(_engine(url), month, cities=cities)


@st.cache_data(show_spinner=False)
def load_overview(url: str, scope: ScopeKey, period: PeriodKey):
    """Everything the 总览 page shows besides the map (``data.queries.overview.Overview``)."""
    from data.queries.overview import overview

    period = _period(period)
    return overview(_engine(url), Scope(*scope), period,
                    ladder=load_county_ladder(url, period.last_month().label(), scope),
                    lists_of=lambda quarter: load_quarter_lists(url, scope, quarter))


@st.cache_data(show_spinner=False, max_entries=32)
def load_quarter_lists(url: str, scope: ScopeKey, quarter: str):
    """红黑榜 of ``quarter`` in the scope (``evaluation.quarter_lists``): the same for every period
    whose latest quarter it is, so a period change does not read the evaluation window again."""
    from data.queries.evaluation import quarter_lists

    return quarter_lists(_engine(url), Scope(*scope), quarter)


def _filled(url: str, scope: ScopeKey, period: PeriodKey | None, mode: str, basemap: str):
    """Compounds with ``_fill`` for ``mode`` (unshifted), legend entries and title."""
    frame = compound_frame(url, scope, period)
    if mode in INDICATOR_MODES:
        frame = frame.merge(load_indicators(url, scope, period), on="id", how="left")
    fills, entries, title = colour_compounds(frame, mode)
    return frame.assign(_fill=fills), entries, title


@st.cache_data(show_spinner=False)
def load_compound_geojson(url: str, scope: ScopeKey, period: PeriodKey | None, mode: str,
                          basemap: str) -> tuple[str, list, str]:
    """Every compound of the scope filled for ``mode`` (packed), with legend entries and title."""
    frame, entries, title = _filled(url, scope, period, mode, basemap)
    geometry = load_compound_geometry(url, scope, basemap)
    ids = load_compounds(url, scope)["id"].to_numpy()
    if len(ids) != len(frame) or (frame["id"].to_numpy() != ids).any():  # not row for row: pack them whole
        geometry = None
        props = for_basemap(frame, basemap)
    else:
        props = frame[["id", "name", "_fill"]]
    # packed, not GeoJSON: a third of the bytes, unpacked to the same features in the browser
    text = pack_features(props, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",),
                         simplify_tolerance_m=2, geometry=geometry)
    return text, entries, title


@st.cache_data(show_spinner=False)
def load_compound_geometry(url: str, scope: ScopeKey, basemap: str):
    """The compounds' packed geometry (``layers.packed.pack_geometries``, 2 m simplified) in the
    basemap's datum: the same for every colour mode and period, so a mode or period change only
    re-packs the properties (simplifying 5,000 outlines cost ~0.5 s of CPU on each change)."""
    from layers.packed import pack_geometries

    return pack_geometries(for_basemap(load_compounds(url, scope), basemap), simplify_tolerance_m=2)


@st.cache_data(show_spinner=False, max_entries=64)
def load_compounds_in_view(url: str, scope: ScopeKey, period: PeriodKey | None, mode: str, basemap: str,
                           window: tuple[float, float, float, float] | None) -> tuple[str, list, str]:
    """:func:`load_compound_geojson` for a large scope: only the compounds in ``window``
    (``layers.viewport``; None: none, the map is zoomed out). The legend still speaks for all."""
    from layers.viewport import in_window

    frame, entries, title = _filled(url, scope, period, mode, basemap)
    frame = for_basemap(frame, basemap)
    shown = in_window(frame, window) if window is not None else frame.iloc[0:0]
    return pack_features(shown, properties=["id", "name", "_fill"], text=("name",), lookup=("_fill",),
                         simplify_tolerance_m=2), entries, title


class Places(NamedTuple):
    """The coarse-zoom map: places filled by the mode's indicator, ready to draw."""

    geojson: str
    entries: list
    title: str
    visible_zoom: float  # from here on the compounds are big enough to see
    level: str  # city / county / township / community (data.scope.drill_level)


def place_level(url: str, scope: ScopeKey) -> str:
    """The level the scope's overview map fills at coarse zoom (:func:`data.scope.drill_level`)."""
    from data.scope import drill_level

    counties = load_counties(url, scope)
    return drill_level(Scope(*scope), cities=counties["city_adcode"].nunique(), counties=len(counties))


def _with_places(url: str, scope: ScopeKey, frame, level: str):
    """``frame`` (compounds) with the id of its place at ``level``, as ``place``; the places' outlines."""
    _, places = load_outline_geojson(url, level, scope, "none")
    if level in ("township", "community"):
        return frame.assign(place=frame[f"{level}_id"]), places
    towns = load_townships(url, scope).set_index("id")["county_adcode"]
    place = frame["township_id"].map(towns)
    if level == "city":
        place = place.map(load_counties(url, scope).set_index("adcode")["city_adcode"])
    return frame.assign(place=place), places.assign(id=places["adcode"])


@st.cache_data(show_spinner=False)
def load_places(url: str, scope: ScopeKey, period: PeriodKey | None, mode: str, basemap: str) -> Places:
    """The places one level below the scope (cities of a province, counties of a city, townships of a
    county, communities of a township) filled by ``mode``'s indicator over their compounds."""
    from layers.colours import AREA_INDICATORS, area_classes, area_values
    from geo.projection import to_metric
    from layers.panes import visible_zoom

    frame = compound_frame(url, scope, period)
    if mode in INDICATOR_MODES:
        frame = frame.merge(load_indicators(url, scope, period), on="id", how="left")
    level = place_level(url, scope)
    frame, places = _with_places(url, scope, frame, level)
    values = area_values(frame, mode, by="place").set_index("place")
    indicator = AREA_INDICATORS[mode]
    places = places.assign(place_id=places["id"], value=places["id"].map(values["value"]),
                           known=places["id"].map(values["known"]).fillna(0).astype(int))
    fills, entries = area_classes(places["value"], mode)
    unit = " %" if indicator.is_share else " 件/百户·月"
    text = [("无已知数据" if v != v else f"{v:.1f}{unit}") + f"（{k} 个小区）"
            for v, k in zip(places["value"], places["known"])]
    places = for_basemap(places.assign(_fill=fills, value_text=text), basemap)
    geojson = gj.to_geojson(places, properties=["place_id", "name", "value_text", "_fill"],
                            text=("name", "value_text"),
                            simplify_tolerance_m={"city": 200, "county": 60}.get(level, 20))
    drawn = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    widths = to_metric(drawn).geometry.area.pow(0.5) if len(drawn) else []
    lat = float((drawn.total_bounds[1] + drawn.total_bounds[3]) / 2) if len(drawn) else 35.0
    return Places(geojson, entries, indicator.title, visible_zoom(widths, lat=lat), level)


@st.cache_data(show_spinner=False, max_entries=256)
def load_compound_outline(url: str, scope: ScopeKey, compound_id: int, basemap: str):
    """One compound of the scope as a GeoDataFrame in the basemap's datum, or None (not in scope)."""
    frame = load_compounds(url, scope)
    chosen = frame[(frame["id"] == compound_id) & frame.geometry.notna()][["id", "geometry"]]
    return for_basemap(chosen, basemap) if len(chosen) else None


def compound_bounds(url: str, scope: ScopeKey, compound_id: int, basemap: str, *, margin_m: float = 150):
    """The compound's bounds with a margin, in the basemap's datum (None: not in scope)."""
    outline = load_compound_outline(url, scope, compound_id, basemap)
    if outline is None:
        return None
    from geo.projection import to_metric

    metric = to_metric(outline)
    return tuple(metric.buffer(margin_m).to_crs(outline.crs).total_bounds)


def place_bounds(url: str, scope: ScopeKey, level: str, place_id: int, basemap: str):
    """A place's bounds in the basemap's datum (None: not in scope or no outline); ``place_id`` is the
    id of a township or community, the adcode of a county or city."""
    _, frame = load_outline_geojson(url, level, scope, basemap)
    ids = frame["adcode"] if level in ("city", "county") else frame["id"]
    chosen = frame[(ids == place_id) & frame.geometry.notna()]
    return tuple(chosen.total_bounds) if len(chosen) else None


@st.cache_data(show_spinner=False)
def load_heat_cells(url: str, scope: ScopeKey, period: PeriodKey, basemap: str,
                      categories: tuple[str, ...] | None = None,
                      radius_m: float = 250) -> tuple[str, list]:
    """Complaint heat cells for the period (server-side hexagon bins), shifted for the basemap.

    Binned by PostGIS (``ST_HexagonGrid``) on PostgreSQL, by ``geo.binning`` on SQLite: same cells."""
    from data.spatial import heat_hexes
    from layers.heat import heat_cells

    hexes = heat_hexes(_engine(url), Scope(*scope), _period(period), radius_m=radius_m, categories=categories)
    return heat_cells(for_basemap(hexes, basemap))


@st.cache_data(show_spinner=False, max_entries=64)
def load_record(url: str, scope: ScopeKey, compound_id: int, period: PeriodKey,
                viewer: tuple[str | None, int | None] = (None, None)):
    """The 小区档案 as ``viewer`` (``ui.cache_inspection.viewer_key``) may read it."""
    from data.queries.inspection import Viewer
    from data.queries.record import compound_record

    period = _period(period)
    return compound_record(_engine(url), Scope(*scope), compound_id, period,
                           ladder=load_county_ladder(url, period.last_month().label(), scope),
                           viewer=Viewer(*viewer))


@st.cache_data(show_spinner=False, max_entries=256)
def load_record_facts(url: str, scope: ScopeKey, compound_id: int, day: str,
                      viewer: tuple[str | None, int | None] = (None, None)):
    """Rating, fee status, credit, last inspection and open items for the record panel (one small read)."""
    from datetime import date

    from data.queries.inspection import Viewer
    from data.queries.record import record_facts

    return record_facts(_engine(url), Scope(*scope), compound_id, today=date.fromisoformat(day),
                        viewer=Viewer(*viewer))


@st.cache_data(show_spinner=False, max_entries=256)
def find_compounds(url: str, scope: ScopeKey, text: str):
    from data.queries.record import find_compounds as find

    return find(_engine(url), Scope(*scope), text)


@st.cache_data(show_spinner=False, max_entries=64)
def load_compound_points(url: str, scope: ScopeKey, compound_id: int, period: PeriodKey):
    """One compound's complaints with coordinates: category and date only (no personal fields)."""
    import geopandas as gpd

    df = queries.complaints(_engine(url), Scope(*scope), _period(period), compound_id=compound_id)
    df = df.dropna(subset=["lon", "lat"])
    return gpd.GeoDataFrame({"category": df["category"].to_numpy(),
                             "date": df["received_at"].dt.strftime("%Y-%m-%d").to_numpy()},
                            geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
