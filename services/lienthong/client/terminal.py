"""Text from a message made safe for a terminal: no escapes, no controls, no reordering.

A dead letter's reason, a header, a name in a status event: anything that came from a message
may hold ANSI escape sequences (which recolour, move the cursor, retitle the window or write
hyperlinks), C0 and C1 control characters, or bidirectional overrides that make a line read
differently from what it holds. Each such character is shown as its escape (``\\x1b``,
``\\u202e``) so the operator sees that it was there and cannot be fooled by it.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories never printed as they are: controls (Cc: C0, DEL, C1), formats (Cf: bidi
#: overrides and isolates, zero-width characters), line and paragraph separators, surrogates.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object) -> str:
    """``text`` on one line, every control, escape or format character shown as its escape."""
    value = str(text)
    if value.isprintable() and value.isascii():
        return value
    return "".join(
        _visible(c) if unicodedata.category(c) in UNSAFE_CATEGORIES else c for c in value
    )
