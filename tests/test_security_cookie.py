"""Issue 13 §7: the login-session cookie is HttpOnly where the server sets it.

The finding: ``wyjg_session`` was written by a script in the page, so any
script (a future XSS) could read the token. Streamlit's script cannot set a
cookie, but Streamlit 1.67 can serve the dashboard as ``st.App`` with a route of
its own: ``scripts/serve.py`` + ``ui/session_cookie.py`` set the cookie from the
server, HttpOnly. ``deploy/nginx/wyjg.conf`` puts nginx in front (HTTPS, the
client IP for throttling, and ``proxy_cookie_flags … httponly``). The
single-machine default (``streamlit run dashboard.py``) keeps the script cookie.

Tested: the config's flags; the route (same-origin JSON POST of a live token
only); and, when nginx is installed, the real deploy config with a self-signed
certificate in front of the real ``streamlit run scripts/serve.py``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from data import auth, db

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx" / "wyjg.conf"


def test_deploy_config_sets_the_cookie_httponly():
    text = CONF.read_text(encoding="utf-8")
    flags = re.findall(r"proxy_cookie_flags\s+wyjg_session\s+([^;]+);", text)
    assert flags and all({"httponly", "secure", "samesite=strict"} <= set(f.split()) for f in flags)
    assert "proxy_set_header X-Real-IP $remote_addr;" in text  # the throttling key cannot be forged
    assert "proxy_set_header Upgrade $http_upgrade;" in text  # Streamlit's websocket
    assert re.search(r"location = /api/session \{[^}]*access_log off;", text)  # the token is never logged


def test_readme_says_how_the_cookie_is_protected():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "HttpOnly" in readme and "scripts/serve.py" in readme and "deploy/nginx" in readme


@pytest.fixture
def live(page_demo, monkeypatch):
    url = page_demo("cookie")
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.make_engine(url)
    token, _ = auth.open_session(engine, auth.get_account(engine, "leader"))
    yield url, token
    engine.dispose()


class _Answer:
    def __init__(self, status: int, headers: dict[str, str]):
        self.status_code, self.headers = status, headers


class _Client:
    """Calls the route's ASGI app directly (no HTTP client library needed)."""

    def __init__(self):
        from starlette.applications import Starlette

        from ui import session_cookie

        self.app = Starlette(routes=session_cookie.routes())

    def post(self, path: str, *, json=None, content: str | None = None, headers: dict | None = None) -> _Answer:
        import asyncio

        body = (content if content is not None else __import__("json").dumps(json)).encode()
        hdrs = {"content-type": "application/json", "host": "127.0.0.1"}
        hdrs.update({k.lower(): v for k, v in (headers or {}).items()})
        scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
                 "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(k.encode(), v.encode()) for k, v in hdrs.items()],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        sent, messages = [], [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        # in a thread of its own: Playwright's sync API (browser tests in the same run) keeps an
        # event loop running in this thread, and asyncio.run refuses to nest in it
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, self.app(scope, receive, send)).result()
        start = next(m for m in sent if m["type"] == "http.response.start")
        return _Answer(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]})


def _client():
    return _Client()


def test_route_sets_an_httponly_cookie_for_a_live_session_only(live):
    _, token = live
    client = _client()
    ok = client.post("/api/session", json={"token": token, "max_age": 3600},
                     headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200
    cookie = ok.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}={token}")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    for body, headers in [({"token": "x" * 43, "max_age": 60}, {"Sec-Fetch-Site": "same-origin"}),  # unknown
                          ({"token": token, "max_age": 60}, {"Sec-Fetch-Site": "cross-site"}),     # another site
                          ({"token": token, "max_age": 60}, {})]:                                  # no origin
        assert client.post("/api/session", json=body, headers=headers).status_code == 403
    plain = client.post("/api/session", content=json.dumps({"token": token}),
                        headers={"Sec-Fetch-Site": "same-origin", "Content-Type": "text/plain"})
    assert plain.status_code == 403  # a simple cross-origin form post is refused too
    cleared = client.post("/api/session", json={"token": ""}, headers={"Sec-Fetch-Site": "same-origin"})
    assert cleared.status_code == 200 and "Max-Age=0" in cleared.headers["set-cookie"]
    assert "HttpOnly" in cleared.headers["set-cookie"]


def test_page_script_uses_the_route_in_app_mode(monkeypatch):
    from ui import session_cookie

    monkeypatch.setenv(session_cookie.ENV, "1")
    assert session_cookie.enabled()
    assert "document.cookie" not in session_cookie.SCRIPT and "/api/session" in session_cookie.SCRIPT


# --------------------------------------------------------------------------- through real nginx
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, context=None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, context=context, timeout=3)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise TimeoutError(url)


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="nginx/openssl not installed (scripts/install_system.sh installs nginx)")
def test_through_nginx_the_browser_gets_an_httponly_cookie(live, tmp_path):
    url, token = live
    app_port, tls_port, http_port = _free_port(), _free_port(), _free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
                   check=True, capture_output=True)
    site = (CONF.read_text(encoding="utf-8")
            .replace("server 127.0.0.1:8501;", f"server 127.0.0.1:{app_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("/etc/nginx/tls/wyjg.crt", str(tmp_path / "c.pem"))
            .replace("/etc/nginx/tls/wyjg.key", str(tmp_path / "k.pem")))
    (tmp_path / "wyjg.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(f"""
daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{}}
http {{
  access_log {tmp_path}/access.log;
  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
  include {tmp_path}/wyjg.conf;
}}""", encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": url}
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "scripts/serve.py", "--server.port",
                            str(app_port), "--server.headless", "true"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
    try:
        _wait(f"https://127.0.0.1:{tls_port}/_stcore/health", insecure)
        page = urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/", context=insecure, timeout=10)
        assert page.status == 200
        request = urllib.request.Request(
            f"https://127.0.0.1:{tls_port}/api/session", method="POST",
            data=json.dumps({"token": token, "max_age": 3600}).encode(),
            headers={"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"})
        answer = urllib.request.urlopen(request, context=insecure, timeout=10)
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith(f"{auth.SESSION_COOKIE}={token}")
        lowered = cookie.lower()
        assert "httponly" in lowered and "secure" in lowered and "samesite=strict" in lowered
        forged = urllib.request.Request(
            f"https://127.0.0.1:{tls_port}/api/session", method="POST",
            data=json.dumps({"token": token}).encode(),
            headers={"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, context=insecure, timeout=10)
        assert refused.value.code == 403
        assert token not in (tmp_path / "access.log").read_text(encoding="utf-8", errors="replace")
    finally:
        proxy.terminate()
        app.terminate()
        proxy.wait(20)
        app.wait(20)
