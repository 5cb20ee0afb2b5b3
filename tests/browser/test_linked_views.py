"""Linked views in real Chromium: a row of the black list outlines its compound on the small map and
opens its record; a compound clicked on that map selects its row in the red list; a reload keeps it.
Screenshots of each page with a linked table: 考核评价, 问责台账, 诉求分析."""
from __future__ import annotations

import time

import pytest
from helpers import db_path, map_frames, save_screenshot, wait_for_app, wait_for_map, wait_for_text

from data import db
from data.queries import evaluation as ev
from data.scope import COUNTY
from policy import ratings

# The Leaflet map of the frame, as an expression
_MAP = """(() => {
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (v instanceof window.L.Map) return v;
    }
    return null;
})()"""

# Layers of the selection outline (pane "selection") and, of a compound id, where it is on the page
_OUTLINED_JS = "() => Object.values(MAP._layers).filter(l => l.options && l.options.pane === 'selection' " \
               "&& l.feature).length".replace("MAP", _MAP)


def _outlined(page, want: int = 1, timeout_s: float = 60) -> int:
    """Outlined features on the page's maps once the run has swapped its layers in.

    诉求分析 has two maps (heat and the linked one): whichever drew first was the one
    ``wait_for_map`` returned, so the check read the heat map half the time. Under load the
    swap can also come seconds after the map first shows, and a frame may be replaced meanwhile.
    """
    deadline, got = time.monotonic() + timeout_s, None
    wait_for_map(page, min_paths=20, timeout_s=timeout_s)
    while time.monotonic() < deadline:
        counts = []
        for frame in map_frames(page):
            try:
                counts.append(frame.evaluate(_OUTLINED_JS))
            except Exception:  # noqa: BLE001 - the frame was replaced under us: look again
                pass
        got = max(counts, default=None)
        if got == want:
            return got
        page.wait_for_timeout(500)
    return got


_FIND_JS = """id => {
    const v = MAP;
    let hit = null;
    v.eachLayer(l => { if (!hit && l.feature && l.feature.properties && l.feature.properties.id === id
                           && l.getBounds) hit = l; });
    if (!hit) return null;
    v.fitBounds(hit.getBounds(), {maxZoom: 17, animate: false});
    const p = v.latLngToContainerPoint(hit.getBounds().getCenter());
    const r = v.getContainer().getBoundingClientRect();
    return {x: r.left + p.x, y: r.top + p.y};
}""".replace("MAP", _MAP)

@pytest.fixture(scope="module")
def lists(demo_db_url):
    """The newest quarter's black and red lists, as the page orders them."""
    engine = db.make_engine(demo_db_url)
    quarter = ev.quarters(engine)[-1]
    frame = ev.quarter_lists(engine, COUNTY, quarter)
    black = frame[frame["list"] == ratings.BLACK].sort_values("score").reset_index(drop=True)
    red = frame[frame["list"] == ratings.RED].reset_index(drop=True)
    engine.dispose()
    assert db_path(demo_db_url) and len(black) and len(red)
    return black, red


def _grid(page, key: str):
    """The data grid of the linked table ``key`` (its widget key is ``<key>_<digest>``)."""
    return page.locator(f'[class*="st-key-{key}_"] [data-testid=stDataFrame], '
                        f'[data-testid=stDataFrame][class*="st-key-{key}_"]').first


def _click_row(page, grid, row: int) -> None:
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17 + 35 * row)  # the row's selection marker


def _grid_shows_selected(page, grid, row: int) -> bool:
    """Whether the grid draws ``row`` as selected: its accessible table marks the row (aria-selected)."""
    return grid.evaluate("""(g, row) => [...g.querySelectorAll('tr[aria-selected="true"]')]
        .some(r => Number(r.getAttribute('aria-rowindex')) === row + 2)""", row)


