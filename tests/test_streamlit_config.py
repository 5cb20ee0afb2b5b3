"""Streamlit settings stay safe: XSRF protection on, uploads limited, bound to 127.0.0.1 by default."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from data.importers import readers

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"
MAX_UPLOAD_MB = 200


@pytest.fixture(scope="module")
def server() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8")).get("server", {})


def test_xsrf_protection_is_on(server):
    assert server.get("enableXsrfProtection") is True


def test_cors_protection_is_on(server):
    assert server.get("enableCORS", True) is True


def test_upload_size_is_limited(server):
    size = server.get("maxUploadSize")
    assert isinstance(size, int) and 0 < size <= MAX_UPLOAD_MB
    assert size * 2**20 <= max(readers.MAX_BYTES, 2**20) * 4  # the importer refuses what the server accepts


def test_server_is_bound_to_localhost(server):
    assert server.get("address") == "127.0.0.1"


def test_no_secrets_in_the_repository():
    assert not (ROOT / ".streamlit" / "secrets.toml").exists() or \
        ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()


def test_streamlit_reads_the_same_values(monkeypatch):
    from streamlit import config

    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    assert config.get_option("server.enableXsrfProtection") is True
    assert config.get_option("server.address") == "127.0.0.1"
    assert 0 < config.get_option("server.maxUploadSize") <= MAX_UPLOAD_MB


# --------------------------------------------------------------------------- issue 13
@pytest.fixture(scope="module")
def client() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8")).get("client", {})


def test_data_grid_toolbar_download_is_off(client):
    """The grid's "Download as CSV" bypasses the audit and the formula neutralising."""
    assert client.get("disableDataExport") is True


def test_no_traceback_reaches_the_browser(client):
    assert client.get("showErrorDetails") == "none"


def test_streamlit_reads_the_issue13_values(monkeypatch):
    from streamlit import config

    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    assert config.get_option("client.disableDataExport") is True
    assert config.get_option("client.showErrorDetails") == "none"


def test_table_helper_keeps_the_toolbar_download_off(monkeypatch):
    """Even under a server started with another config, ui.tables switches the grid download off."""
    import importlib

    import streamlit as st
    from streamlit import config

    config.get_config_options(force_reparse=True)
    st.set_option("client.disableDataExport", False)
    import ui.tables

    importlib.reload(ui.tables)
    assert config.get_option("client.disableDataExport") is True
