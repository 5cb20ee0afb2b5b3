"""The nginx configuration of the multi-process deployment (deploy/nginx/cluster.conf.template).

Rendered for 1 and 3 processes and checked by nginx itself (``nginx -t``); the settings that
matter for Streamlit behind a proxy are asserted on the text. The running cluster is tested in
tests/browser/test_cluster.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import cluster  # noqa: E402


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        skip_or_fail("nginx is not installed (run `make system` as root: apt-get install nginx)")
    return found


@pytest.mark.parametrize("ports", [[8601], [8601, 8602, 8603]], ids=["one", "three"])
def test_rendered_site_passes_nginx_t(tmp_path, ports):
    site = tmp_path / "cluster.conf"
    site.write_text(cluster.render(ports, "127.0.0.1:18600", access_log=str(tmp_path / "access.log")))
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(cluster._main_conf(tmp_path, site))
    result = subprocess.run([_nginx(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_site_pins_sessions_and_proxies_websockets():
    text = cluster.render([8601, 8602], "80")
    assert not re.search(r"@@[A-Z_]+@@", text)
    # a pinned process's upstream falls back to the other one only as backup
    assert re.search(r"upstream wyjg_8601 \{\s*server 127\.0\.0\.1:8601 max_fails=2 fail_timeout=10s;\s*"
                     r"server 127\.0\.0\.1:8602 backup;", text)
    assert "map $cookie_wyjg_route $wyjg_upstream" in text and "8602 wyjg_8602;" in text
    assert "wyjg_route=$wyjg_port; Path=/; HttpOnly; SameSite=Lax" in text
    stream = text[text.index("location /_stcore/stream"):]
    stream = stream[:stream.index("}")]
    for line in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $wyjg_connection;",
                 "proxy_read_timeout 3600s;"):
        assert line in stream
    assert "proxy_set_header Host $http_host;" in text  # Streamlit compares the WebSocket Origin with Host
    # the debugging header stays off in a deployment
    assert "\n        add_header X-Upstream" not in text
    assert "add_header X-Upstream $upstream_addr always;" in cluster.render([8601], "80", debug_headers=True)


def test_upload_limit_follows_streamlit_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    mb = config["server"]["maxUploadSize"]
    assert f"client_max_body_size {mb}m;" in cluster.render([8601], "80")


def test_static_locations_point_at_existing_folders():
    text = cluster.render([8601], "80")
    for folder in re.findall(r"alias (\S+)/;", text):
        assert Path(folder).is_dir(), folder
    assert (cluster.streamlit_static_dir() / "js").is_dir()
