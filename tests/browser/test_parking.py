"""错时停车 in real Chromium: a demo township's plan drawn — compounds by shortage, resources by capacity,
lines weighted by cars — with the summary in Chinese."""
from __future__ import annotations

import json
import re

import numpy as np
from helpers import save_screenshot, wait_for_text

from data import db
from data.queries import parking as q
from data.scope import Scope

# what Leaflet drew, told apart by the properties each layer's features carry
_DRAWN_JS = """() => {
    const out = {compounds: 0, shortage: 0, resources: 0, lines: 0, weights: [], labels: 0, legend: ''};
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        v.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (!p) return;
            if (p.capacity !== undefined && !p._line) out.resources += 1;
            else if (p.resource !== undefined) {
                if (l.options.color === '#ffffff') return;  // the white casing under each line
                out.lines += 1; out.weights.push(l.options.weight);
            }
            else if (p.shortage !== undefined) {
                out.compounds += 1;
                if (p._style && p._style.fillColor !== '#eeeeee') out.shortage += 1;
            }
        });
        break;
    }
    out.labels = document.querySelectorAll('.map-label').length;
    out.legend = [...document.querySelectorAll('.governance-legend')].map(e => e.innerText).join('|');
    return out;
}"""


_ZOOM_JS = """() => {
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        let best = null;
        v.eachLayer(l => { const p = l.feature && l.feature.properties;
            if (p && p.resource !== undefined && (!best || p.cars > best.feature.properties.cars)) best = l; });
        if (best) v.setView(best.getBounds().getCenter(), 16, {animate: false});
        return true;
    }
}"""


def test_parking_plan_is_drawn_for_a_demo_township(page, open_app, wait_for_map, console_errors):
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "/_stcore/" not in r.url
            and "favicon" not in r.url else None)
    open_app()
    open_app("parking", timeout_s=90)
    state = wait_for_map(page, min_paths=100, timeout_s=90)
    drawn = state.frame.evaluate(_DRAWN_JS)
    assert drawn["compounds"] >= 40 and drawn["shortage"] >= 20, drawn
    assert drawn["resources"] >= 10 and drawn["labels"] >= 10, drawn
    assert drawn["lines"] >= 5, drawn
    assert len(set(drawn["weights"])) > 1, drawn  # widths follow the cars on each line
    assert not drawn["legend"], drawn["legend"]  # no legend on the map: it is under it
    legend = " ".join(page.locator(".governance-legend").all_inner_texts())
    assert "停车缺口（辆）" in legend and "道路夜间临时泊位" in legend, legend

    body = page.inner_text("body")
    for text in ("错时停车", "已安排车辆（辆）", "缺口满足率", "平均步行距离（米）", "仍缺（辆）", "综合执法局"):
        assert text in body, text
    placed = page.locator('[data-testid="stMetric"]', has_text="已安排车辆").inner_text()
    assert int(re.sub(r"\D", "", placed.split("\n")[-1])) > 0, placed
    state.frame.frame_element().scroll_into_view_if_needed()  # Streamlit scrolls inside its own container
    page.wait_for_timeout(300)
    save_screenshot(page, "parking")
    state.frame.evaluate(_ZOOM_JS)  # closer: the lines of the heaviest assignment and its neighbours
    page.wait_for_timeout(800)
    save_screenshot(page, "parking-zoom")
    assert not failed, failed
    assert not [e for e in console_errors if "Failed to load resource" not in e], console_errors


# the assignment lines (not their casings) and whether the road network is drawn
_ROUTES_JS = """() => {
    const out = {lines: 0, turning: 0, network: 0};
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        v.eachLayer(l => {
            if (!l._latlngs) return;
            const p = l.feature && l.feature.properties;
            if (l.options.color === '#9e9e9e') out.network += 1;
            else if (p && p.resource !== undefined && l.options.color !== '#ffffff') {
                out.lines += 1; if (l._latlngs.length > 2) out.turning += 1;
            }
        });
        break;
    }
    return out;
}"""


