"""Deregistration of permanent residence after a death (Law on Residence 2020, art. 24).

The commune police delete the deceased's permanent residence once the death is registered. A
deceased without a permanent residence has nothing to deregister: the hub sees it at intake and
shows the step as not applicable (``procedures.DEATH``, ``death.parts.has_permanent_residence``),
so no such handoff is sent; one that arrives all the same is refused with that reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TypedDict

from lienthong.contracts import records
from lienthong.domain.agency import AgencyContext, Decision, Entry, granted, prior, rejection
from lienthong.domain.allocation import Counters

STEP = "residence_deregistration"


class DeregistrationEntry(Entry, total=False):
    """The commune police's entry for one deceased's residence (besides the common keys)."""

    confirmation_ref: str
    deregistered_on: str
    address: records.Address


class DeregisteredFields(TypedDict):
    """A ``ResidenceDeregistered``'s fields (but its meta), rebuilt from the entry."""

    confirmation_ref: str
    deregistered_on: dt.date
    address: records.Address


def deregister_residence(
    handoff: records.ResidenceDeregistrationHandoff,
    entry: DeregistrationEntry | None,
    counters: Counters,
    ctx: AgencyContext,
) -> Decision:
    """Deregister the deceased's permanent residence, or refuse when there is none."""
    known = prior(STEP, "ResidenceDeregistered", handoff, entry, _fields)
    if known is not None:
        return known
    address = handoff.get("permanent_address")
    if address is None:
        return rejection(
            STEP,
            handoff,
            ctx.now,
            "no_permanent_residence",
            "The deceased had no permanent residence registered: there is nothing to deregister.",
        )
    digest = hashlib.sha256(handoff["meta"]["dossier_id"].encode()).hexdigest()[:8].upper()
    done: DeregistrationEntry = {
        "outcome": "registered",
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": ctx.now.isoformat(),
        "confirmation_ref": f"XT-{address['commune_code']}-{digest}",
        "deregistered_on": ctx.calendar.local_date(ctx.now).isoformat(),
        "address": {**address},
    }
    return granted(STEP, "ResidenceDeregistered", handoff, done, _fields)


def _fields(entry: DeregistrationEntry) -> DeregisteredFields:
    return {
        "confirmation_ref": entry["confirmation_ref"],
        "deregistered_on": dt.date.fromisoformat(entry["deregistered_on"]),
        "address": entry["address"],
    }
