"""A handoff record: metadata, dates and the step's projection (declared in ``procedures``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong.contracts.events import metadata
from lienthong.groups.birth.projections import (
    civil_registry_part,
    health_insurance_part,
    residence_part,
)
from lienthong.groups.registry import all_steps, group_of_step

__all__ = [
    "child_identity_from_json",
    "child_identity_to_json",
    "civil_registry_part",
    "handoff_record",
    "health_insurance_part",
    "residence_part",
]

Record = dict[str, Any]


def child_identity_to_json(subject: Record) -> Record:
    """The registered subject (child, deceased) as the state keeps it: times as ISO text."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in subject.items()}


def child_identity_from_json(subject: Record) -> Record:
    """The subject for a handoff: its times (fields named ``*_at``) as datetimes again."""
    return {
        k: dt.datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v
        for k, v in subject.items()
    }


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
    group = group_of_step(step)
    first = group.first == step
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
        record[group.subject] = child_identity_from_json(child)
    return record
