"""The first health-insurance card of a child under 6 (Law on Health Insurance, art. 12 and 16).

Social Security issues a 10-digit social-insurance number and a card (TE, benefit level 1, the
province) valid until the child turns 72 months, within 2 working days; a refusal comes within 1
working day with its reason. The state pays the contribution.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import (
    AgencyContext,
    Decision,
    Entry,
    ask,
    completion,
    prior,
    rejection,
)
from lienthong.domain.allocation import Counters, sharded, spread
from lienthong.domain.identifiers import (
    card_code,
    card_valid_until,
    personal_id_birth_year,
    personal_id_sex,
)

STEP = "health_insurance"


class CardEntry(Entry, total=False):
    """Social Security's entry for one child's card (besides the common keys)."""

    social_insurance_number: str
    card_code: str
    valid_from: str
    valid_until: str
    clinic_code: str
    child_personal_id: str


class CardFields(TypedDict):
    """A ``CardIssued``'s fields (but its meta), rebuilt from the entry."""

    social_insurance_number: str
    card_code: str
    valid_from: dt.date
    valid_until: dt.date
    clinic_code: str


def months_between(born: dt.date, day: dt.date) -> int:
    """Whole months from ``born`` to ``day`` (the age rules of the under-6 cards)."""
    return (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)


def issue_card(
    handoff: records.HealthInsuranceHandoff,
    entry: CardEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Issue the card, or refuse with the reason; a redelivery yields the same card."""
    known = prior(STEP, "CardIssued", handoff, entry, _fields)
    if known is not None:
        return known
    born = ctx.calendar.local_date(handoff["child"]["born_at"])
    child = handoff["child"]
    pid = child["personal_id"]
    if personal_id_sex(pid) != child["sex"] or personal_id_birth_year(pid) != born.year:
        return ask(
            STEP,
            "CorrectionRequested",
            handoff,
            ctx.now,
            "correction",
            step=STEP,
            target_step="civil_registry",
            reason="The child's personal ID number does not match the sex or year of birth "
            "in the population data.",
        )
    if months_between(born, handoff["dossier_date"]) >= 72:
        return rejection(
            STEP,
            handoff,
            ctx.now,
            "not_under_six",
            "The child is 6 or older; this card is only for children under 6.",
        )
    province = handoff["province_code"]
    key = f"sin:{province}:{ctx.partition}"
    serial = spread(sharded(counters.next(key), ctx.partition, ctx.partitions), 8)
    number = f"{province}{serial:08d}"
    issued: CardEntry = {
        "outcome": "issued",
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": ctx.now.isoformat(),
        "social_insurance_number": number,
        "card_code": card_code(province, number),
        "valid_from": born.isoformat(),
        "valid_until": card_valid_until(born).isoformat(),
        "clinic_code": handoff["clinic"]["clinic_code"],
        "child_personal_id": handoff["child"]["personal_id"],
    }
    event = completion(STEP, "CardIssued", handoff, ctx.now, **_fields(issued))
    return Decision([event], issued)


def _fields(entry: CardEntry) -> CardFields:
    return {
        "social_insurance_number": entry["social_insurance_number"],
        "card_code": entry["card_code"],
        "valid_from": dt.date.fromisoformat(entry["valid_from"]),
        "valid_until": dt.date.fromisoformat(entry["valid_until"]),
        "clinic_code": entry["clinic_code"],
    }
