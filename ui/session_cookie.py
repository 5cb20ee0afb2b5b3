"""The login-session cookie written by the server, HttpOnly (issue 13), when the app runs as ``st.App``.

Streamlit's script cannot set a cookie: ``st.context.cookies`` is read-only,
so the single-machine default (``streamlit run dashboard.py``) writes
``wyjg_session`` from a script in the page (``ui.state.sync_session_cookie``),
and any script — a future XSS included — could read it.

Streamlit 1.67 can serve the same script as an ASGI app with routes of its own
(``st.App``, ``scripts/serve.py``). There the page instead POSTs the token to
:data:`ROUTE`, and this route answers with ``Set-Cookie: wyjg_session=…;
HttpOnly; SameSite=Strict; Path=/`` (``Secure`` over HTTPS, also when the
reverse proxy of ``deploy/nginx`` says so with ``X-Forwarded-Proto``). The
route accepts only a same-origin JSON POST whose token is a live login session
(or an empty token, which clears the cookie), so another site can neither set
nor clear it.
"""
from __future__ import annotations

import os
import re

ROUTE = "/api/session"
ENV = "WYJG_HTTPONLY_COOKIE"  # set by scripts/serve.py: the page uses the route instead of document.cookie
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{20,100}$")


def enabled() -> bool:
    """True when this process serves :data:`ROUTE` (the app was started through ``scripts/serve.py``)."""
    return os.environ.get(ENV) == "1"


def _same_origin(request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    return origin is not None and host is not None and origin.split("://", 1)[-1] == host


def _secure(request) -> bool:
    return (request.headers.get("x-forwarded-proto") or request.url.scheme) == "https"


async def session_cookie(request):
    """POST ``{"token": "…", "max_age": seconds}``: set (or, with an empty token, clear) the HttpOnly cookie."""
    from starlette.responses import JSONResponse

    from data import auth, db

    if request.method != "POST" or not _same_origin(request) \
            or not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"ok": False}, status_code=403)
    try:
        body = await request.json()
        token, max_age = str(body.get("token") or ""), int(body.get("max_age") or 0)
    except (ValueError, TypeError, AttributeError):
        return JSONResponse({"ok": False}, status_code=400)
    response = JSONResponse({"ok": True})
    if not token:
        response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=_secure(request))
        return response
    if not _TOKEN.match(token) or not auth.session_is_live(db.shared_engine(db.default_url()), token):
        return JSONResponse({"ok": False}, status_code=403)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=max(0, min(max_age, 7 * 24 * 3600)), path="/",
                        httponly=True, samesite="strict", secure=_secure(request))
    return response


def routes() -> list:
    from starlette.routing import Route

    return [Route(ROUTE, session_cookie, methods=["POST"])]


# The page's script in st.App mode: hand the token to the route (same origin), never to document.cookie.
SCRIPT = """<script>(() => {
  fetch("ROUTE", {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
                  body: JSON.stringify({token: VALUE, max_age: MAX_AGE})});
})();</script>""".replace("ROUTE", ROUTE)
