"""The limits applied: text normalised to NFC, bounded, free of invisible characters; and every
event the hub reads besides the submission screened field by field (the submission's model in
``hub.validation`` applies the same limits through ``normalised``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic_core import PydanticCustomError

from lienthong import limits
from lienthong.errors import Reason, ValidationFailed
from lienthong.limits import ADDRESS, CODE, DOSSIER_ID, FULL_NAME, NAME, NOTE, Items, Text

Record = dict[str, Any]

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


# -- Events other than the submission ----------------------------------------------------------

Limit = Text | Items
#: The identifiers in every event's metadata.
META: dict[str, Limit] = {"meta.dossier_id": DOSSIER_ID, "meta.producer": CODE}
#: The text of each event the hub reads besides DossierSubmitted, by dotted path. Internal
#: events (the hub's own DeadlineCheck) carry none.
EVENT_TEXT: dict[str, dict[str, Limit]] = {
    "DossierSupplemented": {"documents": Items(limits.MAX_DOCUMENTS, ADDRESS), "note": NOTE},
    "DossierWithdrawn": {"reason": NOTE},
    "BirthRegistered": {
        "registration_number": CODE,
        "extract_ref": CODE,
        "child.full_name": FULL_NAME,
        "child.personal_id": CODE,
    },
    "PersonalIdIssued": {
        "registration_number": CODE,
        "child.full_name": FULL_NAME,
        "child.personal_id": CODE,
    },
    "ResidenceRegistered": {
        "confirmation_ref": CODE,
        "head_of_household": NAME,
        "address.province_code": CODE,
        "address.commune_code": CODE,
        "address.street": ADDRESS,
    },
    "CardIssued": {"social_insurance_number": CODE, "card_code": CODE, "clinic_code": CODE},
    "StepRejected": {"reason_code": CODE, "reason": NOTE},
    "SupplementRequested": {"missing": Items(limits.MAX_DOCUMENTS, ADDRESS), "message": NOTE},
    "DeadlineExtended": {"apology": NOTE},
    "CorrectionRequested": {"reason": NOTE},
    "StepDeferred": {"waiting_for": CODE, "message": NOTE},
    "SatisfactionGiven": {"lookup_code": CODE},
    "DeathRegistered": {
        "death_extract_number": CODE,
        "deceased.full_name": FULL_NAME,
        "deceased.personal_id": CODE,
        "deceased.death_extract_number": CODE,
    },
    "ResidenceDeregistered": {
        "confirmation_ref": CODE,
        "address.province_code": CODE,
        "address.commune_code": CODE,
        "address.street": ADDRESS,
    },
    "FuneralAllowanceGranted": {"decision_number": CODE, "paid_to": FULL_NAME},
    "SurvivorBenefitGranted": {
        "decision_number": CODE,
        "beneficiary_name": FULL_NAME,
        "beneficiary_personal_id": CODE,
    },
}


def screen_event(name: str, event: Record) -> Record:
    """The event with its text in NFC; ``ValidationFailed`` names every field over a limit.

    DossierSubmitted passes unchanged: ``validate_submission`` applies its limits, and its
    refusal is a rejection the citizen is told of, not a dead letter.
    """
    fields = EVENT_TEXT.get(name)
    if fields is None:
        return event
    screened = dict(event)  # copied along the declared paths only: the caller's stays as it was
    reasons = [
        reason
        for path, limit in {**META, **fields}.items()
        for reason in _screen(screened, path, limit)
    ]
    if reasons:
        raise ValidationFailed(reasons)
    return screened


def screen_fields(record: Record, fields: dict[str, Limit]) -> list[Reason]:
    """Every reason why a field of ``fields`` (dotted paths) breaks its limit; the text is
    normalised in place (the sections along the paths are copied first)."""
    return [reason for path, limit in fields.items() for reason in _screen(record, path, limit)]


def _screen(record: Record, path: str, limit: Limit) -> list[Reason]:
    """Check (and normalise in place) the field at ``path``."""
    *parents, last = path.split(".")
    parent = record
    for part in parents:
        child = parent.get(part)
        if not isinstance(child, dict):
            return [Reason(path, "invalid_value", f"{path} is required.")]
        copied = dict(child)
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
    reasons = []
    for index, item in enumerate(items):
        items[index], reason = checked(f"{path}[{index}]", item, limit.each)
        reasons += [] if reason is None else [reason]
    return reasons
