"""A readable character-level diff of two texts, for Chinese statute wording.

Chinese has no spaces between words, so a word or line diff marks whole sentences as changed;
comparing characters shows the two characters a revision replaced. Both sides are escaped;
only the ``<del>``/``<ins>`` marks are markup.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def char_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """(old, new) as HTML: deletions in ``old`` wrapped in ``<del>``, insertions in ``new`` in
    ``<ins>``, everything else escaped as it is."""
    before: list[str] = []
    after: list[str] = []
    # autojunk off: statute text repeats characters (的, 或者) that must not be ignored.
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            before.append(escape(old[i1:i2]))
            after.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            before.append(f"<del>{escape(old[i1:i2])}</del>")
        if j2 > j1:
            after.append(f"<ins>{escape(new[j1:j2])}</ins>")
    # Every piece of text went through escape() above.
    return mark_safe("".join(before)), mark_safe("".join(after))
