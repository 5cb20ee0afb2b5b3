"""Cached loaders of the 错时停车 page, keyed by url + scope (+ the plan's parameters).

The plan itself is ``policy.parking.plan`` on ``data.queries.parking.planning_inputs``;
these wrappers only remember results. Writes on the page call :func:`clear`.
A road network is not hashable cheaply: it travels as ``_network`` (not part of
the key) beside its file digest, which is.
"""
from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import pandas as pd
import streamlit as st

from data import db
from data.documents.parking import proposal_xlsx
from data.importers.parking import read_road_network
from data.queries import parking as q
from data.scope import Scope
from layers import parking as layers
from layers.basemaps import for_basemap
from ui.cache import ScopeKey
from policy import parking as rules
from ui import cache_version


class PlanKey(NamedTuple):
    """Everything a plan depends on besides the registers (hashable, for the cache key)."""

    township: str
    compound_ids: tuple[int, ...] | None
    walk_limit_m: float
    detour: float
    night: tuple[str, str]
    exclude: tuple[int, ...] = ()
    lock: tuple[int, ...] = ()
    locked_rows: tuple[tuple[int, int, int], ...] = ()  # (compound, resource, cars) kept from the last plan
    max_share: str | None = None
    network: str | None = None  # digest of the uploaded road-network file
    day_type: str = rules.WEEKDAY  # 工作日夜间 / 周末及节假日夜间: whose opening windows count
    min_shortage: int = 1          # 供需矛盾突出 (setting parking_shortage_min_cars)


def _engine(url: str):
    return db.shared_engine(url)


@st.cache_data(show_spinner=False)
def load_demand(url: str, scope: ScopeKey):
    return q.demand(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_resources(url: str, scope: ScopeKey):
    return q.resources(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False)
def load_plan_resources(url: str, scope: ScopeKey):
    """Resources a plan may use: the township's own and those across its border (the walking
    limit decides which are near enough); contacts masked as everywhere."""
    return q.resources(_engine(url), Scope())


@st.cache_data(show_spinner=False, max_entries=8)
def load_network(data: bytes, filename: str, url: str, role: str | None, _actor=None):
    """Road lines of an uploaded file (WGS-84); raises ValueError/PermissionError with a Chinese message.

    ``role`` is in the key and ``_actor`` is checked by the reader (``edit_parking``), so a
    cached network is never handed to somebody who may not upload one.
    """
    return read_road_network(data, filename=filename, engine=_engine(url), actor=_actor)


@st.cache_data(show_spinner=False, max_entries=32)
def load_plan(url: str, scope: ScopeKey, key: PlanKey, _network=None) -> tuple[rules.PlanResult, dict]:
    """The exact plan and the proposal snapshot it would save (``proposal_content``)."""
    demand, resources = load_demand(url, scope), load_plan_resources(url, scope)
    compounds, offers = q.planning_inputs(demand, resources, compound_ids=key.compound_ids)
    previous = pd.DataFrame(list(key.locked_rows), columns=["compound_id", "resource_id", "cars"])
    result = rules.plan(compounds, rules.windows_for(offers, key.day_type), walk_limit_m=key.walk_limit_m,
                        detour=key.detour, night=key.night, exclude=key.exclude, lock=key.lock, previous=previous,
                        max_share=key.max_share, network=_network, min_shortage=key.min_shortage)
    return result, q.proposal_content(key.township, demand, resources, result)


@st.cache_data(show_spinner=False, max_entries=32)
def load_plan_layers(url: str, scope: ScopeKey, key: PlanKey, basemap: str, _network=None) -> dict:
    """GeoJSON of compounds, resources and lines (shifted for the basemap), legend entries, bounds."""
    result, _ = load_plan(url, scope, key, _network)
    routes, network = None, None
    if _network is not None:  # draw each walk along the roads it was measured on, and the roads
        planned, offers = q.planning_inputs(load_demand(url, scope), load_plan_resources(url, scope),
                                            compound_ids=key.compound_ids)
        walks = rules.walking_routes(planned, offers, result.assignments, _network, detour=key.detour)
        routes = for_basemap(gpd.GeoDataFrame(geometry=walks), basemap).geometry
        network = layers.network_geojson(for_basemap(gpd.GeoDataFrame(geometry=_network), basemap))
    demand = for_basemap(load_demand(url, scope).dropna(subset=["geometry"]), basemap)
    every = load_plan_resources(url, scope)
    own = scope[0] is None or every["township_id"] == scope[0]
    near = every["id"].isin(set(result.eligible["resource_id"]) | set(result.assignments["resource_id"]))
    resources = for_basemap(every[own | near].dropna(subset=["geometry"]), basemap)  # no far-away resources
    compounds, entries = layers.compounds_geojson(demand, result)
    return {"compounds": compounds, "entries": entries, "network": network,
            "resources": layers.resources_geojson(resources, result),
            "lines": layers.assignment_lines_geojson(demand, resources, result, routes),
            "bounds": layers.plan_bounds(demand, resources, result)}


@st.cache_data(show_spinner=False)
def load_proposals(url: str, scope: ScopeKey):
    return q.proposals(_engine(url), Scope(*scope))


@st.cache_data(show_spinner=False, max_entries=32)
def load_proposal(url: str, scope: ScopeKey, proposal_id: int) -> dict:
    return q.proposal(_engine(url), Scope(*scope), proposal_id)


@st.cache_data(show_spinner=False, max_entries=16)
def load_proposal_xlsx(url: str, scope: ScopeKey, proposal_id: int, exported_by: str | None,
                       minute: str) -> bytes:
    """The proposal as .xlsx (reads the stored snapshot and history; the Word paper is made at the click).

    ``minute`` (YYYY-MM-DD HH:MM) is in the key because the workbook is stamped with 导出时间.
    """
    p = load_proposal(url, scope, proposal_id)
    return proposal_xlsx(p, exported_by=exported_by)


PROPOSAL_LOADERS = (load_proposals, load_proposal, load_proposal_xlsx)


def clear(*, plan: bool = True) -> None:
    """Forget cached results after a write.

    A register edit changes what other pages show too: every cache of this process and (through
    the data version) of the others. A proposal saved or moved (``plan=False``) changed no plan:
    only the proposals and the to-do lists that name them; dropping the plan there made the run
    after a save solve both day types' plans again (about 3 s on the demo) before it reached the
    proposal's downloads at the end of the page.
    """
    if plan:
        cache_version.clear_all()
        return
    from ui import todo

    for loader in (*PROPOSAL_LOADERS, todo.load_todo):
        loader.clear()
    cache_version.bump(db.default_url())  # the other app processes clear theirs on their next run
