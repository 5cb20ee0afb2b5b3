"""Cached loaders of the spot-check and enforcement pages, keyed by url + scope (+ day).

Writes on those pages call :func:`clear` so the next run reads fresh rows.
"""
from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from data import db
from data.queries import cases as cq
from data.queries import inspection as iq
from data.scope import Scope
from layers.basemaps import for_basemap
from layers.cases import cases_geojson
from ui import cache_version

ScopeKey = tuple[int | None, int | None]


def _engine(url: str):
    return db.shared_engine(url)


@st.cache_data(show_spinner=False)
def load_check_items(url: str, active_only: bool = True):
    iq.ensure_check_items(_engine(url))
    return iq.check_items(_engine(url), active_only=active_only)


@st.cache_data(show_spinner=False)
def load_inspectors(url: str):
    return iq.inspectors(_engine(url))


ViewerKey = tuple[str | None, int | None]  # (role, inspector id): who reads the draws, in the cache key


def viewer_key(account) -> ViewerKey:
    """The cache key of :class:`data.queries.inspection.Viewer` for the signed-in ``account``."""
    v = iq.Viewer.of(account)
    return (v.role, v.inspector_id)


@st.cache_data(show_spinner=False)
def load_candidates(url: str, scope: ScopeKey, day: str, window_months: int, exclude_months: int,
                    viewer: ViewerKey = (None, None)):
    """Candidate compounds with their risk factors as of the start of ``day``, and the excluded ids."""
    engine, s = _engine(url), Scope(*scope)
    as_of = datetime.fromisoformat(day)
    frame = iq.risk_factors(engine, s, as_of, window_months=window_months)
    return frame, iq.recently_drawn(engine, s, as_of, exclude_months, viewer=iq.Viewer(*viewer))


@st.cache_data(show_spinner=False)
def load_draws(url: str, scope: ScopeKey, viewer: ViewerKey = (None, None)):
    """The draws this viewer may see (an unpublished draw: the drawing unit and its inspectors only)."""
    return iq.draws(_engine(url), Scope(*scope), viewer=iq.Viewer(*viewer))


@st.cache_data(show_spinner=False)
def load_draw_results(url: str, scope: ScopeKey, draw_id: int, day: str, inspector_id: int | None = None,
                      viewer: ViewerKey = (None, None)):
    return iq.draw_results(_engine(url), Scope(*scope), draw_id, today=date.fromisoformat(day),
                           inspector_id=inspector_id, viewer=iq.Viewer(*viewer))


@st.cache_data(show_spinner=False)
def load_result_draw(url: str, scope: ScopeKey, result_id: int, inspector_id: int | None = None,
                     viewer: ViewerKey = (None, None)) -> int | None:
    """The draw of one check this viewer may see (None: not in scope, hidden, or not theirs)."""
    return iq.result_draw(_engine(url), Scope(*scope), int(result_id), viewer=iq.Viewer(*viewer),
                          inspector_id=inspector_id)


@st.cache_data(show_spinner=False)
def load_published(url: str, scope: ScopeKey):
    return iq.published_list(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_overdue_checks(url: str, scope: ScopeKey, day: str, viewer: ViewerKey = (None, None)):
    return iq.overdue_rectifications(_engine(url), Scope(*scope), date.fromisoformat(day),
                                     viewer=iq.Viewer(*viewer))


@st.cache_data(show_spinner=False)
def load_cases(url: str, scope: ScopeKey, minute: str):
    return cq.cases(_engine(url), Scope(*scope), now=datetime.fromisoformat(minute))


@st.cache_data(show_spinner=False)
def load_case_geojson(url: str, scope: ScopeKey, minute: str, basemap: str) -> str:
    frame = load_cases(url, scope, minute)
    frame = frame[frame["step"] != "结案"]
    import geopandas as gpd

    pts = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    shifted = for_basemap(pts.dropna(subset=["lon", "lat"]), basemap)
    shifted = shifted.assign(lon=shifted.geometry.x, lat=shifted.geometry.y)
    return cases_geojson(shifted.drop(columns="geometry"))


@st.cache_data(show_spinner=False)
def load_overdue(url: str, scope: ScopeKey, minute: str):
    return cq.overdue_summary(_engine(url), Scope(*scope), now=datetime.fromisoformat(minute))


def clear() -> None:
    """Forget cached results after a write, in every cache of this process and (through the data
    version) of the others: a write here changes what other pages show too (a fee status
    recolours 总览, a check changes the record panel's last inspection)."""
    cache_version.clear_all()
