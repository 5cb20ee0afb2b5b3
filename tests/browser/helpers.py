"""Helpers for browser tests: start the app, wait for Streamlit and for the folium map.

Playwright only processes browser events while one of its calls is running, so
every wait here polls with ``page.wait_for_timeout`` and never ``time.sleep``.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


# --------------------------------------------------------------------------- the app server
def db_path(url: str) -> str:
    """The file of a ``sqlite:///`` URL (the demo database the test server uses)."""
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///"):]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class StreamlitServer:
    """``streamlit run SCRIPT`` on 127.0.0.1 and a free port, output to a log file.

    The log goes to a file, not a pipe: a pipe nobody reads fills up and stalls the server.
    """

    def __init__(self, script: Path | str, *, env: dict[str, str] | None = None,
                 log_file: Path, cwd: Path = ROOT) -> None:
        self.script = str(script)
        self.env = env or {}
        self.log_file = log_file
        self.cwd = cwd
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> str:
        cmd = [sys.executable, "-m", "streamlit", "run", self.script,
               "--server.address", "127.0.0.1", "--server.port", str(self.port),
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--server.runOnSave", "false", "--browser.gatherUsageStats", "false"]
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        with open(self.log_file, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode} before it was healthy:\n"
                                   f"{_tail(self.log_file)}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.read().decode().strip() == "ok":
                        return self.url
            except OSError:
                pass
            time.sleep(0.25)  # no browser involved yet, a plain sleep is right here
        self.stop()
        raise RuntimeError(f"streamlit not healthy at {self.url} after {timeout_s:.0f} s:\n{_tail(self.log_file)}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_file, lines)


# --------------------------------------------------------------------------- waiting in the page
def wait_for_app(page, timeout_s: float = 60.0) -> None:
    """Wait until Streamlit has rendered and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                return app ? app.getAttribute('data-test-script-state') : null;
            }""")
        if state in ("notRunning", None) and not page.query_selector('[data-testid="stSkeleton"]'):
            # None: an older/newer Streamlit without the attribute; settle briefly instead
            page.wait_for_timeout(300 if state is None else 100)
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"Streamlit script still running after {timeout_s:.0f} s")


def wait_for_text(page, *texts: str, timeout_s: float = 60.0) -> str:
    """Wait until every text is on the page and the script run has finished; return the page's text.

    Streamlit draws a run's elements one by one, so the first text can be there before the rest:
    reading the body as soon as one appears is a race (it failed CI once).
    """
    page.wait_for_function("texts => texts.every(t => document.body.innerText.includes(t))",
                           arg=list(texts), timeout=timeout_s * 1000)
    wait_for_app(page, timeout_s=timeout_s)
    return page.inner_text("body")


DEMO_PASSWORD = "jinxiang2024"  # data/demo/users.py: the demo accounts' published password


def sign_in(page, username: str, password: str = DEMO_PASSWORD, timeout_s: float = 60.0) -> None:
    """Sign in on the login page shown at the current URL, as a person would (type, click)."""
    page.wait_for_selector('input[type="password"]', timeout=timeout_s * 1000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    # signed in when the sign-in page is gone (other pages may have password fields of their own)
    page.wait_for_function("() => !document.body.innerText.includes('登录 · 物业监管地图')",
                           timeout=timeout_s * 1000)
    wait_for_app(page, timeout_s=timeout_s)


def open_as(page, base_url: str, path: str = "", user: str | None = "leader", timeout_s: float = 60.0):
    """Open ``base_url/path`` in a new session and, when ``user`` is given, sign in on the way.

    A shared link opened before sign-in leads to its page once the user has signed in.
    The browser's cookies are cleared first: a login session would otherwise carry over.
    """
    page.context.clear_cookies()
    page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_s=timeout_s)
    if user is not None:
        sign_in(page, user, timeout_s=timeout_s)
    return page