# the map's labels, resource circles and legends as rectangles in the frame's client pixels
_LAYOUT_JS = """() => {
    let map = null;
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (v instanceof window.L.Map) { map = v; break; }
    }
    const box = map.getContainer().getBoundingClientRect();
    const rect = r => ({x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
    const onMap = r => r.x1 > box.left && r.x0 < box.right && r.y1 > box.top && r.y0 < box.bottom;
    const all = [...document.querySelectorAll('.map-label')];
    const shown = all.filter(e => getComputedStyle(e).visibility !== 'hidden');
    const labels = shown.map(e => ({...rect(e.getBoundingClientRect()), text: e.innerText,
                                    margin: e.style.marginLeft + ' ' + e.style.marginTop})).filter(onMap);
    const circles = [];
    map.eachLayer(l => {
        const p = l.feature && l.feature.properties;
        if (!p || p.capacity === undefined || p._line || !l.getLatLng) return;
        const c = map.latLngToContainerPoint(l.getLatLng()), r = l.getRadius();
        const it = {x0: box.left + c.x - r, y0: box.top + c.y - r, x1: box.left + c.x + r, y1: box.top + c.y + r,
                    cx: c.x, cy: c.y, name: p.name};
        if (onMap(it)) circles.push(it);
    });
    const legends = [...document.querySelectorAll('.governance-legend')].map(e => rect(e.getBoundingClientRect()));
    return {labels, circles, legends, all: all.length, box: rect(box), tries: map._labelTries || 0,
            zoom: map.getZoom(), size: map.getSize()};
}"""

