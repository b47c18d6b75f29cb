"""What every agency decision returns, and what it may know besides the handoff."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Required, TypedDict, TypeVar

from lienthong.contracts import records
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.allocation import Counters
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.population import EmbeddedPopulationDatabase, PopulationDatabase


class Request(TypedDict):
    """What an agency asked for (a supplement, a correction, a wait): the event, its fields."""

    schema: str
    fields: dict[str, object]


class Entry(TypedDict, total=False):
    """A register entry (the JSON an agency keeps per step): the keys every entry has, and
    those the shared decisions below write; a group's entries add theirs in a subclass."""

    outcome: Required[str]
    dossier_id: Required[str]
    at: Required[str]
    code: str
    reason: str
    handoff_event_id: str
    request: Request
    step: str
    pending: bool
    attempts: int
    next_retry_at: str
    revoked_at: str


class CauseMeta(TypedDict):
    """The ids of the event that caused a consequence (all its id needs)."""

    event_id: uuid.UUID | str
    dossier_id: str


class Cause(TypedDict):
    """A handoff as a register entry keeps it for a later decision (a waiting entry's timer):
    its ids, which the ids of its consequences derive from."""

    meta: CauseMeta


#: What an agency's completion is caused by: the event at hand, or one kept as its ``Cause``.
Origin = records.Event | Cause

#: A step's own register entry type (a subclass of ``Entry``).
E = TypeVar("E", bound=Entry)
#: The completion's fields rebuilt from a success entry.
Fields = Mapping[str, object]


#: Outcomes that wait for something (a supplement, a correction, an answer of an outside system
#: such as the population database, an official's review): a NEW handoff decides afresh, a
#: redelivered one repeats the request.
WAITING_OUTCOMES = frozenset({"supplement", "correction", "deferred", "review"})


#: The topic role of every completion a decision returns: the deployable that publishes it sends
#: it to its own completion topic (a decision knows its step, not which deployable owns it).
COMPLETION = "completion"


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
    """Events to publish and the register entry to keep (None: keep what is there).

    The entry is any ``Entry``: a step's decision writes its own subclass, while the shared
    decisions (a refusal, a request, a withdrawal) write the common keys only. The step's own
    entry type reaches its functions through the declaration's callables (``StepSpec``)."""

    outputs: list[Envelope] = field(default_factory=list)
    entry: Entry | None = None


def completion(
    step: str, schema: str, handoff: Origin, at: dt.datetime, /, **fields: object
) -> Envelope:
    """A completion event caused by ``handoff``; its id depends only on the handoff.

    The parameters are positional-only so that ``fields`` may hold a record field named
    ``step`` (StepRejected has one).
    """
    meta = metadata(
        schema,
        handoff["meta"]["dossier_id"],
        "",  # the deployable that publishes it names itself (``agencies.builder.addressed``)
        at,
        str(handoff["meta"]["event_id"]),
        step,
    )
    return Envelope(COMPLETION, schema, {"meta": meta, **fields})


