"""A handoff record: metadata, dates and the step's projection (declared by its group)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from lienthong.contracts.events import metadata
from lienthong.groups.registry import all_steps, group_of_step

#: A group's subject (the registered child, the deceased), read generically by field.
Subject = Mapping[str, object]


def subject_to_json(subject: Subject) -> dict[str, object]:
    """The registered subject (child, deceased) as the state keeps it: times as ISO text."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in subject.items()}


def subject_from_json(subject: Subject) -> dict[str, object]:
    """The subject for a handoff: its times (fields named ``*_at``) as datetimes again."""
    return {
        k: dt.datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v
        for k, v in subject.items()
    }


def handoff_record(
    step: str,
    dossier_id: str,
    part: Mapping[str, object],
    *,
    subject: Subject | None,
    dossier_date: dt.date,
    due_at: dt.datetime,
    at: dt.datetime,
    cause: str,
) -> dict[str, object]:
    """The handoff of one step: metadata, dates, the projection, and the subject's identity
    as the group's first step established it (for the other steps)."""
    group = group_of_step(step)
    first = group.first == step
    record: dict[str, object] = {
        "meta": metadata(all_steps()[step].handoff, dossier_id, "hub", at, cause, step),
        "dossier_date": dossier_date,
        "due_at": due_at,
        **part,
        "supplement": None,
    }
    if first:
        record["correction"] = None
    if subject is not None and not first:
        record[group.subject] = subject_from_json(subject)
    return record
