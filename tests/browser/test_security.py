"""Issue 13 §2 in real Chromium: the data grid offers no "Download as CSV" of its own.

The attack: on 诉求分析 → 诉求明细, the grid toolbar's download wrote complaint
text with formulas unescaped and was never audited. ``client.disableDataExport``
takes the button away; the table's toolbar (search, fullscreen) is still there,
so the test sees the toolbar it inspects.
"""
from __future__ import annotations

from helpers import save_screenshot, wait_for_app


def test_records_grid_has_no_csv_download(page, open_app):
    open_app("complaints", timeout_s=120, user="jinxiang_sq1")
    page.get_by_role("tab", name="诉求明细").click()
    page.wait_for_function("document.body.innerText.includes('诉求工单')", timeout=60_000)
    wait_for_app(page, timeout_s=60)
    grid = page.locator('[data-testid="stDataFrame"]:visible').first  # the records (other tabs' are hidden)
    grid.wait_for(state="visible")
    grid.scroll_into_view_if_needed()
    grid.hover()
    page.locator('[data-testid="stElementToolbar"]:visible button').first.wait_for(state="visible",
                                                                                  timeout=20_000)
    labels = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stElementToolbar"] button')]
        .filter(b => b.offsetParent !== null)
        .map(b => (b.getAttribute('aria-label') || '') + ' ' + (b.getAttribute('title') || '') + ' ' + b.innerText)""")
    save_screenshot(page, "security_grid_toolbar", full_page=False)
    assert labels, "the grid toolbar appeared with its buttons"
    assert not [x for x in labels if "download" in x.lower() or "下载" in x], labels
