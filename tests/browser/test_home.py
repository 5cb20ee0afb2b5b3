"""The home page in real Chromium: the county map draws offline, Chinese renders, a click opens a record."""
from __future__ import annotations

from urllib.parse import urlparse

from helpers import save_screenshot, wait_for_text

# Centre of the first compound in container pixels, plus its name, computed by Leaflet itself.
_FIRST_COMPOUND_JS = """() => {
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        let hit = null;
        v.eachLayer(l => {
            if (!hit && l.feature && l.feature.properties && l.feature.properties.id !== undefined
                && l.getBounds) {
                v.fitBounds(l.getBounds(), {maxZoom: 16, animate: false});
                hit = l;
            }
        });
        if (hit) {
            const p = v.latLngToContainerPoint(hit.getBounds().getCenter());
            const r = v.getContainer().getBoundingClientRect();
            return {x: r.left + p.x, y: r.top + p.y, name: hit.feature.properties.name, id: hit.feature.properties.id};
        }
    }
    return null;
}"""


def test_home_map_draws_offline_with_compounds(page, open_app, wait_for_map, console_errors):
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", "localhost", None) and
            not r.url.startswith(("data:", "blob:", "about:")) else None)
    open_app()
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    assert state.maps == 1
    body = page.inner_text("body")
    assert "物业监管地图" in body and "金乡县" in body and "演示数据（合成）" in body
    assert "镇街统计" in body
    save_screenshot(page, "home")
    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not [e for e in console_errors if "favicon" not in e], console_errors


def _click_first_compound(page, state) -> dict:
    """Click the first compound drawn on the map, as a person would; its name and where it was."""
    iframe = page.query_selector('iframe[src*="streamlit_folium"], iframe[title*="streamlit_folium"]')
    # A click into a half-visible component iframe scrolls the page before the
    # mouseup lands; a user scrolls the map into view first, and so do we.
    iframe.scroll_into_view_if_needed()
    target = state.frame.evaluate(_FIRST_COMPOUND_JS)
    assert target, "no compound layer found"
    page.wait_for_timeout(500)
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    return target


def test_clicking_a_compound_opens_its_record(page, open_app, wait_for_map):
    open_app()
    target = _click_first_compound(page, wait_for_map(page, min_paths=600, timeout_s=90))
    wait_for_text(page, target["name"], "小区类型", "管理模式", "本期诉求", timeout_s=30)
    save_screenshot(page, "home_record")


# Names of the overlays in the map's layer control, read from Leaflet itself.
_OVERLAYS_JS = """() => [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
    .map(l => ({name: l.innerText.trim(), on: l.querySelector('input').checked}))"""


def test_overview_kpis_alerts_and_switchable_outlines(page, open_app, wait_for_map):
    open_app()
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    body = page.inner_text("body")
    for words in ("降幅目标进度", "本月投诉排名上榜小区", "黑榜项目", "镇街问责提醒", "镇街统计与问责",
                  "本月上榜小区", "目标进度（逐月）"):
        assert words in body, words
    assert any(w in body for w in ("工作提醒", "党（工）委书记公开承诺", "县专班集中谈话", "没有诉求同比上升的镇街"))
    overlays = {o["name"]: o["on"] for o in state.frame.evaluate(_OVERLAYS_JS)}
    for name in ("县界", "镇街边界", "社区边界", "网格边界", "镇街名称", "社区名称", "住宅小区"):
        assert name in overlays, overlays
    assert overlays["镇街边界"] and not overlays["社区边界"] and not overlays["网格边界"]
    # switching the community outlines on draws them
    before = state.layers
    state.frame.locator(".leaflet-control-layers").hover()
    state.frame.get_by_text("社区边界", exact=True).click()
    page.wait_for_timeout(500)
    after = wait_for_map(page, min_paths=before + 10, timeout_s=30)
    assert after.layers > before
    page.mouse.move(5, 5)
    assert _heat_display(state.frame, None) == ""  # the heat shows at the county view …
    assert _heat_display(state.frame, 15) == "none"  # … and gives way to the compounds zoomed in
    _heat_display(state.frame, "home")
    save_screenshot(page, "overview")
    _save_whole_page(page, "overview_full")


def test_compound_record_shows_ranking_and_lists(page, open_app, wait_for_map):
    open_app()
    wait_for_map(page, min_paths=600, timeout_s=90)
    page.locator("[data-testid=stSidebarNavLink]", has_text="小区档案").first.click()  # as a person gets there
    page.wait_for_function("() => document.body.innerText.includes('按名称、别名或地址搜索小区')",
                           timeout=60_000)
    page.wait_for_timeout(1000)  # the old page's map frame goes away
    target = _click_first_compound(page, wait_for_map(page, min_paths=300, timeout_s=90))
    body = wait_for_text(page, "全县投诉排名", "全县投诉量前")  # "全县投诉量前": the ladder state in words
    assert target["name"] in body
    assert "连续上榜" in body and "红黑榜（最近季度）" in body
    page.get_by_role("tab", name="考评与信用").click()
    page.wait_for_function("() => document.body.innerText.includes('红黑榜记录')", timeout=30_000)
    save_screenshot(page, "compound_record")
    _save_whole_page(page, "compound_record_full")


def _heat_display(frame, zoom) -> str:
    """Zoom the map (None: leave it, "home": back to where it opened) and read the heat pane's display."""
    return frame.evaluate("""async zoom => {
        for (const key of Object.getOwnPropertyNames(window)) {
            let v; try { v = window[key]; } catch (e) { continue; }
            if (!(v instanceof window.L.Map)) continue;
            if (zoom === "home") { zoom = v.options.zoom; }
            if (zoom !== null && zoom !== undefined) {
                await new Promise(done => { v.once('zoomend', done); v.setZoom(zoom, {animate: false}); });
            }
            const pane = v.getPane('heat');
            return pane ? pane.style.display : 'no heat pane';
        }
        return 'no map';
    }""", zoom)


def _save_whole_page(page, name: str) -> None:
    """Streamlit scrolls inside the page, so a full-page shot shows one screen: grow the window instead."""
    height = page.evaluate("() => (document.querySelector('[data-testid=stMain]') || document.body).scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 6000)})
    page.wait_for_timeout(1500)
    save_screenshot(page, name)
    page.set_viewport_size({"width": 1400, "height": 900})
