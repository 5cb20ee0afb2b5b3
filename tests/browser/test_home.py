"""The home page in real Chromium: the county map draws offline, Chinese renders, a click opens a record."""
from __future__ import annotations

from urllib.parse import urlparse

from helpers import FILLS_JS, open_as, save_screenshot, wait_for_app, wait_for_map, wait_for_text

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
    for name in ("县界", "镇街边界", "社区边界", "网格边界", "镇街名称", "社区名称"):
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
    # at county zoom the townships are coloured and the compounds (a few pixels) wait …
    assert _pane_display(state.frame, None) == {"areas": "", "compounds": "none", "heat": None}
    # … zoomed in, the compounds take over
    assert _pane_display(state.frame, 15) == {"areas": "none", "compounds": "", "heat": None}
    _pane_display(state.frame, "home")
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


_MAP_JS = """(() => {
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (v instanceof window.L.Map) return v;
    }
    return null;
})()"""


def _pane_display(frame, zoom) -> dict:
    """Zoom the map (None: leave it, "home": back to where it opened); the display of each ranged pane."""
    return frame.evaluate("""async zoom => {
        const v = MAP;
        if (zoom === "home") { zoom = v.options.zoom; }
        if (zoom !== null && zoom !== undefined) {
            await new Promise(done => { v.once('zoomend', done); v.setZoom(zoom, {animate: false}); });
        }
        const out = {};
        for (const name of ["areas", "compounds", "heat"]) {
            const pane = v.getPane(name);
            out[name] = pane ? pane.style.display : null;
        }
        return out;
    }""".replace("MAP", _MAP_JS), zoom)


def _zoom(page) -> float:
    frame = wait_for_map(page, min_paths=1, timeout_s=60).frame
    return frame.evaluate("() => MAP.getZoom()".replace("MAP", _MAP_JS))


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox ``label`` (a rerun may close the list once: open it again)."""
    for _ in range(3):
        page.locator("[data-testid=stSelectbox]").filter(has_text=label).first.click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the list closed under a rerun
            wait_for_app(page)
    raise AssertionError(f"could not choose {option} in {label}")


def test_zoom_and_place_are_kept_across_a_mode_change(page, open_app, wait_for_map):
    open_app()
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    county_zoom = _pane_display(state.frame, None) and state.frame.evaluate("() => MAP.getZoom()"
                                                                             .replace("MAP", _MAP_JS))
    _pane_display(state.frame, 15)
    page.wait_for_function("() => window.location.search.includes('z=15')", timeout=30_000)
    page.wait_for_timeout(1000)
    wait_for_app(page)
    _choose(page, "着色方式", "管理模式")
    page.wait_for_function("() => window.location.search.includes('mode=management')", timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)  # the swapped layers are drawn
    assert _zoom(page) == 15 != county_zoom
    assert "z=15" in page.url and "mode=management" in page.url
    fills = wait_for_map(page, min_paths=600, timeout_s=60).frame.evaluate(FILLS_JS)
    assert "管理模式" in fills["legend"]


def test_one_wheel_notch_zooms_one_level(page, open_app, wait_for_map):
    open_app()
    state = wait_for_map(page, min_paths=600, timeout_s=90)
    iframe = page.query_selector('iframe[title*="streamlit_folium"]')
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    before = _zoom(page)
    box = iframe.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -100)  # one notch up
    page.wait_for_timeout(1200)
    assert _zoom(page) == before + 1


def test_a_shared_view_is_restored_after_sign_in(page, app_url, demo_db_url, wait_for_map):
    from data import db, queries
    from data.scope import COUNTY

    compounds = queries.compounds(db.make_engine(demo_db_url), COUNTY)
    chosen = compounds.iloc[5]
    point = chosen.geometry.representative_point()
    link = f"?mode=management&lat={point.y:.5f}&lon={point.x:.5f}&z=16&compound={int(chosen['id'])}"
    open_as(page, app_url, link, user="leader")  # the sign-in page first, then the view
    body = wait_for_text(page, str(chosen["name"]), "管理模式", timeout_s=90)
    assert "小区类型" in body  # the record panel of that compound
    wait_for_map(page, min_paths=600, timeout_s=60)
    page.wait_for_timeout(1500)
    assert _zoom(page) == 16
    assert "mode=management" in page.url and f"compound={int(chosen['id'])}" in page.url
    save_screenshot(page, "home_shared_view")


def test_a_row_of_the_top_list_selects_the_compound_on_the_map(page, open_app, wait_for_map):
    open_app()
    wait_for_map(page, min_paths=600, timeout_s=90)
    county_zoom = _zoom(page)
    page.get_by_role("tab", name="本月上榜小区").click()
    grid = page.locator("[data-testid=stDataFrame]").filter(visible=True).first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection marker
    page.wait_for_function("() => window.location.search.includes('compound=')", timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)
    assert _zoom(page) > county_zoom + 2  # the map moved to the compound
    body = page.inner_text("body")
    assert "小区类型" in body and "打开完整小区档案" in body
    frame = wait_for_map(page, min_paths=600, timeout_s=60).frame
    outlined = frame.evaluate("() => Object.values(MAP._layers).filter(l => l.options && "
                              "l.options.pane === 'selection' && l.feature).length".replace("MAP", _MAP_JS))
    assert outlined == 1  # the selected compound is outlined
    save_screenshot(page, "home_row_selected")


def _save_whole_page(page, name: str) -> None:
    """Streamlit scrolls inside the page, so a full-page shot shows one screen: grow the window instead."""
    height = page.evaluate("() => (document.querySelector('[data-testid=stMain]') || document.body).scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 6000)})
    page.wait_for_timeout(1500)
    save_screenshot(page, name)
    page.set_viewport_size({"width": 1400, "height": 900})


_VISIBLE_FILLS_JS = """() => {
    const v = MAP;
    const out = {areas: [], compounds: [], panes: {}};
    for (const name of ["areas", "compounds"]) {
        const pane = v.getPane(name);
        out.panes[name] = pane ? pane.style.display : null;
    }
    const view = v.getBounds();
    v.eachLayer(l => {
        if (!l.feature || !l.options || !l.options.fillColor || !l.getBounds) return;
        if (!view.intersects(l.getBounds())) return;
        const p = l.feature.properties || {};
        if (p.place_id !== undefined) out.areas.push(l.options.fillColor);
        else if (p.id !== undefined && l.options.pane === "compounds") out.compounds.push(l.options.fillColor);
    });
    out.legend = [...document.querySelectorAll('.governance-legend')]
        .filter(e => e.offsetParent !== null).map(e => e.innerText).join('|');
    return out;
}"""


def test_every_colour_mode_reads_at_county_and_street_zoom(page, app_url, demo_db_url, wait_for_map):
    """Issue 15: at county zoom the places carry the mode's indicator (compounds hidden); at street
    zoom the compounds carry the mode's own colours and legend. A screenshot of each is kept."""
    from data import db, queries
    from data.scope import COUNTY
    from layers.colours import AREA_INDICATORS, MODES

    compounds = queries.compounds(db.make_engine(demo_db_url), COUNTY)
    point = compounds.geometry.iloc[5].representative_point()  # a street in the county seat
    seen_compound_fills = {}
    for mode in MODES:
        for zoom, where in (("county", f"?mode={mode}"),
                            ("street", f"?mode={mode}&lat={point.y:.5f}&lon={point.x:.5f}&z=16")):
            open_as(page, app_url, where, user="leader")  # a shared link, through sign-in
            wait_for_app(page)
            frame = wait_for_map(page, min_paths=300, timeout_s=90).frame
            page.wait_for_timeout(1200)
            shown = frame.evaluate(_VISIBLE_FILLS_JS.replace("MAP", _MAP_JS))
            page.query_selector('iframe[title*="streamlit_folium"]').scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            save_screenshot(page, f"home_mode_{mode}_{zoom}", full_page=False)
            if zoom == "county":
                assert shown["panes"]["compounds"] == "none", mode  # 3-px compounds are hidden
                assert len(set(shown["areas"])) >= 2, (mode, shown["areas"][:5])  # places differ
                assert AREA_INDICATORS[mode].title.split("（")[0] in shown["legend"], (mode, shown["legend"])
            else:
                assert shown["panes"]["areas"] == "none", mode
                assert len(shown["compounds"]) >= 3, mode
                assert MODES[mode].label.split("（")[0] in shown["legend"], (mode, shown["legend"])
                seen_compound_fills[mode] = tuple(sorted(set(shown["compounds"])))
    # the modes do not look alike: no two modes colour the same compounds the same way
    assert len(set(seen_compound_fills.values())) == len(MODES), seen_compound_fills


