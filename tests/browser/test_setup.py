"""An empty county database in real Chromium: the checklist says what to import, the 数据管理 page
imports it, and the item is ticked.

The database is made as a county would make it: ``python -m data init --no-demo`` and an
administrator from ``python -m data user add chief --role admin --password-stdin``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT, StreamlitServer, save_screenshot, sign_in, wait_for_app, wait_for_text

PASSWORD = "Jiaxiang-2026!"
TOWNSHIPS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"名称": "嘉祥街道", "代码": "370829001"},
     "geometry": {"type": "Polygon", "coordinates": [[[116.30, 35.38], [116.40, 35.38], [116.40, 35.46],
                                                       [116.30, 35.46], [116.30, 35.38]]]}},
    {"type": "Feature", "properties": {"名称": "卧龙山街道办事处", "代码": "370829002"},
     "geometry": {"type": "Polygon", "coordinates": [[[116.40, 35.38], [116.50, 35.38], [116.50, 35.46],
                                                       [116.40, 35.46], [116.40, 35.38]]]}},
]}


def _line(body: str, label: str) -> str:
    """The checklist line of ``label`` (its icon is a Material Symbols ligature: check_circle / radio_button_…)."""
    return next(line.strip() for line in body.splitlines() if label in line and "python -m data" not in line
                or label in line and ("尚未导入" in line or "已导入" in line))


def _cli(*args: str, url: str, stdin: str | None = None) -> None:
    result = subprocess.run([sys.executable, "-m", "data", *args, "--db", url], cwd=ROOT, input=stdin,
                            capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def empty_county(tmp_path):
    url = f"sqlite:///{tmp_path}/county.sqlite"
    _cli("init", "--no-demo", url=url)
    # init --no-demo printed a one-time password for admin; the office adds its own administrator
    _cli("user", "add", "chief", "--role", "admin", "--password-stdin", url=url, stdin=PASSWORD + "\n")
    static = ROOT / "static"
    if not (static.is_dir() and any(p.name != "README.md" for p in static.iterdir())):
        subprocess.run([sys.executable, "-m", "layers.offline"], cwd=ROOT, check=True, timeout=300)
    server = StreamlitServer(ROOT / "dashboard.py", env={"DATABASE_URL": url}, log_file=tmp_path / "streamlit.log")
    yield server.start(timeout_s=90)
    server.stop()


def test_an_empty_county_walks_through_the_checklist(page, empty_county, tmp_path):
    page.goto(empty_county, wait_until="domcontentloaded")
    wait_for_app(page, timeout_s=90)
    body = page.inner_text("body")
    assert "演示账号" not in body  # not the demo: no demo accounts offered
    sign_in(page, "chief", PASSWORD)
    body = wait_for_text(page, "还没有本县的数据", "导入清单", "python -m data import boundaries")
    assert _line(body, "县界（县域边界）").startswith("radio_button_unchecked") and "金乡" not in body
    assert "尚未导入县界" in body and "Traceback" not in body

    page.get_by_text("前往数据管理导入").first.click()
    wait_for_text(page, "导入内容", "选择文件")
    page.get_by_text("行政边界", exact=True).click()
    wait_for_app(page)
    path = tmp_path / "镇街.geojson"
    path.write_text(json.dumps(TOWNSHIPS, ensure_ascii=False), encoding="utf-8")
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.locator('input[type="file"]').set_input_files(str(path))
    wait_for_text(page, "镇街.geojson")
    page.get_by_text("只校验，不写入").click()  # write it
    wait_for_app(page)
    page.get_by_role("button", name="开始").click()
    wait_for_text(page, "校验通过", timeout_s=90)
    save_screenshot(page, "setup-import-townships")

    page.locator('[data-testid="stSidebarNav"] a', has_text="总览").click()
    wait_for_text(page, "本县数据导入进度")
    assert "还没有本县的数据" not in page.inner_text("body")  # townships exist: the pages run now
    page.get_by_text("本县数据导入进度").first.click()
    body = wait_for_text(page, "已导入 2 条")
    assert _line(body, "镇街边界").startswith("check_circle") and "已导入 2 条" in _line(body, "镇街边界")
    assert _line(body, "县界（县域边界）").startswith("radio_button_unchecked")
    assert "尚未导入" in _line(body, "小区名册")
    save_screenshot(page, "setup-checklist-ticked")
