"""The parcel group's intake rule, projections and agencies' decisions (all pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong.domain.agency import AgencyContext, Decision, completion, prior, rejection
from lienthong.domain.allocation import Counters
from lienthong.errors import Reason, ValidationFailed

Record = dict[str, Any]
REQUEST, REVIEW = "parcel_request", "parcel_review"
#: A note the review board refuses (the scenario's refusal).
UNBUILDABLE = "unbuildable"


def validate(event: Record, now: dt.datetime) -> Record:
    """A parcel request needs a note saying which lot."""
    if not str(event.get("note") or "").strip():
        raise ValidationFailed([Reason("note", "missing_field", "note must name the lot.")])
    return event


def request_part(submission: Record) -> Record:
    return {"note": submission["note"]}


def review_part(submission: Record) -> Record:
    return {}


def _request_fields(entry: Record) -> Record:
    registered_at = dt.datetime.fromisoformat(entry["at"])
    return {
        "request_ref": entry["ref"],
        "parcel": {"lot": entry["lot"], "registered_at": registered_at},
    }


def request_parcel(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """The land office records the request and names the parcel (once per dossier)."""
    known = prior(REQUEST, "ParcelRequested", handoff, entry, _request_fields)
    if known is not None:
        return known
    dossier_id = str(handoff["meta"]["dossier_id"])
    entry = {
        "outcome": "registered",
        "dossier_id": dossier_id,
        "at": ctx.now.isoformat(),
        "ref": f"PR-{dossier_id[-6:]}",
        "lot": handoff["note"],
    }
    fields = _request_fields(entry)
    return Decision([completion(REQUEST, "ParcelRequested", handoff, ctx.now, **fields)], entry)


def review_parcel(
    handoff: Record, entry: Record | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """The review board approves a parcel, or refuses an unbuildable one."""
    fields = lambda e: {"review_ref": e["ref"]}  # noqa: E731
    known = prior(REVIEW, "ParcelReviewed", handoff, entry, fields)
    if known is not None:
        return known
    if UNBUILDABLE in handoff["parcel"]["lot"]:
        return rejection(REVIEW, handoff, ctx.now, "not_buildable", "The parcel is not buildable.")
    dossier_id = str(handoff["meta"]["dossier_id"])
    entry = {"outcome": "issued", "dossier_id": dossier_id, "at": ctx.now.isoformat()}
    entry["ref"] = f"RV-{dossier_id[-6:]}"
    return Decision(
        [completion(REVIEW, "ParcelReviewed", handoff, ctx.now, **fields(entry))], entry
    )
