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


# Phone numbers written inside free text (complaint content, addresses): mobiles 1[3-9]… with
# optional "-"/space groups (138-1234-5678), landlines 0 + area code + 7–8 digits (0537-1234567).
# Digit runs longer than a phone (work-order numbers, IDs) are left alone.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d])(?:1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}[- ]?\d{7,8})(?![\d])")


def mask_phones_in_text(text: str | None) -> str | None:
    """Every phone number inside ``text`` masked as the phone column is (``138****5678``).

    Used by the query layer on complaint text and addresses, so pages, caches,
    maps and exports never receive a number that a role may not reveal.
    """
    if text is None or not isinstance(text, str):
        return text
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