def test_a_black_list_row_and_a_map_click_select_each_other(page, open_app, lists):
    black, red = lists
    open_app("evaluation", user="housing", timeout_s=120)
    wait_for_map(page, min_paths=300, timeout_s=90)
    first = black.iloc[0]
    _click_row(page, _grid(page, "ev_black"), 0)
    page.wait_for_function(f"() => window.location.search.includes('compound={int(first['compound_id'])}')",
                           timeout=60_000)
    wait_for_text(page, "打开完整小区档案", "小区类型")
    record = page.locator("[data-testid=stMarkdownContainer] h4").first.inner_text()
    assert record.strip() == first["compound"]
    state = wait_for_map(page, min_paths=300, timeout_s=60)
    page.wait_for_timeout(1500)
    assert _outlined(page) == 1  # the row's compound is outlined
    save_screenshot(page, "linked_evaluation_black_row")

    # a compound of the red list, clicked on the map, selects its row there
    other = red.iloc[0]
    iframe = page.query_selector('iframe[src*="streamlit_folium"], iframe[title*="streamlit_folium"]')
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    spot = state.frame.evaluate(_FIND_JS, int(other["compound_id"]))
    assert spot, "the red-list compound is not on the map"
    page.wait_for_timeout(800)
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    page.wait_for_function(f"() => window.location.search.includes('compound={int(other['compound_id'])}')",
                           timeout=60_000)
    wait_for_text(page, other["compound"], "打开完整小区档案")
    page.wait_for_timeout(1500)
    red_grid, black_grid = _grid(page, "ev_red"), _grid(page, "ev_black")
    assert _grid_shows_selected(page, red_grid, 0), "the red list's row is not selected"
    assert not _grid_shows_selected(page, black_grid, 0), "the black list still shows its row"
    save_screenshot(page, "linked_evaluation_map_click")

    # a reload keeps the selection: the record, the outline, the row
    page.reload(wait_until="domcontentloaded")
    wait_for_app(page, timeout_s=90)
    wait_for_text(page, other["compound"], "打开完整小区档案", timeout_s=90)
    state = wait_for_map(page, min_paths=300, timeout_s=90)
    page.wait_for_timeout(1500)
    assert _outlined(page) == 1
    assert _grid_shows_selected(page, _grid(page, "ev_red"), 0)


@pytest.mark.parametrize("path, user, key", [("register", "housing", "ar_items"), ("complaints", "leader", "cp_ranking")])
def test_linked_pages_select_a_row(page, open_app, path, user, key):
    """问责台账 and 诉求分析: the first row of the first linked table opens a record and an outline."""
    open_app(path, user=user, timeout_s=120)
    wait_for_map(page, min_paths=20, timeout_s=90)
    placed = "() => /[?&](compound|township)=/.test(window.location.search)"
    for row in range(6):  # 问责台账 starts with company items, which have no place on the map
        _click_row(page, _grid(page, key), row)
        page.wait_for_timeout(1000)
        wait_for_app(page)
        if page.evaluate(placed):
            break
        assert "地图上没有对应的小区或镇街" in page.inner_text("body")  # said, not silently nothing
    page.wait_for_function(placed, timeout=60_000)
    wait_for_app(page)
    state = wait_for_map(page, min_paths=20, timeout_s=60)
    page.wait_for_timeout(1500)
    assert _outlined(page) == 1
    body = page.inner_text("body")
    assert "小区类型" in body or "镇街边界已在地图上勾出" in body
    save_screenshot(page, f"linked_{path}")


def test_a_township_row_outlines_the_township(page, open_app):
    """诉求分析's township ladder: a row zooms the map to the township and outlines it."""
    open_app("complaints", timeout_s=120)
    wait_for_map(page, min_paths=20, timeout_s=90)
    _click_row(page, _grid(page, "cp_townships"), 0)
    page.wait_for_function("() => window.location.search.includes('township=')", timeout=60_000)
    wait_for_text(page, "镇街边界已在地图上勾出")
    state = wait_for_map(page, min_paths=20, timeout_s=60)
    page.wait_for_timeout(1500)
    assert _outlined(page) == 1
    save_screenshot(page, "linked_complaints_township")
