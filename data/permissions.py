"""Roles and what they may do (权限): capabilities per role and the page access matrix.

Deny by default: a role not listed here, or a capability or page not granted
to it, is refused. The matrix is data so that navigation (``ui/nav.py``),
the query layer and the tests all read the same table.

Roles (``data.vocab.ROLES``):

- ``leader``    县领导/专班: whole county, read.
- ``housing``   住建局: whole county, read, edit registers, import.
- ``township``  镇街: own township, read, edit its cases and parking proposals,
  reveal complainants of complaints routed to it.
- ``community`` 社区: own community, read, never complainant identity.
- ``inspector`` 检查人员: the spot checks assigned to them (whole county).
- ``admin``     管理员: users, settings and the audit log; no complainant identity.
- ``city_leader``  市专班 and ``city_housing`` 市住建局 (issue 17): the whole city of a city or
  province deployment, read (the city top list across its counties); the pages of
  ``leader`` and ``housing``. They write nothing of a county's: the county bureaus do.

In a deployment of several counties, ``leader`` and ``housing`` are a county's
(县专班, 县住建局): their user record names the county (``county_adcode``).
"""
from __future__ import annotations

from dataclasses import dataclass

from data.vocab import ALL_ROLES as ROLES

# --- capabilities -----------------------------------------------------------------
READ = "read"                        # dashboards, registers, counts (always within scope)
EXPORT = "export"                    # download tables as Excel (logged)
EDIT_REGISTERS = "edit_registers"    # compound register, boundaries
IMPORT = "import"                    # file imports (data page)
EDIT_CASES = "edit_cases"            # enforcement case steps, complaint status
EDIT_PARKING = "edit_parking"        # staggered-parking proposals
EDIT_FEES = "edit_fees"              # fee-adjustment status
EDIT_EVALUATIONS = "edit_evaluations"
APPROVE_PARKING = "approve_parking"  # approve or return a township's parking proposal (county)
RUN_DRAWS = "run_draws"              # 双随机 draws, checklist, publishing
RECORD_CHECKS = "record_checks"      # spot-check results
REVEAL_PERSONAL = "reveal_personal"  # one record at a time, with a reason, logged
COMPLAINT_POINTS = "complaint_points"  # exact complaint locations inside one compound (can point to a home)
MANAGE_USERS = "manage_users"
EDIT_SETTINGS = "edit_settings"
READ_AUDIT = "read_audit"
EDIT_ACCOUNTABILITY = "edit_accountability"  # 问责台账: record carrying out / withdrawal (own township only)

CAPABILITIES = (READ, EXPORT, EDIT_REGISTERS, IMPORT, EDIT_CASES, EDIT_PARKING, APPROVE_PARKING, EDIT_FEES,
                EDIT_EVALUATIONS, RUN_DRAWS, RECORD_CHECKS, REVEAL_PERSONAL, COMPLAINT_POINTS, MANAGE_USERS,
                EDIT_SETTINGS, READ_AUDIT, EDIT_ACCOUNTABILITY)

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "leader": frozenset({READ, EXPORT, COMPLAINT_POINTS, EDIT_ACCOUNTABILITY}),  # the county task force
    "housing": frozenset({READ, EXPORT, EDIT_REGISTERS, IMPORT, EDIT_FEES, EDIT_EVALUATIONS,
                          RUN_DRAWS, APPROVE_PARKING, REVEAL_PERSONAL, COMPLAINT_POINTS, EDIT_ACCOUNTABILITY}),
    "township": frozenset({READ, EXPORT, EDIT_CASES, EDIT_PARKING, RECORD_CHECKS, REVEAL_PERSONAL,
                           COMPLAINT_POINTS, EDIT_ACCOUNTABILITY}),
    "community": frozenset({READ, EXPORT}),
    "inspector": frozenset({READ, EXPORT, RECORD_CHECKS}),
    "admin": frozenset({READ, EXPORT, MANAGE_USERS, EDIT_SETTINGS, READ_AUDIT, IMPORT,
                        EDIT_REGISTERS}),
    # issue 17: the city's task force and housing bureau read the whole city
    "city_leader": frozenset({READ, EXPORT, COMPLAINT_POINTS}),
    "city_housing": frozenset({READ, EXPORT, COMPLAINT_POINTS}),
}

