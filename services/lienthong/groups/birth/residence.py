"""Permanent residence for a newborn (Law on Residence 2020, art. 20 and 22).

The commune police register the child in the household at the chosen parent's permanent address
within 2 working days. They refuse when that address is not the parent's declared permanent
address, or, under the rules before 2026-07-01, when the head of household (not the parent) has
not consented.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from lienthong.domain.agency import AgencyContext, Decision, completion, prior, rejection
from lienthong.domain.allocation import Counters
from lienthong.groups.birth.residence_rules import rule_on

STEP = "residence"
Record = dict[str, Any]


def _same_address(a: Record, b: Record) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().replace(",", " ").split())

    return a["commune_code"] == b["commune_code"] and norm(a["street"]) == norm(b["street"])


def register_residence(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """Register the child at the parent's address, or refuse with the reason."""
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
    rule = rule_on(handoff["dossier_date"])
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
    entry = {
        "outcome": "registered",
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": ctx.now.isoformat(),
        "confirmation_ref": f"CT-{request['address']['commune_code']}-{digest}",
        "registered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "address": dict(request["address"]),
        "head_of_household": request["head_of_household"],
        "child_personal_id": handoff["child"]["personal_id"],
    }
    return Decision(
        [completion(STEP, "ResidenceRegistered", handoff, ctx.now, **_fields(entry))], entry
    )


def _fields(entry: Record) -> Record:
    return {
        "confirmation_ref": entry["confirmation_ref"],
        "registered_on": dt.date.fromisoformat(entry["registered_on"]),
        "address": entry["address"],
        "head_of_household": entry["head_of_household"],
    }
