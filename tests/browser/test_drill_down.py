"""总览 on a province deployment in real Chromium: drill 山东省 → 济宁市 → 金乡县 → a township → a compound.

A small province demo (16 cities, 136 counties, a dozen compounds each) is built for this module and
served by its own Streamlit process. Each step is a real mouse click on the place's filled area;
the map must then fill the next level's places, the sidebar's scope must follow (the pickers and
the path above the map name the place), and at the end a compound's record opens.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from helpers import (ROOT, StreamlitServer, map_frames, open_as, save_screenshot, wait_for_app, wait_for_map,
                     wait_for_text)

# The filled places (features with a place_id) of the page's maps: [{name, place_id}].
_AREAS_JS = """() => {
    const out = [];
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        v.eachLayer(l => { const p = l.feature && l.feature.properties;
                           if (p && p.place_id !== undefined) out.push({name: p.name, place_id: String(p.place_id)}); });
    }
    return out;
}"""

# Fit the map to the place named `name` (or to the first compound when `name` is null) and return a
# point inside its polygon, in container pixels: Leaflet's own projection, a ray-cast to stay inside
# concave outlines.
_POINT_IN_JS = """(name) => {
    const inside = (pt, ring) => { let c = false;
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
            const a = ring[i], b = ring[j];
            if ((a.lat > pt.lat) !== (b.lat > pt.lat) &&
                pt.lng < (b.lng - a.lng) * (pt.lat - a.lat) / (b.lat - a.lat) + a.lng) c = !c; }
        return c; };
    const rings = ll => (ll.length && ll[0].lat !== undefined) ? [ll] : ll.flatMap(rings);
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        let hit = null;
        v.eachLayer(l => { const p = l.feature && l.feature.properties;
            if (!hit && p && l.getLatLngs && (name === null ? p.id !== undefined
                                                             : (p.place_id !== undefined && p.name === name))) hit = l; });
        if (!hit) return null;
        v.fitBounds(hit.getBounds(), {maxZoom: name === null ? 17 : 18, animate: false});
        const b = hit.getBounds(), c = b.getCenter(), all = rings(hit.getLatLngs());
        const pts = [];
        for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++)
            pts.push(L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 20,
                              b.getWest() + (b.getEast() - b.getWest()) * j / 20));
        pts.sort((p, q) => p.distanceTo(c) - q.distanceTo(c));
        const pt = pts.find(p => inside(p, all[0]) && !all.slice(1).some(r => inside(p, r)));
        if (!pt) return null;
        const xy = v.latLngToContainerPoint(pt);
        return {x: xy.x, y: xy.y, name: hit.feature.properties.name, id: hit.feature.properties.id};
    }
    return null;
}"""


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """A small province demo and a Streamlit process serving it: (base URL, database URL)."""
    folder = tmp_path_factory.mktemp("province")
    url = f"sqlite:///{folder / 'province.sqlite'}"
    built = subprocess.run([sys.executable, "-m", "data", "demo", "--db", url, "--scale", "province",
                            "--compounds-per-county", "8", "--complaints-per-county", "120"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    server = StreamlitServer(ROOT / "dashboard.py", env={"DATABASE_URL": url}, log_file=folder / "streamlit.log")
    try:
        yield server.start(timeout_s=120), url
    finally:
        server.stop()


def _areas(page) -> list[set[str]]:
    """The names of the filled places, one set per map frame (a rerun may leave the old frame a moment)."""
    found = []
    for frame in map_frames(page):
        try:
            found.append({a["name"] for a in frame.evaluate(_AREAS_JS)})
        except Exception:  # noqa: BLE001 - the frame is being replaced by the rerun
            continue
    return found


def _wait_for_areas(page, wanted: set[str], timeout_s: float = 120) -> None:
    """Until a map fills exactly the places named ``wanted``."""
    deadline = time.monotonic() + timeout_s
    seen: list[set[str]] = []
    while time.monotonic() < deadline:
        seen = _areas(page)
        if wanted in seen:
            wait_for_app(page)
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"the map fills {[sorted(s)[:6] for s in seen]}, wanted {sorted(wanted)[:6]}… "
                         f"({len(wanted)})")


def _click(page, name: str | None) -> dict:
    """Click inside the place ``name`` (None: the first compound) as a person would."""
    iframe = page.query_selector('iframe[src*="streamlit_folium"], iframe[title*="streamlit_folium"]')
    iframe.scroll_into_view_if_needed()
    for frame in reversed(map_frames(page)):
        target = frame.evaluate(_POINT_IN_JS, name)
        if target:
            break
    else:
        raise AssertionError(f"nothing named {name!r} on the map")
    page.wait_for_timeout(500)
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    return target


def _names(url: str, sql: str, **params) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(sql), params).scalars())
    finally:
        engine.dispose()


def _sidebar_value(page, label: str) -> str:
    """What the sidebar's picker ``label`` shows (its text, or the value of its search input)."""
    pickers = page.eval_on_selector_all('[data-testid="stSidebar"] [data-testid="stSelectbox"]', """els => els.map(e => {
        const label = (e.querySelector('label') || {}).innerText || '';
        const input = e.querySelector('input');
        return [label.trim(), e.innerText.replace(label, '').trim() + ' ' + (input ? input.value : '')];
    })""")
    return next((value for name, value in pickers if name == label), "")


def test_drill_from_the_province_to_a_compound(page, province):
    base_url, db_url = province
    cities = _names(db_url, "SELECT name FROM region WHERE level = 'city'")
    assert len(cities) == 16
    open_as(page, base_url, "", user="admin", timeout_s=120)
    wait_for_map(page, min_paths=16, timeout_s=180)
    _wait_for_areas(page, cities)
    save_screenshot(page, "drill_province")

    _click(page, "济宁市")
    _wait_for_areas(page, _names(db_url, "SELECT name FROM county WHERE city_adcode = '370800'"))
    assert "济宁市" in _sidebar_value(page, "市")
    assert "当前位置：山东省 › 济宁市" in page.inner_text("body")
    save_screenshot(page, "drill_city")

    _click(page, "金乡县")
    towns = _names(db_url, "SELECT name FROM township WHERE county_adcode = '370828'")
    _wait_for_areas(page, towns)
    assert "金乡县" in _sidebar_value(page, "县（区、市）")
    assert "当前位置：山东省 › 济宁市 › 金乡县" in page.inner_text("body")
    save_screenshot(page, "drill_county")

    town = sorted(towns)[0]
    _click(page, town)
    communities = _names(db_url, "SELECT c.name FROM community c JOIN township t ON c.township_id = t.id "
                                 "WHERE t.county_adcode = '370828' AND t.name = :town", town=town)
    _wait_for_areas(page, communities)
    assert town in _sidebar_value(page, "镇街")
    assert f"当前位置：山东省 › 济宁市 › 金乡县 › {town}" in page.inner_text("body")

    target = _click(page, None)  # the first compound of the township, zoomed in to it
    wait_for_text(page, target["name"], "小区类型", "管理模式", timeout_s=60)
    in_town = _names(db_url, "SELECT c.name FROM compound c JOIN township t ON c.township_id = t.id "
                             "WHERE t.county_adcode = '370828' AND t.name = :town", town=town)
    assert target["name"] in in_town
    save_screenshot(page, "drill_compound")

    # and back up one level: the county's townships again
    page.get_by_role("button", name="返回上一级").click()
    _wait_for_areas(page, towns)
    assert "当前位置：山东省 › 济宁市 › 金乡县" in page.inner_text("body")
