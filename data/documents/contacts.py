"""Contacts in documents follow the page rules: full for a role that may reveal, audited; masked otherwise.

A document goes to an office that must call people (a resource's keeper, a case's
reporter): the roles that may reveal personal data (``permissions.REVEAL_PERSONAL``:
the township for its own township, the housing bureau county-wide) get the full
numbers, and every such document is an audit entry (``reveal``) naming the fields
and the document. Everyone else — leaders, community staff, inspectors, the admin,
and the read-only mode with nobody signed in — gets them masked, as on the pages.
"""
from __future__ import annotations

from data import audit, permissions
from data.privacy import mask_name, mask_phone


def may_reveal(account, township_id: int | None) -> bool:
    """May ``account`` see full contacts of a record in ``township_id``?"""
    if account is None or not hasattr(account, "can") or not account.can(permissions.REVEAL_PERSONAL):
        return False
    if account.role in permissions.TOWNSHIP_ROLES:
        return township_id is not None and township_id == account.township_id
    return True


def reveal(engine, account, *, township_id: int | None, target: str, fields: list[str], reason: str) -> bool:
    """True (and one audit entry) when ``account`` may see the full contacts of ``target``."""
    if not may_reveal(account, township_id):
        return False
    audit.record(engine, account, "reveal", target, None, fields=fields, reason=reason)
    return True


def masked_person(name: str | None) -> str | None:
    return mask_name(name) if name else name


def masked_phone(phone: str | None) -> str | None:
    return mask_phone(phone) if phone else phone
