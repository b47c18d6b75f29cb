"""Permanent residence for a newborn (Law on Residence 2020, art. 20 and 22).

The commune police register the child in the household at the chosen parent's permanent address
within 2 working days. They refuse when that address is not the parent's declared permanent
address, or, under the rules before 2026-07-01, when the head of household (not the parent) has
not consented.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import AgencyContext, Decision, Entry, completion, prior, rejection
from lienthong.domain.allocation import Counters
from lienthong.domain.declaration import AgencyDecision

STEP = "residence"


@dataclass(frozen=True)
class ResidenceRule:
    """What the police require for a child under 6 registered at a parent's address (each
    version of the birth group declares its own: ``declaration.py``)."""

    head_consent_required: bool
    basis: str


#: Law on Residence 2020: the head of household consents unless the parent is the head.
LAW_2020 = ResidenceRule(True, "Law on Residence 2020, art. 20")
#: From 2026-07-01 a child under 6 at a parent's address needs no head of household's consent.
AMENDED_2026 = ResidenceRule(False, "amended residence rules from 2026-07-01")


def under(rule: ResidenceRule) -> AgencyDecision[records.ResidenceHandoff, ResidenceEntry]:
    """The police's decision under ``rule`` (the rule of the dossier's version)."""

    def decide(
        handoff: records.ResidenceHandoff,
        entry: ResidenceEntry | None,
        counters: Counters,
        ctx: AgencyContext,
    ) -> Decision:
        return register_residence(handoff, entry, counters, ctx, rule)

    return decide


class ResidenceEntry(Entry, total=False):
    """The commune police's entry for one child's residence (besides the common keys)."""

    confirmation_ref: str
    registered_on: str
    address: records.Address
    head_of_household: str
    child_personal_id: str


class ResidenceFields(TypedDict):
    """A ``ResidenceRegistered``'s fields (but its meta), rebuilt from the entry."""

    confirmation_ref: str
    registered_on: dt.date
    address: records.Address
    head_of_household: str


def _same_address(a: records.Address, b: records.Address) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().replace(",", " ").split())

    return a["commune_code"] == b["commune_code"] and norm(a["street"]) == norm(b["street"])


def register_residence(
    handoff: records.ResidenceHandoff,
    entry: ResidenceEntry | None,
    counters: Counters,
    ctx: AgencyContext,
    rule: ResidenceRule,
) -> Decision:
    """Register the child at the parent's address, or refuse with the reason (``rule``: what
    the version the dossier was received under requires)."""
    known = prior(STEP, "ResidenceRegistered", handoff, entry, _fields)
    if known is not None:
        return known
    request = handoff["request"]
    if not _same_address(request["address"], handoff["parent_permanent_address"]):
        return rejection(
            STEP,
            handoff,
            ctx.now,
            "address_mismatch",
            "The address given for the child is not the chosen parent's permanent address.",
        )
    parent_is_head = handoff["parent_personal_id"] == request["head_personal_id"]
    if rule.head_consent_required and not parent_is_head and not request["head_consent"]:
        return rejection(
            STEP,
            handoff,
            ctx.now,
            "consent_missing",
            f"The head of household's consent is required and was not given ({rule.basis}).",
        )
    digest = hashlib.sha256(handoff["meta"]["dossier_id"].encode()).hexdigest()[:8].upper()
    registered: ResidenceEntry = {
        "outcome": "registered",
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": ctx.now.isoformat(),
        "confirmation_ref": f"CT-{request['address']['commune_code']}-{digest}",
        "registered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "address": {**request["address"]},
        "head_of_household": request["head_of_household"],
        "child_personal_id": handoff["child"]["personal_id"],
    }
    event = completion(STEP, "ResidenceRegistered", handoff, ctx.now, **_fields(registered))
    return Decision([event], registered)


def _fields(entry: ResidenceEntry) -> ResidenceFields:
    return {
        "confirmation_ref": entry["confirmation_ref"],
        "registered_on": dt.date.fromisoformat(entry["registered_on"]),
        "address": entry["address"],
        "head_of_household": entry["head_of_household"],
    }
