"""The map view as state: it survives every rerun and lives in the URL.

A map page keeps, under its own prefix in ``st.session_state``:

- the view the user is looking at (centre and zoom, as ``st_folium`` reports it),
- the colour mode, the heat view and the selected compound (widget keys),

reads them once per session from the URL (so a shared link, also one opened
through sign-in, restores them) and writes them back to the URL on every run.

The base map (frame, outlines, labels) keeps the same script whatever the mode,
heat or selection; those go to ``st_folium`` as ``feature_group_to_add``, which
swaps them in place, so a mode change neither reloads the map nor moves it. The
centre and zoom handed to ``st_folium`` change only when the page asks to move the
map (a shared link, a row clicked in a table), never when the user merely panned:
echoing the user's own pans back would jump the map while they drag.
"""
from __future__ import annotations

import math

import streamlit as st
from streamlit_folium import st_folium

from ui.text import t

URL_KEYS = ("lat", "lon", "z", "mode", "heat", "compound")


def _key(page: str, name: str) -> str:
    return f"{page}_{name}"


def _number(text, lo: float, hi: float) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def restore(page: str, *, modes) -> set[str]:
    """Once per session and page: take centre, zoom, mode, heat and compound from the URL.

    Returns what the URL gave (``{"view", "mode", "heat", "compound"}``; empty after the first run).
    """
    done = _key(page, "url_read")
    if st.session_state.get(done):
        return set()
    st.session_state[done] = True
    found = set()
    params = st.query_params
    lat, lon = _number(params.get("lat"), -90, 90), _number(params.get("lon"), -180, 180)
    zoom = _number(params.get("z"), 1, 20)
    if None not in (lat, lon, zoom):
        move_to(page, lat, lon, zoom)
        st.session_state[_key(page, "seen")] = (lat, lon, zoom)
        found.add("view")
    if params.get("mode") in modes:
        st.session_state[_key(page, "mode")] = params["mode"]
        found.add("mode")
    if "heat" in params:
        st.session_state[_key(page, "heat")] = params.get("heat") == "1"
        found.add("heat")
    wanted = params.get("compound", "")
    if wanted.isdigit():
        st.session_state[_key(page, "selected")] = int(wanted)
        found.add("compound")
    return found


def move_to(page: str, lat: float, lon: float, zoom: float) -> None:
    """Ask the map to show (lat, lon) at ``zoom`` on this run (a link, a table row)."""
    count = st.session_state.get(_key(page, "moves"), 0) + 1
    st.session_state[_key(page, "moves")] = count
    st.session_state[_key(page, "seen")] = (round(lat, 6), round(lon, 6), float(zoom))  # where it is going
    # the component moves only when the requested view differs from the last one:
    # a second request for the same place differs by a hair, so it moves too
    st.session_state[_key(page, "request")] = (round(lat, 6) + count * 1e-9, round(lon, 6), float(zoom))


def move_to_bounds(page: str, bounds, *, max_zoom: float = 17, height_px: int = 620) -> None:
    """Ask the map to fit ``bounds`` (minx, miny, maxx, maxy in degrees)."""
    from layers.maps import fit_zoom

    minx, miny, maxx, maxy = (float(v) for v in bounds)
    move_to(page, (miny + maxy) / 2, (minx + maxx) / 2,
            min(max_zoom, fit_zoom((minx, miny, maxx, maxy), height_px=height_px - 40)))


def _report(page: str) -> tuple[float, float, float] | None:
    """The centre and zoom the browser last reported (the component's value), if any."""
    out = st.session_state.get(f"{page}_map")
    if not isinstance(out, dict):
        return None
    centre, zoom = out.get("center") or {}, out.get("zoom")
    if centre.get("lat") is None or not zoom:
        return None
    return (round(centre["lat"], 6), round(centre["lng"], 6), float(zoom))


def _take_report(page: str, report) -> None:
    """A report the page has not seen yet becomes the view; an old one never overrides a move."""
    if report is not None and report != st.session_state.get(_key(page, "reported")):
        st.session_state[_key(page, "reported")] = report
        st.session_state[_key(page, "seen")] = report


def view(page: str) -> tuple[float, float, float] | None:
    """(lat, lon, zoom) the map shows on this run, before it is drawn: the browser's latest report
    (a pan that caused this run), a move the page asked for, or None (the map's first view)."""
    _take_report(page, _report(page))
    return st.session_state.get(_key(page, "seen"))


def requested(page: str):
    """The view the page last asked the map for, or None."""
    return st.session_state.get(_key(page, "request"))


def selected(page: str) -> int | None:
    return st.session_state.get(_key(page, "selected"))


def select(page: str, compound_id: int | None) -> None:
    st.session_state[_key(page, "selected")] = compound_id


def show(m, page: str, *, layers: list, height: int, base_signature) -> dict:
    """Draw base map ``m`` with the swappable ``layers``; remember the view the user is looking at.

    ``base_signature``: what the base map was built from (basemap, scope). When it
    changes the component is new, so the user's last view is requested again
    (a new basemap keeps the place) unless the scope changed (then it fits anew).
    """
    sig_key = _key(page, "base")
    previous = st.session_state.get(sig_key)
    if previous is not None and previous != base_signature:
        seen = st.session_state.get(_key(page, "seen"))
        if previous[1:] == base_signature[1:] and seen:
            move_to(page, *seen)
        else:
            st.session_state.pop(_key(page, "request"), None)
            st.session_state.pop(_key(page, "seen"), None)
    st.session_state[sig_key] = base_signature
    request = st.session_state.get(_key(page, "request"))
    out = st_folium(m, key=f"{page}_map", height=height, use_container_width=True,
                    feature_group_to_add=layers or None,
                    center=request[:2] if request else None, zoom=request[2] if request else None,
                    returned_objects=["last_active_drawing", "center", "zoom"]) or {}
    centre, zoom = out.get("center") or {}, out.get("zoom")
    if centre.get("lat") is not None and zoom:
        _take_report(page, (round(centre["lat"], 6), round(centre["lng"], 6), float(zoom)))
    return out


def clicked_properties(out: dict, page: str) -> dict:
    """Properties of the feature clicked since the last run (each click is reported once)."""
    props = ((out or {}).get("last_active_drawing") or {}).get("properties") or {}
    marker = (props.get("id"), props.get("place_id"))
    if not props or marker == st.session_state.get(_key(page, "last_click")):
        return {}
    st.session_state[_key(page, "last_click")] = marker
    return props


def write_url(page: str, *, mode: str, heat: bool = False) -> None:
    """The current view, mode, heat and selection into the URL (what a shared link reopens)."""
    values = {"mode": mode}
    seen = st.session_state.get(_key(page, "seen"))
    if seen:
        values |= {"lat": f"{seen[0]:.5f}", "lon": f"{seen[1]:.5f}", "z": f"{seen[2]:g}"}
    if heat:
        values["heat"] = "1"
    if selected(page) is not None:
        values["compound"] = str(selected(page))
    params = st.query_params
    for key in URL_KEYS:
        if key in values:
            if params.get(key) != values[key]:
                params[key] = values[key]
        elif key in params:
            del params[key]


def share_button(page: str) -> None:
    """A link to this view that a colleague can open (through sign-in, if needed)."""
    from urllib.parse import urlencode

    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - no browser (AppTest)
        base = ""
    link = f"{base}?{urlencode(st.query_params.to_dict())}"
    with st.popover(t("share_view"), icon=":material/share:"):
        st.caption(t("share_view_hint"))
        st.code(link, language=None, wrap_lines=True)
