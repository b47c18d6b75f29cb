"""The identity card of a child under 6 (Decree 301/2026/NĐ-CP amending Decree 63/2024, as assumed).

We have not read the decree's text. As reported, from its date the commune police issue a child
under 6 an identity card in the birth group, from the personal ID number the birth registration
gave and a photo the family supplies. Its date and its target are settings of the declaration
(``LIENTHONG_CHILD_ID_CARD_FROM``, ``LIENTHONG_CHILD_ID_CARD_DAYS``). The card carries the
personal ID number and is renewed at 14 (Law on Identification 2023, art. 21).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import AgencyContext, Decision, Entry, completion, prior, rejection
from lienthong.domain.allocation import Counters, sharded, spread
from lienthong.errors import SettingsError
from lienthong.groups.birth.card import months_between

STEP = "child_id_card"
#: The first day a dossier can count as received with the card (the decree's new forms' date).
FROM_ENV = "LIENTHONG_CHILD_ID_CARD_FROM"
DEFAULT_FROM = dt.date(2026, 9, 1)
#: The police's target in working days (assumed: the Law on Identification's 7 working days).
DAYS_ENV = "LIENTHONG_CHILD_ID_CARD_DAYS"
DEFAULT_DAYS = 7
#: The card is for a child under 6 (72 months) on the dossier's date; renewed at 14.
UNDER_MONTHS = 72
RENEWAL_AGE = 14


def card_from() -> dt.date:
    """The day the card joins the birth group (``LIENTHONG_CHILD_ID_CARD_FROM``, YYYY-MM-DD)."""
    text = os.environ.get(FROM_ENV, "").strip()
    if not text:
        return DEFAULT_FROM
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(f"{FROM_ENV} must be a date (YYYY-MM-DD), not {text[:40]!r}") from exc


def card_days() -> int:
    """The police's target in working days (``LIENTHONG_CHILD_ID_CARD_DAYS``, 0 to 60)."""
    text = os.environ.get(DAYS_ENV, "").strip()
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or int(text) > 60:
        raise SettingsError(f"{DAYS_ENV} must be a whole number of working days from 0 to 60")
    return int(text)


class IdCardEntry(Entry, total=False):
    """The commune police's entry for one child's identity card (besides the common keys)."""

    card_number: str
    personal_id: str
    issued_on: str
    valid_until: str


class IdCardFields(TypedDict):
    """A ``ChildIdCardIssued``'s fields (but its meta), rebuilt from the entry."""

    card_number: str
    personal_id: str
    issued_on: dt.date
    valid_until: dt.date


def _renewal_day(born: dt.date) -> dt.date:
    """The day before the child turns ``RENEWAL_AGE`` (29 February births: 28 February)."""
    year = born.year + RENEWAL_AGE
    birthday = born.replace(year=year) if (born.month, born.day) != (2, 29) else dt.date(year, 3, 1)
    return birthday - dt.timedelta(days=1)


def issue_child_id_card(
    handoff: records.ChildIdCardHandoff,
    entry: IdCardEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Issue the card, or refuse with the reason; a redelivery yields the same card."""
    known = prior(STEP, "ChildIdCardIssued", handoff, entry, _fields)
    if known is not None:
        return known
    child = handoff["child"]
    born = ctx.calendar.local_date(child["born_at"])
    if months_between(born, handoff["dossier_date"]) >= UNDER_MONTHS:
        return rejection(
            STEP,
            handoff,
            ctx.now,
            "not_under_six",
            "The child is 6 or older; this card is issued in the birth group only under 6.",
        )
    serial = spread(
        sharded(counters.next(f"idcard:{ctx.partition}"), ctx.partition, ctx.partitions), 8
    )
    check = hashlib.sha256(child["personal_id"].encode()).hexdigest()[:2].upper()
    issued: IdCardEntry = {
        "outcome": "issued",
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": ctx.now.isoformat(),
        "card_number": f"CC{serial:08d}{check}",
        "personal_id": child["personal_id"],
        "issued_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "valid_until": _renewal_day(born).isoformat(),
    }
    event = completion(STEP, "ChildIdCardIssued", handoff, ctx.now, **_fields(issued))
    return Decision([event], issued)


def _fields(entry: IdCardEntry) -> IdCardFields:
    return {
        "card_number": entry["card_number"],
        "personal_id": entry["personal_id"],
        "issued_on": dt.date.fromisoformat(entry["issued_on"]),
        "valid_until": dt.date.fromisoformat(entry["valid_until"]),
    }