def rejection(
    step: str,
    handoff: Origin,
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
    entry: Entry = {
        "outcome": "rejected",
        "code": code,
        "reason": reason,
        "at": at.isoformat(),
        "dossier_id": handoff["meta"]["dossier_id"],
    }
    return Decision([event], entry)


def replay(
    step: str, schema: str, handoff: Origin, entry: E, fields: Callable[[E], Fields]
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
    step: str,
    schema: str,
    handoff: Origin,
    at: dt.datetime,
    outcome: str,
    /,
    **fields: object,
) -> Decision:
    """The agency asks for something (a supplement, a correction) and remembers having asked."""
    event = completion(step, schema, handoff, at, **fields)
    entry: Entry = {
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
    handoff: Origin,
    entry: E | None,
    fields: Callable[[E], Fields],
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


def cancel(
    step: str,
    cancelled: records.Event,
    entry: Entry | None,
    at: dt.datetime,
    *,
    revoke_decided: bool = False,
) -> Decision:
    """Stop work on a withdrawn dossier.

    The cancellation queues behind the handoff it cancels, so an agency that was down acts on
    the handoff first. What it did after the citizen withdrew it revokes, visibly (a
    StepRejected with code ``withdrawn``); what it decided before the withdrawal stands, unless
    ``revoke_decided``: the hub accepts a withdrawal only while no step has finished in its
    view, so such a result never reached the dossier, and a step whose result would block a new
    dossier (one death, one registration) revokes it too.
    """
    dossier_id = cancelled["meta"]["dossier_id"]
    withdrawn_at = cancelled["meta"]["occurred_at"]
    mark: Entry = {"outcome": "cancelled", "dossier_id": dossier_id, "at": at.isoformat()}
    if entry is None or (
        entry.get("outcome") in WAITING_OUTCOMES and entry.get("dossier_id") == dossier_id
    ):
        return Decision([], mark)
    if entry.get("dossier_id") != dossier_id or entry["outcome"] in ("cancelled", "revoked"):
        return Decision([])
    decided_before = dt.datetime.fromisoformat(entry["at"]) < withdrawn_at
    if entry["outcome"] == "rejected" or (decided_before and not revoke_decided):
        return Decision([])
    reason = (
        "The result was revoked: the citizen had withdrawn the dossier before the agency "
        "acted on it."
    )
    event = completion(
        step, "StepRejected", cancelled, at, step=step, reason_code="withdrawn", reason=reason
    )
    revoked: Entry = {**entry, "outcome": "revoked", "revoked_at": at.isoformat()}
    return Decision([event], revoked)


def granted(
    step: str, schema: str, handoff: Origin, entry: E, fields: Callable[[E], Fields]
) -> Decision:
    """The step done: the completion event rebuilt from the register entry (as a replay is)."""
    at = dt.datetime.fromisoformat(entry["at"])
    return Decision([completion(step, schema, handoff, at, **fields(entry))], entry)


def defer(
    step: str, handoff: records.Event, ctx: AgencyContext, waiting_for: str, message: str
) -> Decision:
    """The agency cannot decide yet: an outside system (``waiting_for``) did not answer.

    It tells the hub, which shows the step waiting (a ``StepDeferred``; a redelivered handoff
    repeats it), and keeps the handoff pending: its own timer asks again (``retry_due``,
    ``backoff``) and it decides when the system answers.
    """
    decision = ask(
        step,
        "StepDeferred",
        handoff,
        ctx.now,
        "deferred",
        step=step,
        waiting_for=waiting_for,
        message=message,
    )
    assert decision.entry is not None
    entry: Entry = {
        **decision.entry,
        "step": step,
        "pending": True,
        "attempts": 1,
        "next_retry_at": first_retry(ctx),
    }
    return Decision(decision.outputs, entry)


def first_retry(ctx: AgencyContext) -> str:
    """When something pending since now is first asked for again."""
    return (ctx.now + dt.timedelta(seconds=ctx.retry_base_seconds)).isoformat()


def retry_due(entry: Entry | None, ctx: AgencyContext) -> bool:
    """Whether a pending entry's next attempt is due."""
    if entry is None or not entry.get("pending"):
        return False
    return ctx.now >= dt.datetime.fromisoformat(entry["next_retry_at"])


def retried(entry: E) -> E:
    """The entry (a copy) as one more attempt begins."""
    out = copy.copy(entry)
    out["attempts"] = int(entry["attempts"]) + 1
    return out


def backoff(entry: E, ctx: AgencyContext) -> E:
    """The entry (a copy) after a failed attempt: the next waits twice as long as the last, up
    to the maximum."""
    delay = min(ctx.retry_base_seconds * 2 ** (int(entry["attempts"]) - 1), ctx.retry_max_seconds)
    out = copy.copy(entry)
    out["next_retry_at"] = (ctx.now + dt.timedelta(seconds=delay)).isoformat()
    return out


def cancel_step(
    cancelled: records.HandoffCancelled, entry: Entry | None, counters: Counters, ctx: AgencyContext
) -> Decision:
    """The citizen withdrew: the step named by the cancellation is not done (what was decided
    after the withdrawal is revoked, visibly; see ``cancel``)."""
    return cancel(cancelled["step"], cancelled, entry, ctx.now)
