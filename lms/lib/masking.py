"""Masking personal data for lists, exports, the API and public pages: ``138****5678``, ``张*三``.

Why here and not in ``lms.compliance``: the masking rules are pure string functions that several
apps apply (the firm's staff list in accounts, the public certificate check in certificates, the
dashboard and the API in compliance). Who may see a full value, and the log of who did, stay in
:mod:`lms.compliance.privacy`.
"""

from __future__ import annotations

import unicodedata


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (a ``+86`` prefix is kept); short values are starred."""
    if not phone:
        return ""
    prefix = ""
    digits = phone
    if digits.startswith("+86"):
        prefix, digits = "+86", digits[3:]
    if len(digits) < 7:
        return prefix + "*" * len(digits)
    return f"{prefix}{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK ", "HANGUL", "HIRAGANA", "KATAKANA"))


def mask_name(name: str) -> str:
    """A name as lists and public pages show it: enough to match an ID card, not to dox.

    Chinese names keep their first and last characters (张三 → 张*, 张小三 → 张*三,
    欧阳小明 → 欧**明; a one-character name is all stars). Names in Latin script keep each
    word's initial (John Smith → J*** S***), with a fixed number of stars so the length does
    not show.
    """
    name = " ".join((name or "").split())
    if not name:
        return ""
    if any(_is_cjk(char) for char in name):
        chars = name.replace(" ", "")
        if len(chars) == 1:
            return "*"
        if len(chars) == 2:
            return chars[0] + "*"
        return chars[0] + "*" * (len(chars) - 2) + chars[-1]
    return " ".join(word[0] + ("***" if len(word) > 1 else "") for word in name.split(" "))


def mask_email(email: str) -> str:
    """``zhang.san@example.com`` → ``z*******@example.com``."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return mask_name(email)
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"
