"""The dashboard as an ASGI app (``st.App``) whose server sets the login cookie HttpOnly (issue 13).

    streamlit run scripts/serve.py --server.port 8501      # from the repository root

Same script, pages and settings as ``streamlit run dashboard.py``, plus the
route ``/api/session`` (``ui/session_cookie.py``): after a sign-in the page
POSTs the token there and the response sets ``wyjg_session`` with HttpOnly,
so no script in the page can read it. Put ``deploy/nginx/wyjg.conf`` in front
for HTTPS on a server.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["WYJG_HTTPONLY_COOKIE"] = "1"  # ui.session_cookie.ENV: the page uses the route

import streamlit as st  # noqa: E402

from ui import session_cookie  # noqa: E402

app = st.App(str(ROOT / "dashboard.py"), routes=session_cookie.routes())
