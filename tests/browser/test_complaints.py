"""诉求分析 in real Chromium: the ranking table with its ladder actions and the Chinese text render."""
from __future__ import annotations

import io
import re
import sqlite3

import openpyxl
from helpers import db_path, map_frames, save_screenshot, wait_for_app, wait_for_text

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def test_complaints_page_shows_the_ranking_ladder(page, open_app, console_errors):
    open_app(timeout_s=120)  # the entry page first, then the navigation, as a user gets there
    page.locator('[data-testid="stSidebarNav"] a', has_text="诉求分析").click()
    page.wait_for_function("document.body.innerText.includes('投诉量前')", timeout=60_000)
    wait_for_app(page, timeout_s=60)
    body = page.inner_text("body")
    assert "诉求分析" in body and "排名与问责" in body and "年内累计同比" in body
    assert re.search(r"\d{4}-\d{2} 投诉量前 \d+ 名项目", body)
    assert "目标进度" in body and "30%" in body

    # the ranking grid (glide data grid draws cells on a canvas: read its accessible table)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    assert grid.bounding_box()["height"] > 200
    cells = page.locator('[data-testid="stDataFrame"] [role="gridcell"], [data-testid="stDataFrame"] td')
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].some(
               g => /处理措施/.test(g.innerText || g.textContent))""", timeout=30_000)
    text = " ".join(cells.all_text_contents()) or grid.text_content()
    assert any(word in text for word in ("通报", "建议更换项目经理", "启动更换物业企业程序")), text[:300]

    save_screenshot(page, "complaints")
    assert not PHONE.search(body)
    assert not [e for e in console_errors if "favicon" not in e], console_errors

    page.get_by_text("镇街同比问责").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    save_screenshot(page, "complaints_townships", full_page=False)

    page.get_by_role("tab", name="趋势与构成").click()
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=30_000)
    page.wait_for_timeout(800)
    save_screenshot(page, "complaints_trend", full_page=False)

    page.get_by_role("tab", name="诉求明细").click()
    page.wait_for_function("document.body.innerText.includes('诉求工单')", timeout=30_000)
    page.wait_for_timeout(800)
    save_screenshot(page, "complaints_records")
    assert not PHONE.search(page.inner_text("body"))


_HEAT_JS = """() => {
    let cells = 0, area = 0;
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        const size = v.getSize();
        area = size.x * size.y;
        // heat hexagons: non-interactive canvas polygons (layers.heat.HexLayer)
        v.eachLayer(l => { if (l._latlngs && l.options && l.options.interactive === false && !l.feature) cells++; });
    }
    return {cells, area};
}"""


def test_the_heat_map_draws_when_its_tab_is_opened(page, open_app, wait_for_map):
    open_app("complaints", timeout_s=120)
    page.get_by_role("tab", name="诉求热力").click()
    wait_for_map(page, min_paths=20, timeout_s=90)
    page.wait_for_timeout(800)
    # the page has two maps (the ranking's linked map and this one): the heat map is the one with cells
    heat = max((f.evaluate(_HEAT_JS) for f in map_frames(page)), key=lambda h: (h["cells"], h["area"]))
    assert heat["area"] > 200_000, heat  # a map of its full size, not one started in a hidden tab
    assert heat["cells"] > 20, heat
    assert "六边形" in page.inner_text("body")
    save_screenshot(page, "complaints_heat", full_page=False)


def test_an_excel_download_is_made_at_the_click_stamped_and_audited(page, open_app, demo_db_url, wait_for_map):
    """Workbooks are written only when their button is clicked (a deferred download)."""
    open_app("complaints")
    wait_for_text(page, "排名与问责", "下载 Excel", timeout_s=90)
    wait_for_map(page, timeout_s=90)  # the map reports its view once drawn, and that reruns the page
    wait_for_app(page)
    demo_db = db_path(demo_db_url)
    with sqlite3.connect(demo_db) as con:
        before = con.execute("select count(*) from audit_log where action = 'export'").fetchone()[0]
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载 Excel").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "投诉" in download.suggested_filename
    book = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "排名" in cells and any("导出人" in c and "leader" in c for c in cells)
    wait_for_app(page)
    with sqlite3.connect(demo_db) as con:
        rows = con.execute("select username, target from audit_log where action = 'export' order by id").fetchall()
    assert len(rows) == before + 1 and rows[-1] == ("leader", download.suggested_filename)