# the open tooltip: its text and whether it is the topmost element at its centre (pointer events
# are switched on for the probe, as Leaflet's tooltips ignore the pointer)
_TOOLTIP_JS = """() => {
    const tips = [...document.querySelectorAll('.leaflet-tooltip')];
    if (!tips.length) return null;
    const tip = tips[tips.length - 1], r = tip.getBoundingClientRect();
    tip.style.pointerEvents = 'auto';
    const top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    tip.style.pointerEvents = '';
    return {text: tip.innerText, onTop: !!(top && top.closest('.leaflet-tooltip')),
            topClass: top ? String(top.className) : null};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


def _check_layout(layout: dict) -> None:
    print("LAYOUT", json.dumps(layout, ensure_ascii=False))
    labels = layout["labels"]
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not _overlap(a, b), (a, b, layout)  # "135位" over "122位" read "1352位"
    for legend in layout["legends"]:  # none is drawn on the map; if one were, it must cover nothing
        for item in labels + layout["circles"]:
            assert not _overlap(legend, item), (legend, item)


def test_labels_never_overlap_and_the_legend_covers_nothing(page, open_app, wait_for_map):
    open_app("parking", user="jinxiang_jd", timeout_s=90)
    state = wait_for_map(page, min_paths=100, timeout_s=90)
    state.frame.frame_element().scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    layout = state.frame.evaluate(_LAYOUT_JS)
    assert layout["all"] >= 10 and len(layout["labels"]) >= 5, layout
    _check_layout(layout)
    frame_box = state.frame.frame_element().bounding_box()
    legends = page.locator(".governance-legend")
    assert legends.count() == 2
    for n in range(2):  # the legends sit under the map, outside it
        b = legends.nth(n).bounding_box()
        assert b["y"] >= frame_box["y"] + frame_box["height"] - 1, (b, frame_box)
    save_screenshot(page, "parking-labels")
    legends.nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save_screenshot(page, "parking-legend")
    state.frame.frame_element().scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    frame_box = state.frame.frame_element().bounding_box()

    # hover the circle nearest the map's lower right corner (where a legend used to hide the label)
    corner = max(layout["circles"], key=lambda c: c["cx"] + c["cy"])
    page.mouse.move(frame_box["x"] + corner["cx"], frame_box["y"] + corner["cy"])
    page.wait_for_timeout(400)
    tip = state.frame.evaluate(_TOOLTIP_JS)
    assert tip and corner["name"] in tip["text"] and "可共享车位" in tip["text"], (tip, corner)
    assert tip["onTop"], tip
    save_screenshot(page, "parking-hover")

    state.frame.evaluate(_ZOOM_JS)  # street zoom: more room, more labels, still none overlapping
    page.mouse.move(frame_box["x"] + 5, frame_box["y"] + 5)
    page.wait_for_timeout(800)
    closer = state.frame.evaluate(_LAYOUT_JS)
    assert closer["labels"], closer
    _check_layout(closer)
    save_screenshot(page, "parking-labels-zoom")


def test_a_road_network_upload_draws_the_walks_along_the_streets(page, open_app, wait_for_map, demo_db_url,
                                                                tmp_path):
    minx, miny, maxx, maxy = q.demand(db.make_engine(demo_db_url), Scope(1)).total_bounds  # 金乡街道
    xs, ys = np.arange(minx - 0.001, maxx + 0.002, 0.001), np.arange(miny - 0.001, maxy + 0.002, 0.001)
    lines = [[[x, y] for x in xs] for y in ys] + [[[x, y] for y in ys] for x in xs]  # ~100 m blocks
    grid = tmp_path / "街道路网.geojson"
    grid.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in lines]}))
    open_app("parking", user="jinxiang_jd", timeout_s=90)
    wait_for_map(page, min_paths=100, timeout_s=90)
    uploader = page.locator('[data-testid="stFileUploader"]', has_text="路网文件")
    uploader.locator('input[type="file"]').set_input_files(str(grid))
    wait_for_text(page, "已按路网计算步行距离", timeout_s=90)
    state = wait_for_map(page, min_paths=100, timeout_s=90)
    drawn = state.frame.evaluate(_ROUTES_JS)
    assert drawn["network"] >= len(lines) * 0.9, drawn
    assert drawn["lines"] >= 5 and drawn["turning"] >= drawn["lines"] * 2 / 3, drawn
    state.frame.frame_element().scroll_into_view_if_needed()
    state.frame.evaluate(_ZOOM_JS)
    page.wait_for_timeout(800)
    save_screenshot(page, "parking-network")



def _download(page, label: str):
    """Click the download button ``label`` and return (file name, bytes) of what the browser got."""
    button = page.locator('[data-testid="stDownloadButton"]', has_text=label).first
    button.wait_for(state="visible", timeout=20_000)
    with page.expect_download(timeout=60_000) as got:
        button.locator("button").first.click()
    return got.value.suggested_filename, open(got.value.path(), "rb").read()


def test_a_saved_plan_offers_its_word_and_excel_at_once(page, open_app, wait_for_map):
    """Each save shows that plan's .docx and .xlsx downloads in the same visit, without a reload."""
    from helpers import wait_for_app

    open_app("parking", user="jinxiang_jd", timeout_s=90)
    wait_for_map(page, min_paths=100, timeout_s=90)
    page.get_by_role("tab", name="方案管理").click()
    for n, title in enumerate(("金乡街道错时停车方案（初稿）", "金乡街道错时停车方案（二稿）"), start=1):
        box = page.get_by_label("方案名称")
        box.fill(title)
        box.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="保存为方案（草稿）").click()
        wait_for_text(page, f"已保存为草稿，方案编号 {n}", timeout_s=90)
        page.wait_for_timeout(1500)  # the map's first report reruns the page once more: the buttons must survive it
        wait_for_app(page, timeout_s=60)
        save_screenshot(page, f"parking-saved-{n}")
        name, data = _download(page, "下载方案（Word）")
        assert name == f"{title}.docx" and data[:2] == b"PK" and len(data) > 5000, (name, len(data))
        name, data = _download(page, "下载方案（Excel）")
        assert name == f"{title}.xlsx" and data[:2] == b"PK" and len(data) > 3000, (name, len(data))
