"""A handoff record: metadata, dates and the step's projection (declared in ``procedures``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong.contracts.events import metadata
from lienthong.hub.parts import civil_registry_part, health_insurance_part, residence_part
from lienthong.procedures import all_steps, group_of_step

__all__ = [
    "child_identity_from_json",
    "child_identity_to_json",
    "civil_registry_part",
    "handoff_record",
    "health_insurance_part",
    "residence_part",
]

Record = dict[str, Any]


def child_identity_to_json(child: Record) -> Record:
    return {**child, "born_at": child["born_at"].isoformat()}


def child_identity_from_json(child: Record) -> Record:
    return {**child, "born_at": dt.datetime.fromisoformat(child["born_at"])}


def handoff_record(
    step: str,
    dossier_id: str,
    part: Record,
    *,
    child: Record | None,
    dossier_date: dt.date,
    due_at: dt.datetime,
    at: dt.datetime,
    cause: str,
) -> Record:
    """The handoff of one step: metadata, dates, the projection, and the subject's identity
    as the group's first step established it (for the other steps)."""
    first = group_of_step(step).first == step
    record: Record = {
        "meta": metadata(all_steps()[step].handoff, dossier_id, "hub", at, cause, step),
        "dossier_date": dossier_date,
        "due_at": due_at,
        **part,
        "supplement": None,
    }
    if first:
        record["correction"] = None
    if child is not None and not first:
        record["child"] = child_identity_from_json(child)
    return record