_LEGEND_BOX_JS = """() => {
    const shown = [...document.querySelectorAll('.governance-legend')].filter(e => e.offsetParent !== null);
    return shown.map(e => { const r = e.getBoundingClientRect();
        return {w: r.width, h: r.height, open: e.querySelector('details').open, text: e.innerText}; });
}"""


def test_the_compound_legend_folds_to_its_title_at_street_zoom(page, app_url, demo_db_url, wait_for_map):
    """The in-map legend covered compounds in the corner at street zoom: it folds to its title with
    one click (the map does not take the click), and stays folded when a mode change redraws the map."""
    from data import db, queries
    from data.scope import COUNTY

    compounds = queries.compounds(db.make_engine(demo_db_url), COUNTY)
    point = compounds.geometry.iloc[5].representative_point()
    open_as(page, app_url, f"?mode=complaints&lat={point.y:.5f}&lon={point.x:.5f}&z=16", user="leader")
    wait_for_app(page)
    frame = wait_for_map(page, min_paths=300, timeout_s=90).frame
    page.wait_for_timeout(1200)
    page.query_selector('iframe[title*="streamlit_folium"]').scroll_into_view_if_needed()
    (opened,) = frame.evaluate(_LEGEND_BOX_JS)
    assert opened["open"] and "投诉密度" in opened["text"] and "\n" in opened["text"].strip()
    save_screenshot(page, "home_legend_open_street", full_page=False)
    zoom = frame.evaluate("() => MAP.getZoom()".replace("MAP", _MAP_JS))
    frame.locator(".governance-legend summary").first.click()
    page.wait_for_timeout(500)
    (folded,) = frame.evaluate(_LEGEND_BOX_JS)
    assert not folded["open"] and folded["h"] < 30 and folded["h"] * folded["w"] < opened["h"] * opened["w"] / 3
    assert frame.evaluate("() => MAP.getZoom()".replace("MAP", _MAP_JS)) == zoom  # the map took no click
    save_screenshot(page, "home_legend_folded_street", full_page=False)
    _choose(page, "着色方式", "管理模式")  # the map is redrawn with the other mode's legend
    page.wait_for_function("() => window.location.search.includes('mode=management')", timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)
    frame = wait_for_map(page, min_paths=300, timeout_s=60).frame
    legends = frame.evaluate(_LEGEND_BOX_JS)
    assert legends and all(not lg["open"] for lg in legends), legends
    assert any("管理模式" in lg["text"] for lg in legends)
