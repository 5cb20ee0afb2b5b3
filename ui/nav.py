"""The page registry: every page, its title key and icon; who may open it is ``data.permissions``.

``dashboard.py`` builds ``st.navigation`` from :func:`available` for the
signed-in user's role (``data.permissions.PAGE_ROLES``, deny by default: a page
missing from that matrix is shown to nobody who is signed in). ``roles`` here
only matters while login is switched off (no user): pages with ``roles`` set
are then hidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data import permissions

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageSpec:
    path: str            # relative to the project root
    title_key: str       # key in ui/text*.py
    icon: str            # Material Symbols name, bundled with Streamlit (no CDN)
    roles: tuple[str, ...] | None = None
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "nav_home", ":material/map:", default=True),
    PageSpec("pages/compounds.py", "nav_compounds", ":material/apartment:"),
    PageSpec("pages/complaints.py", "nav_complaints", ":material/call:"),
    PageSpec("pages/evaluation.py", "nav_evaluation", ":material/military_tech:"),
    PageSpec("pages/fees.py", "nav_fees", ":material/payments:"),
    PageSpec("pages/parking.py", "nav_parking", ":material/local_parking:"),
    PageSpec("pages/inspection.py", "nav_inspection", ":material/fact_check:"),
    PageSpec("pages/enforcement.py", "nav_enforcement", ":material/gavel:"),
    PageSpec("pages/register.py", "nav_register", ":material/assignment_turned_in:"),
    PageSpec("pages/data.py", "nav_data", ":material/upload_file:"),
    PageSpec("pages/audit.py", "nav_audit", ":material/history:", roles=("admin",)),
    PageSpec("pages/admin.py", "nav_admin", ":material/manage_accounts:", roles=("admin",)),
)


# Where each role starts: an inspector's day is the checks it was drawn for, not the county overview
LANDING = {"inspector": "pages/inspection.py"}


def landing(role: str | None, pages: list[PageSpec]) -> PageSpec:
    """The page ``role`` opens on: its own landing page if it may open it, else the default one."""
    wanted = LANDING.get(role or "")
    return (next((p for p in pages if p.path == wanted), None)
            or next((p for p in pages if p.default), pages[0]))


LOGIN = PageSpec("pages/login.py", "acc_nav_login", ":material/login:", default=True)


def available(role: str | None = None) -> list[PageSpec]:
    """The pages ``role`` may open, skipping pages not built yet.

    ``role=None`` (login switched off, nobody signed in): every page without
    ``roles`` — the behaviour from before login existed.
    """
    built = [p for p in PAGES if (ROOT / p.path).exists()]
    if role is None:
        return [p for p in built if p.roles is None]
    return [p for p in built if permissions.can_open(role, p.path)]
