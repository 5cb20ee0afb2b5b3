"""Masking of personal data (complainants' names and phone numbers).

Masking happens in the query layer: pages, caches, maps and exports only ever
receive masked values.
"""
from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; short numbers keep only the last 2 digits."""
    if phone is None:
        return None
    s = str(phone).strip()
    digits = "".join(_DIGITS.findall(s))
    if not digits:
        return "****" if s else s
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}****{digits[-2:]}"
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str | None) -> str | None:
    """``张三`` → ``张*``; ``欧阳娜娜`` → ``欧***``; keeps only the first character."""
    if name is None:
        return None
    s = str(name).strip()
    if not s:
        return s
    return s[0] + "*" * max(1, len(s) - 1)
