"""Opening the dashboard under ``streamlit.testing.v1.AppTest`` as a signed-in user.

The entry script shows only the sign-in page until somebody signs in, so every
page test names its user; ``ui/state.py`` accepts a username preset in
``session_state["user"]`` and looks the account up in the user table, the
same check a sign-in ends with. Set ``DATABASE_URL`` first (``monkeypatch``).

Demo users: ``leader`` (county, read), ``housing`` (county, registers, fees,
evaluations, draws), ``admin``, ``inspector1``, ``jinxiang_jd`` (township
金乡街道: cases, parking), ``jinxiang_sq1`` (a community of 金乡街道).
"""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def open_page(path: str | None = None, *, user: str | None = "leader", timeout: float = 120,
              query: dict[str, str] | None = None, **state) -> AppTest:
    """Run ``dashboard.py`` as ``user`` and switch to ``path`` (e.g. ``"pages/fees.py"``).

    ``state`` presets session state (sidebar widgets, which AppTest does not
    re-render after a switch); ``query`` sets URL query parameters. Fails the
    test on any exception the page raised.
    """
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    if user is not None:
        at.session_state["user"] = user
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, failures(at)
    if path is not None:
        at.switch_page(path).run()
        assert not at.exception, failures(at)
    return at


def failures(at: AppTest) -> list[str]:
    """The page's exceptions with the end of their traceback: the app shows users a redacted message
    (``client.showErrorDetails = "none"``), the test needs the cause."""
    return [f"{e.value}\n{''.join((e.stack_trace or [])[-6:])}" for e in at.exception]


def map_args(at: AppTest, nth: int = 0) -> dict:
    """The ``nth`` folium map of the page as st_folium sends it: ``script``, ``js_links``, ``css_links``.

    ``script`` here is everything the map draws: the base map's script and the
    layers swapped in with ``feature_group_to_add`` (``feature_group``);
    ``base_script`` is the base map's alone.
    """
    import json

    maps = [el for el in at.main if getattr(el, "type", "") == "component_instance"]
    assert len(maps) > nth, f"{len(maps)} map(s) on the page"
    args = json.loads(maps[nth].proto.json_args)
    args["base_script"] = args["script"]
    args["script"] = args["script"] + (args.get("feature_group") or "")
    return args


def packed_features(script: str) -> list[dict]:
    """The GeoJSON features of every packed layer (``layers.packed``) in a map script, decoded."""
    import json

    from layers.packed import PACKED_MARK, unpack

    script = script.replace("<\\/", "</")
    out, start = [], script.find(PACKED_MARK)
    decoder = json.JSONDecoder()
    while start >= 0:
        data, end = decoder.raw_decode(script, start)
        out.extend(unpack(json.dumps(data))["features"])
        start = script.find(PACKED_MARK, end)
    return out


def downloads(at: AppTest, media) -> dict[str, bytes]:
    """``"label|file name"`` → bytes of every download button on the page (``media`` fixture).

    A deferred download (made only when clicked) is made here as the click would make it.
    """
    out = {}
    for button in at.get("download_button"):
        proto = button.proto
        if proto.HasField("deferred_file_id"):
            assert proto.deferred_file_id in media.deferred, proto.label
            data = media.deferred[proto.deferred_file_id]()
            data = data.encode("utf-8") if isinstance(data, str) else data
            name = proto.deferred_file_id
        else:
            assert proto.url in media, proto.label
            data, name = media[proto.url], proto.url.rsplit("/", 1)[-1]
        out[f"{proto.label}|{name}"] = data
    return out
