"""What every agency decision returns, and what it may know besides the handoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lienthong import topics
from lienthong.calendar import WorkingCalendar
from lienthong.contracts.events import Envelope, metadata

Record = dict[str, Any]


@dataclass(frozen=True)
class AgencyContext:
    """Time, calendar and the partition the handoff came from (for sharded numbering)."""

    now: dt.datetime
    calendar: WorkingCalendar
    partition: int
    partitions: int


@dataclass
class Decision:
    """Events to publish and the register entry to keep (None: keep what is there)."""

    outputs: list[Envelope] = field(default_factory=list)
    entry: Record | None = None


def completion(
    step: str, schema: str, handoff: Record, at: dt.datetime, /, **fields: Any
) -> Envelope:
    """A completion event caused by ``handoff``; its id depends only on the handoff.

    The parameters are positional-only so that ``fields`` may hold a record field named
    ``step`` (StepRejected has one).
    """
    meta = metadata(
        schema,
        handoff["meta"]["dossier_id"],
        topics.STEP_TOPIC_NAMES[step],
        at,
        str(handoff["meta"]["event_id"]),
        step,
    )
    return Envelope(topics.completion(step), schema, {"meta": meta, **fields})


def rejection(step: str, handoff: Record, at: dt.datetime, code: str, reason: str) -> Decision:
    """The agency refuses its step, with a code and a reason the citizen understands."""
    event = completion(
        step, "StepRejected", handoff, at, step=step, reason_code=code, reason=reason
    )
    return Decision(
        [event],
        {
            "outcome": "rejected",
            "code": code,
            "reason": reason,
            "at": at.isoformat(),
            "dossier_id": handoff["meta"]["dossier_id"],
        },
    )


def replay(
    step: str, schema: str, handoff: Record, entry: Record, fields: Callable[[Record], Record]
) -> Decision:
    """The same outcome again for a redelivered handoff (same ids, same numbers).

    ``fields`` rebuilds the completion's fields from a success entry; it is called only for one,
    since a refusal's entry has no result fields.
    """
    at = dt.datetime.fromisoformat(entry["at"])
    if entry.get("outcome") == "rejected":
        return Decision(rejection(step, handoff, at, entry["code"], entry["reason"]).outputs)
    return Decision([completion(step, schema, handoff, at, **fields(entry))])


def local_date(calendar: WorkingCalendar, at: dt.datetime) -> dt.date:
    return calendar.local_date(at)
