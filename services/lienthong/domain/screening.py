"""The limits applied: text normalised to NFC, bounded, free of invisible characters, checked
field by field along dotted paths (a group's submission model applies the same limits through
``normalised``; the hub screens every other event it reads with ``screen_fields``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, MutableMapping

from pydantic_core import PydanticCustomError

from lienthong import limits
from lienthong.errors import Reason
from lienthong.limits import Items, Text

#: Reason codes of the limits (the custom error types ``normalised`` raises, and lists).
LIMIT_CODES = (
    "text_too_long",
    "forbidden_character",
    "too_many_marks",
    "too_many_entries",
    "too_many_reasons",
)


def character(char: str) -> str:
    """A character named for a reader, never shown as itself: ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _refused(char: str, category: str, rule: Text) -> bool:
    if char in limits.BIDI_CONTROLS:
        return True
    if rule.single_line:
        return category in limits.ONE_LINE_REFUSED
    return category in limits.TEXT_REFUSED and char not in limits.TEXT_WHITESPACE


def _too_long(rule: Text, chars: int) -> PydanticCustomError:
    message = f"must be at most {rule.max_chars} characters (it has {chars:,})"
    return PydanticCustomError("text_too_long", message)


def normalised(value: str, rule: Text) -> str:
    """``value`` in NFC when it keeps ``rule``; else ``PydanticCustomError`` naming the rule.

    The message is the rule in words, to follow the field's name ("must be at most ...").
    """
    if len(value) > rule.max_chars * limits.NFC_GROWTH:  # refused before costly normalisation
        raise _too_long(rule, len(value))
    text = unicodedata.normalize("NFC", value)
    if len(text) > rule.max_chars:
        raise _too_long(rule, len(text))
    marks = 0
    for char in text:
        category = unicodedata.category(char)
        if _refused(char, category, rule):
            message = f"must not contain {character(char)}: control and invisible characters"
            raise PydanticCustomError("forbidden_character", message + " are refused")
        marks = marks + 1 if category[0] == "M" else 0
        if marks > limits.MAX_COMBINING_RUN:
            message = (
                f"must not stack more than {limits.MAX_COMBINING_RUN} accents or other "
                "combining marks on one letter"
            )
            raise PydanticCustomError("too_many_marks", message)
    if rule.alphabet is not None and text and rule.alphabet.fullmatch(text) is None:
        odd = next(char for char in text if rule.alphabet.fullmatch(char) is None)
        message = f"may contain only {rule.alphabet_words} (found {character(odd)})"
        raise PydanticCustomError("forbidden_character", message)
    return text


def checked(path: str, value: object, rule: Text) -> tuple[object, Reason | None]:
    """The value normalised, or the reason it breaks ``rule`` ("path must be ...")."""
    if not isinstance(value, str):
        return value, Reason(path, "invalid_value", f"{path} must be text.")
    try:
        return normalised(value, rule), None
    except PydanticCustomError as exc:
        return value, Reason(path, exc.type, f"{path} {exc.message()}.")


#: A field's limit: one text, or a bounded list of texts.
Limit = Text | Items


def screen_fields(record: Mapping[str, object], fields: Mapping[str, Limit]) -> list[Reason]:
    """Every reason why a field of ``fields`` (dotted paths) breaks its limit; the text is
    normalised in place (the sections along the paths are copied first).

    Any record may be screened (a precise record type is a ``Mapping``): it must be mutable (a
    dict, as the codec decodes it), and screening keeps its shape (text stays text, a section
    a copy of itself)."""
    if not isinstance(record, MutableMapping):
        raise TypeError(f"a record to screen must be mutable (a dict), not {type(record)}")
    return [reason for path, limit in fields.items() for reason in _screen(record, path, limit)]


def _screen(record: MutableMapping[str, object], path: str, limit: Limit) -> list[Reason]:
    """Check (and normalise in place) the field at ``path`` (genuinely dynamic: any record,
    any dotted path)."""
    *parents, last = path.split(".")
    parent = record
    for part in parents:
        child = parent.get(part)
        if not isinstance(child, dict):
            return [Reason(path, "invalid_value", f"{path} is required.")]
        copied: dict[str, object] = dict(child)
        parent[part] = copied
        parent = copied
    if isinstance(limit, Text):
        parent[last], reason = checked(path, parent.get(last), limit)
        return [] if reason is None else [reason]
    items = parent.get(last)
    if not isinstance(items, list):
        return [Reason(path, "invalid_value", f"{path} must be a list.")]
    if len(items) > limit.max_items:
        message = f"{path} must have at most {limit.max_items} entries (it has {len(items):,})."
        return [Reason(path, "too_many_entries", message)]
    parent[last] = items = list(items)
    reasons: list[Reason] = []
    for index, item in enumerate(items):
        items[index], reason = checked(f"{path}[{index}]", item, limit.each)
        reasons += [] if reason is None else [reason]
    return reasons