# Roles whose jurisdiction is narrower than the county: they need a township
# (and community) in their user record, else they are refused.
TOWNSHIP_ROLES = frozenset({"township", "community"})
COMMUNITY_ROLES = frozenset({"community"})
# Roles whose jurisdiction is a whole city (their user record names it, city_adcode)
CITY_ROLES = frozenset({"city_leader", "city_housing"})
# The county role each city role mirrors: the same pages
MIRRORS = {"city_leader": "leader", "city_housing": "housing"}

# --- pages ------------------------------------------------------------------------
ALL = frozenset(ROLES)  # every role, the city ones too
PAGE_ROLES: dict[str, frozenset[str]] = {
    "pages/home.py": ALL,
    "pages/compounds.py": ALL,
    "pages/complaints.py": frozenset({"leader", "housing", "township", "community", "admin"}),
    "pages/evaluation.py": frozenset({"leader", "housing", "township", "community", "admin"}),
    "pages/fees.py": frozenset({"leader", "housing", "township", "community", "admin"}),
    "pages/parking.py": frozenset({"leader", "housing", "township", "community", "admin"}),
    "pages/inspection.py": frozenset({"leader", "housing", "township", "inspector", "admin"}),
    "pages/enforcement.py": frozenset({"leader", "housing", "township", "community", "inspector",
                                       "admin"}),
    "pages/register.py": frozenset({"leader", "housing", "township", "community", "admin"}),
    "pages/data.py": frozenset({"housing", "admin"}),
    "pages/audit.py": frozenset({"admin"}),
    "pages/admin.py": frozenset({"admin"}),
}
PAGE_ROLES = {page: roles | {city for city, county in MIRRORS.items() if county in roles}
              for page, roles in PAGE_ROLES.items()}


def can(role: str | None, capability: str) -> bool:
    """True when ``role`` has ``capability``; unknown roles and capabilities are refused."""
    return capability in ROLE_CAPABILITIES.get(role or "", frozenset())


def can_open(role: str | None, page: str) -> bool:
    """True when ``role`` may open ``page`` (a path like ``pages/home.py``); unlisted pages are refused."""
    return (role or "") in PAGE_ROLES.get(page, frozenset())


def pages_for(role: str | None) -> list[str]:
    """The page paths ``role`` may open, in registry order."""
    return [p for p, roles in PAGE_ROLES.items() if (role or "") in roles]


def sees_personal_data(role: str | None) -> bool:
    """May this role ever see a complainant's identity (after an explicit, logged reveal)?"""
    return can(role, REVEAL_PERSONAL)


def require(role: str | None, capability: str) -> None:
    """Raise :class:`PermissionError` (Chinese message) unless ``role`` has ``capability``."""
    if not can(role, capability):
        label = ROLES.get(role or "", "未登录")
        raise PermissionError(f"“{label}”角色没有此权限（{capability}）")


# --- the check every write makes ----------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who a write is recorded as: ``name`` in histories (经办人), ``username`` in the audit log."""

    name: str
    username: str | None
    role: str | None = None


def authorize(actor, capability: str | tuple[str, ...], scope=None) -> Actor:
    """Check that ``actor`` may do ``capability`` (within ``scope``); return how to record them.

    A tuple of capabilities means any one of them will do.

    ``actor`` is the signed-in :class:`data.auth.Account` (what every page passes):
    its role must have the capability and ``scope`` must lie inside its
    jurisdiction, else :class:`PermissionError` / :class:`~data.scope.ScopeError`.
    A plain string is a caller outside the web app that the server already
    trusts (the CLI, the demo builder, scripts): it is recorded as given.
    """
    if actor is None or isinstance(actor, str):
        name = (actor or "").strip()
        return Actor(name=name, username=name or None)
    role = getattr(actor, "role", None)
    wanted = (capability,) if isinstance(capability, str) else tuple(capability)
    if not any(can(role, c) for c in wanted):
        require(role, wanted[0])
    if scope is not None:
        if not scope.within(actor.scope):  # every constraint of the user's own: city, county, township, community
            from data.scope import ScopeError

            raise ScopeError("无权修改管辖范围以外的数据")
    return Actor(name=actor.display_name, username=actor.username, role=actor.role)
