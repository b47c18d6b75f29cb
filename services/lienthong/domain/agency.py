"""What every agency decision returns, and what it may know besides the handoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lienthong import topics
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.population import EmbeddedPopulationDatabase, PopulationDatabase

Record = dict[str, Any]


#: Outcomes that wait for something (a supplement, a correction): a NEW handoff decides afresh,
#: a redelivered one repeats the request.
WAITING_OUTCOMES = frozenset({"supplement", "correction"})


@dataclass(frozen=True)
class AgencyContext:
    """Time, calendar, the partition the handoff came from (for sharded numbering), ports."""

    now: dt.datetime
    calendar: WorkingCalendar
    partition: int
    partitions: int
    population: PopulationDatabase = field(default_factory=EmbeddedPopulationDatabase)
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 120.0


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


def rejection(
    step: str,
    handoff: Record,
    at: dt.datetime,
    code: str,
    reason: str,
    duplicate_of: str | None = None,
) -> Decision:
    """The agency refuses its step, with a code and a reason the citizen understands
    (``duplicate_of``: the other dossier, for operators only)."""
    event = completion(
        step,
        "StepRejected",
        handoff,
        at,
        step=step,
        reason_code=code,
        reason=reason,
        duplicate_of=duplicate_of,
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


def ask(
    step: str, schema: str, handoff: Record, at: dt.datetime, outcome: str, /, **fields: Any
) -> Decision:
    """The agency asks for something (a supplement, a correction) and remembers having asked."""
    event = completion(step, schema, handoff, at, **fields)
    entry = {
        "outcome": outcome,
        "dossier_id": handoff["meta"]["dossier_id"],
        "at": at.isoformat(),
        "handoff_event_id": str(handoff["meta"]["event_id"]),
        "request": {"schema": schema, "fields": fields},
    }
    return Decision([event], entry)


def prior(
    step: str,
    schema: str,
    handoff: Record,
    entry: Record | None,
    fields: Callable[[Record], Record],
) -> Decision | None:
    """What the register already says for this dossier's handoff; None: decide afresh."""
    if entry is None or entry.get("dossier_id") != handoff["meta"]["dossier_id"]:
        return None
    if entry["outcome"] in ("cancelled", "revoked"):
        return Decision([])
    if entry["outcome"] in WAITING_OUTCOMES:
        if entry.get("handoff_event_id") != str(handoff["meta"]["event_id"]):
            return None
        at = dt.datetime.fromisoformat(entry["at"])
        request = entry["request"]
        return Decision([completion(step, request["schema"], handoff, at, **request["fields"])])
    return replay(step, schema, handoff, entry, fields)


def cancel(step: str, cancelled: Record, entry: Record | None, at: dt.datetime) -> Decision:
    """Stop work on a withdrawn dossier.

    The cancellation queues behind the handoff it cancels, so an agency that was down acts on
    the handoff first. What it did after the citizen withdrew it revokes, visibly (a
    StepRejected with code ``withdrawn``); what it decided before the withdrawal stands.
    """
    dossier_id = cancelled["meta"]["dossier_id"]
    withdrawn_at: dt.datetime = cancelled["meta"]["occurred_at"]
    mark = {"outcome": "cancelled", "dossier_id": dossier_id, "at": at.isoformat()}
    if entry is None or entry.get("outcome") in WAITING_OUTCOMES:
        return Decision([], mark)
    if entry.get("dossier_id") != dossier_id or entry["outcome"] in ("cancelled", "revoked"):
        return Decision([])
    if entry["outcome"] == "rejected" or dt.datetime.fromisoformat(entry["at"]) < withdrawn_at:
        return Decision([])
    reason = (
        "The result was revoked: the citizen had withdrawn the dossier before the agency "
        "acted on it."
    )
    event = completion(
        step, "StepRejected", cancelled, at, step=step, reason_code="withdrawn", reason=reason
    )
    return Decision([event], dict(entry, outcome="revoked", revoked_at=at.isoformat()))


def granted(
    step: str, schema: str, handoff: Record, entry: Record, fields: Callable[[Record], Record]
) -> Decision:
    """The step done: the completion event rebuilt from the register entry (as a replay is)."""
    at = dt.datetime.fromisoformat(entry["at"])
    return Decision([completion(step, schema, handoff, at, **fields(entry))], entry)
