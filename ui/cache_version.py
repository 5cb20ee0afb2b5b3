"""Caches across several app processes (``make cluster``, deploy/README.md 多进程部署).

Each Streamlit process has its own ``st.cache_data``. When a page in one process writes
(an import, a register edit, a setting) it clears its own caches and calls :func:`bump`,
which replaces the data-version token in the database (``data.settings.bump_data_version``).
Every run of every process calls :func:`sync` first: one primary-key lookup, and when the
token differs from the one this process last saw, ``st.cache_data.clear()``. So another
process serves figures from before the write for at most the rest of a run already going.

Cache keys always carry the scope (ui/cache.py), so clearing never mixes scopes; it only
drops results computed before the write.
"""
from __future__ import annotations

import logging
import threading

import streamlit as st

from data import db
from data import settings as data_settings

_lock = threading.Lock()
_seen: dict[str, str | None] = {}  # database URL → the token this process's caches were filled under


def sync(url: str) -> bool:
    """Clear this process's data caches if another process (or the CLI) bumped the version; True if cleared."""
    try:
        current = data_settings.data_version(db.shared_engine(url))
    except Exception:  # noqa: BLE001 - a database that is not migrated yet: nothing cached from it either
        return False
    with _lock:
        if url not in _seen:  # first run of this process: its caches are empty, nothing to drop
            _seen[url] = current
            return False
        if _seen[url] == current:
            return False
        _seen[url] = current
    st.cache_data.clear()
    return True


def bump(url: str) -> None:
    """After a write: tell the other processes (this process has cleared its own caches already)."""
    try:
        token = data_settings.bump_data_version(db.shared_engine(url))
    except Exception:  # noqa: BLE001 - the write itself succeeded; the others refresh on their next bump
        logging.getLogger(__name__).exception("data version not bumped: other app processes may show old figures")
        return
    with _lock:
        _seen[url] = token


def clear_all(url: str | None = None) -> None:
    """``st.cache_data.clear()`` in this process and, through :func:`bump`, in every other."""
    st.cache_data.clear()
    bump(url or db.default_url())
