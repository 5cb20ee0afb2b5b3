"""Shared page helpers (cached loaders, session state, UI text, tables, panels).

Only ``dashboard.py``, ``pages/`` and this package import streamlit.

Streamlit sees a ``pages/`` folder beside the entry script and, until the first
``st.navigation`` call of the process, runs in its legacy multipage mode: the
very first visit after a server start to ``/data`` or ``/audit`` would execute
that page file directly, skipping ``dashboard.py`` — its sign-in gate and its
role-based navigation. Every page imports from this package, so this runs
before any page code: it switches the legacy mode off for the process and
reruns, and the rerun goes through ``dashboard.py`` like every later one.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    if st.runtime.exists():
        st.rerun()
