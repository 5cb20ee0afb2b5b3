"""问责台账 in real Chromium: the overview says what the month owes and was carried out, per township;
the register page lists the items. Screenshots go to artifacts/screenshots/."""
from __future__ import annotations

from helpers import save_screenshot, wait_for_text


def test_overview_shows_the_register_figures(page, open_app, wait_for_map):
    open_app()
    wait_for_map(page, min_paths=100, timeout_s=120)
    line = wait_for_text(page, "问责台账（", timeout_s=90)
    assert "应落实" in line and "已落实" in line and "逾期" in line
    page.get_by_text("问责台账落实", exact=True).first.click()  # the per-township table (a canvas grid)
    page.wait_for_timeout(1500)
    save_screenshot(page, "home_register")


def test_register_page_lists_items(page, open_app):
    open_app("register", timeout_s=120)
    body = wait_for_text(page, "应落实", "逾期", "登记落实情况", timeout_s=90)
    assert "问责台账" in body and "月检查" in body
    save_screenshot(page, "register")
