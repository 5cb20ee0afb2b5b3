"""The dashboard's pages, one file each; ``dashboard.py`` is the only entry point.

Shared page helpers live in ``ui/`` so that this folder holds only pages:
Streamlit lists every file here. ``ui`` switches Streamlit's legacy
multipage mode off on import (see ``ui/__init__.py``).
"""
import ui  # noqa: F401  (the guard runs on import)
