"""Serve Leaflet and jQuery from ``static/`` so maps draw with no internet.

streamlit-folium loads each element's ``default_js``/``default_css`` in turn
and stops at the first that fails, so one CDN link blanks the whole map on a
closed network. :func:`configure_folium` points folium at the copies that
:func:`ensure_static` makes from the ``xstatic-*`` PyPI packages.

Run ``python -m layers.offline`` to copy the files (``make run`` does).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
# Resolved from the component iframe (/component/streamlit_folium.st_folium/index.html),
# so it also works under a server.baseUrlPath behind a proxy.
SERVED = "../../app/static"

LEAFLET_JS = f"{SERVED}/leaflet/leaflet.js"
LEAFLET_CSS = f"{SERVED}/leaflet/leaflet.css"
JQUERY_JS = f"{SERVED}/jquery/jquery.min.js"
ICON_PATH = f"{SERVED}/leaflet/images/"


def _sources() -> dict[str, Path]:
    from xstatic.pkg import jquery, leaflet

    return {"leaflet": Path(leaflet.BASE_DIR), "jquery": Path(jquery.BASE_DIR)}


def ensure_static(target: Path = STATIC_DIR) -> list[Path]:
    """Copy Leaflet (with its images) and jQuery into ``target``; idempotent."""
    copied = []
    for name, src in _sources().items():
        dest = target / name
        if name == "leaflet":
            wanted = ["leaflet.js", "leaflet.css", "images"]
        else:
            wanted = ["jquery.min.js"]
        dest.mkdir(parents=True, exist_ok=True)
        for item in wanted:
            s, d = src / item, dest / item
            if s.is_dir():
                shutil.copytree(s, d, dirs_exist_ok=True)
            elif not d.exists() or d.stat().st_size != s.stat().st_size:
                shutil.copy2(s, d)
            copied.append(d)
    return copied


def configure_folium() -> None:
    """Make every folium map load only the served Leaflet, Leaflet CSS and jQuery.

    Bootstrap and awesome-markers (folium's other defaults) are dropped: the
    product uses neither ``folium.Icon`` nor Bootstrap popups.
    """
    folium.Map.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    folium.Map.default_css = [("leaflet_css", LEAFLET_CSS)]


def is_ready(target: Path = STATIC_DIR) -> bool:
    return (target / "leaflet" / "leaflet.js").exists() and (target / "jquery" / "jquery.min.js").exists()


if __name__ == "__main__":
    for path in ensure_static():
        print(path.relative_to(ROOT))
