"""The limits every message must keep, as data the integrator's client and the hub share.

The client checks a dossier against these numbers before it sends it; the hub checks it again on
arrival with the same functions (``hub.validation``), so ``lienthong submit --dry-run`` and the
hub give the same answer. Reasons quote user input only through ``excerpt`` and ``clip``.
"""

from __future__ import annotations

import re
import reprlib
import unicodedata
from dataclasses import dataclass

# -- Messages -------------------------------------------------------------------------------------

#: Kafka's default ``message.max.bytes`` (1 MiB plus the record overhead): a larger message is
#: refused by the broker, so nothing a deployable publishes may ever come near it.
BROKER_MAX_MESSAGE_BYTES = 1_048_588
#: The largest message a deployable accepts (larger ones are dead-lettered before decoding). A
#: sixteenth of what the broker takes: whatever the hub echoes of an accepted input (its dossier
#: id in a key and a status event, its reasons, the dead letter that carries its bytes) stays
#: far below the broker's limit. A dossier at every field limit below fits in it.
MAX_MESSAGE_BYTES = 64 * 1024
#: The largest output a deployable publishes; above it the input that caused it is dead-lettered
#: (half of what the broker and aiokafka's ``max_request_size`` take, records' overhead included).
MAX_OUTPUT_BYTES = 512 * 1024
#: A dead letter's reason is cut to this many characters (it never echoes unbounded input).
MAX_REASON_CHARS = 500
#: A dead letter keeps at most this much of a message's key and this many of its headers.
MAX_KEY_BYTES = 256
MAX_HEADERS = 32
#: How far ahead of the hub's clock a claimed submission time may be (clocks drift a little).
MAX_CLOCK_SKEW_SECONDS = 300


# -- Text -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """What one kind of text field may hold (measured after NFC normalisation)."""

    #: At most this many characters (code points).
    max_chars: int
    #: Names, ids and codes are one line: no control or format character at all (that includes
    #: bidirectional controls, zero-width characters and the BOM). Free text may hold line
    #: breaks and tabs, still no bidirectional controls (they reorder what a reader sees).
    single_line: bool = True
    #: The only characters allowed, when the field is an identifier with an alphabet.
    alphabet: re.Pattern[str] | None = None
    #: The alphabet, in words.
    alphabet_words: str = ""


#: A dossier id is the Kafka key, the receipt number (``TN-<id>``) and part of the status page's
#: address: only characters a URL carries unchanged, and short enough to print on the receipt.
DOSSIER_ID_CHARS = "[A-Za-z0-9._-]"
DOSSIER_ID = Text(
    80,
    alphabet=re.compile(f"{DOSSIER_ID_CHARS}+"),
    alphabet_words="letters A-Z, digits, '.', '_' and '-'",
)
#: Codes and references: personal ID numbers (12 digits), commune codes (5), certificate codes
#: (18), card codes (15), registration numbers, producers, reason codes. The longest real one
#: is under 30 characters.
CODE = Text(40)
#: A person's name or one part of it, an ethnicity, a relationship. The longest Vietnamese full
#: names run to about 50 characters; foreign parents' names can be longer.
NAME = Text(100)
#: A full name made of the parts above (family, middle and given name, with spaces): the child's
#: name as the civil registry registers it.
FULL_NAME = Text(3 * NAME.max_chars + 2)
#: A street line, the name of a hospital, clinic or hometown, a document reference.
ADDRESS = Text(200)
#: Free text a person wrote: a supplement's note, a withdrawal's reason, an agency's reason,
#: request or apology. A few paragraphs.
NOTE = Text(1000, single_line=False)
#: No e-mail address is longer (RFC 5321); the address pattern backtracks on longer input.
EMAIL = Text(254)

#: Combining marks in a row on one letter. Vietnamese needs two at most even when decomposed
#: (a vowel's mark and the tone); longer runs are "Zalgo" text that smears over other lines.
MAX_COMBINING_RUN = 3
#: Control characters free text may keep.
TEXT_WHITESPACE = frozenset("\t\n\r")
#: Bidirectional controls: embeddings, overrides, isolates and marks. Refused in every field:
#: they make text display in another order than it is stored ("Trojan Source").
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Unicode categories refused in one-line fields: control, format (zero-width characters, the
#: BOM, bidi controls), surrogate, private use, line and paragraph separators.
ONE_LINE_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
#: Categories refused in free text (with the exceptions above): controls and lone surrogates.
TEXT_REFUSED = frozenset({"Cc", "Cs"})
#: NFC can lengthen a text at most threefold (UAX #15); anything longer than that multiple of
#: a field's limit is refused before it is normalised, whose cost grows with the square of a
#: run of combining marks (50,000 marks take seconds).
NFC_GROWTH = 3

# -- Lists ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Items:
    """A list of texts: at most ``max_items`` of them, each keeping ``each``."""

    max_items: int
    each: Text


#: Procedures chosen in one dossier: there are three steps; a few more are let through so that a
#: step named twice is answered by the combination rule, in the citizen's words.
MAX_PROCEDURES = 10
#: Documents supplied in one supplement, and items an agency may ask for in one request.
MAX_DOCUMENTS = 20

# -- Reasons --------------------------------------------------------------------------------------

#: Reasons listed in one refusal; the rest are counted in a last one. Twenty is more than a
#: person corrects in one go, and keeps a rejection a few kilobytes.
MAX_REASONS = 20
#: The most characters of user input a reason may quote.
MAX_EXCERPT_CHARS = 60

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = MAX_EXCERPT_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 3
#: Characters a quotation spells out as escapes instead of showing.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _shown(text: str, limit: int) -> tuple[str, bool]:
    """At most ``limit`` characters to show of ``text`` (an invisible character counts as its
    escape, ``\\u202e``), and whether that is all of it."""
    out: list[str] = []
    shown = marks = 0
    for char in text:
        category = unicodedata.category(char)
        marks = marks + 1 if category.startswith("M") else 0
        piece = char
        if category in _INVISIBLE or marks > MAX_COMBINING_RUN:
            piece = f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
        if shown + len(piece) > limit:
            return "".join(out), False
        out.append(piece)
        shown += len(piece)
    return "".join(out), True


def clip(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of ``text``, invisible ones spelt out, '…' when cut."""
    shown, whole = _shown(text, limit)
    return shown if whole else shown + "…"


def excerpt(value: object, limit: int = MAX_EXCERPT_CHARS) -> str:
    """A value as a reason may quote it: in quotes, at most ``limit`` characters of it, and its
    length when it was cut (``'aaaa…' (900,000 characters)``)."""
    if not isinstance(value, str):
        try:
            shown = _REPR.repr(value)
        except ValueError:  # an integer with more digits than Python will print
            shown = f"a {type(value).__name__} too large to show"
        return clip(shown, limit)
    shown, whole = _shown(value, limit)
    return f"'{shown}'" if whole else f"'{shown}…' ({len(value):,} characters)"