# Counts what Leaflet drew: SVG paths, and the layers of every L.Map on window
# (with prefer_canvas=True polygons are drawn on a <canvas> and leave no <path>).
_COUNT_JS = """() => {
    const svg = document.querySelectorAll('path.leaflet-interactive').length;
    let layers = 0, maps = 0;
    if (window.L && window.L.Map) {
        const seen = new Set();
        for (const key of Object.getOwnPropertyNames(window)) {
            let v;
            try { v = window[key]; } catch (e) { continue; }
            if (v instanceof window.L.Map && !seen.has(v)) {
                seen.add(v); maps += 1;
                v.eachLayer(l => { if (l.feature || l._latlngs) layers += 1; });
            }
        }
    }
    return {svg, layers, maps, canvas: document.querySelectorAll('canvas.leaflet-zoom-animated').length};
}"""


@dataclass
class MapState:
    frame: object  # playwright Frame of the streamlit_folium component
    svg_paths: int
    layers: int  # Leaflet layers with a GeoJSON feature or polygon/polyline rings
    maps: int
    canvases: int

    @property
    def count(self) -> int:
        return max(self.svg_paths, self.layers)


# Fill colours of the compounds (features with an ``id``) and the legend text of the first map.
FILLS_JS = """() => {
    const fills = [];
    for (const key of Object.getOwnPropertyNames(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (!(v instanceof window.L.Map)) continue;
        v.eachLayer(l => { if (l.feature && l.feature.properties && l.feature.properties.id !== undefined
                              && l.options && l.options.fillColor) fills.push(l.options.fillColor); });
        break;
    }
    const legend = [...document.querySelectorAll('.governance-legend')].map(e => e.innerText).join('|');
    return {fills, legend};
}"""


def map_frames(page) -> list:
    return [f for f in page.frames if "streamlit_folium" in f.url]


def map_state(frame) -> MapState:
    c = frame.evaluate(_COUNT_JS)
    return MapState(frame, c["svg"], c["layers"], c["maps"], c["canvas"])


def wait_for_map(page, min_paths: int = 1, timeout_s: float = 30.0, *, nth: int | None = None) -> MapState:
    """Wait until a folium map (iframe URL contains ``streamlit_folium``) shows ≥ ``min_paths`` shapes.

    Shapes are SVG ``path.leaflet-interactive`` elements or, for canvas rendering,
    Leaflet layers with ``feature`` or ``_latlngs``. ``nth`` picks one map when the
    page has several; otherwise the fullest map counts. Returns the map's state
    (its ``frame`` is handy for clicks inside the map).
    """
    deadline = time.monotonic() + timeout_s
    best: MapState | None = None
    last_error = ""
    settled = False
    while True:
        frames = map_frames(page)
        if nth is not None:
            frames = frames[nth:nth + 1]
        for frame in frames:
            try:
                state = map_state(frame)
            except Exception as exc:  # noqa: BLE001 - frame reloading or detached: try again
                last_error = str(exc).splitlines()[0]
                continue
            if best is None or state.count >= best.count:
                best = state
            if state.count >= min_paths:
                if settled:
                    return state
                # The map can come before the rest of the run's elements: let the run finish,
                # then look again, for the run may have replaced the map's frame meanwhile.
                wait_for_app(page, timeout_s=max(deadline - time.monotonic(), 30.0))
                settled = True
                break
        else:
            settled = False
            if time.monotonic() >= deadline:
                break
            page.wait_for_timeout(250)
    seen = (f"best: {best.svg_paths} SVG paths, {best.layers} Leaflet layers in {best.maps} map(s)"
            if best else "no streamlit_folium frame found" + (f" ({last_error})" if last_error else ""))
    frames = ", ".join(f.url for f in page.frames) or "none"
    raise AssertionError(f"map did not reach {min_paths} shapes within {timeout_s:.0f} s; {seen}; frames: {frames}")


# --------------------------------------------------------------------------- artefacts
def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.\-\[\]]+", "_", name).strip("_")[:150] or "screenshot"
    return SCREENSHOTS / f"{safe}.png"


def save_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Screenshot to ``artifacts/screenshots/<name>.png`` (git-ignored); returns the path."""
    path = screenshot_path(name)
    page.screenshot(path=str(path), full_page=full_page)
    return path
