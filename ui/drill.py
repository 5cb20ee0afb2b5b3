"""Drill-down on 总览's map: 省 → 市 → 县（区、市） → 镇街, the sidebar's scope following (issue 17).

At coarse zoom the map fills the places one level below the scope
(:func:`data.scope.drill_level`). A click on one narrows the scope to it: the
page asks for it here (:func:`request`) and the sidebar applies it on the next run
before drawing its pickers (:func:`apply_pending`; a widget's value can only be
set before it is drawn). The sidebar re-checks the choice against the user's own
jurisdiction, so a drill never sees more than the pickers would. The path above
the map (:func:`path`) says where one is and goes back up one level.
"""
from __future__ import annotations

import streamlit as st

from data.scope import Scope
from ui.text import md_escape, t

PENDING = "drill_to"
# the sidebar's picker keys, widest first (ui/state.py)
KEYS = ("city_adcode", "county_adcode", "township_id", "community_id")


def request(level: str, place) -> None:
    """Narrow the scope to the place ``place`` (adcode of a city or county, id of a township) on the next run."""
    st.session_state[PENDING] = (level, str(place))


def _clear_below(key: str) -> None:
    """The pickers narrower than ``key`` back to their whole option (None)."""
    for k in KEYS[KEYS.index(key) + 1:]:
        st.session_state[k] = None


def apply_pending(counties) -> None:
    """A requested place becomes the sidebar pickers' values (called before they are drawn).

    ``counties``: the user's counties (adcode, city_adcode), to choose a county's city with it."""
    pending = st.session_state.pop(PENDING, None)
    if pending is None:
        return
    level, place = pending
    if level == "city":
        st.session_state["city_adcode"] = place
        _clear_below("city_adcode")
    elif level == "county":
        cities = dict(zip(counties["adcode"], counties["city_adcode"]))
        if cities.get(place):
            st.session_state["city_adcode"] = cities[place]
        st.session_state["county_adcode"] = place
        _clear_below("county_adcode")
    elif level == "township" and place.isdigit():
        st.session_state["township_id"] = int(place)
        _clear_below("township_id")


def _up(key: str) -> None:
    """Back up one level: the picker ``key`` and every narrower one to their whole option (a button's callback)."""
    st.session_state[key] = None
    _clear_below(key)


def path(scope: Scope, base: Scope, *, top: str, counties, townships) -> None:
    """``山东省 › 济宁市 › 金乡县 › 鸡黍镇`` above the map, and a button one level up (not above ``base``).

    ``top``: the deployment's name; ``counties`` (adcode, name, city_adcode, city) and ``townships``
    (id, name) of the user's jurisdiction, to name the steps."""
    steps = [top]
    county = counties[counties["adcode"] == scope.county] if scope.county else counties.iloc[0:0]
    city = scope.city or (county["city_adcode"].iloc[0] if len(county) else None)
    names = counties.loc[counties["city_adcode"] == city, "city"] if city else counties.iloc[0:0]["city"]
    if len(names) and len(counties) > 1 and names.iloc[0] != top:  # a city of the deployment, not the deployment
        steps.append(names.iloc[0])
    if len(county) and len(counties) > 1:
        steps.append(county["name"].iloc[0])
    if scope.township_id is not None:
        names = townships.loc[townships["id"] == scope.township_id, "name"]
        steps.append(names.iloc[0] if len(names) else "")
    up = next((key for key, value, mine in (
        ("township_id", scope.township_id, base.township_id),
        ("county_adcode", scope.county, base.county),
        ("city_adcode", scope.city, base.city)) if value is not None and mine is None), None)
    if len(steps) < 2 and up is None:
        return
    text, back = st.columns([4, 1], vertical_alignment="center")
    text.markdown(f"{t('drill_where')}：" + " › ".join(f"**{md_escape(s)}**" if i == len(steps) - 1
                                                       else md_escape(s) for i, s in enumerate(steps)))
    if up is not None:
        back.button(t("drill_up"), key="drill_up", on_click=_up, args=(up,), icon=":material/arrow_upward:",
                    use_container_width=True)
