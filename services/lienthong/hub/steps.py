"""Building blocks of the hub's decisions: status events, handoffs, finishing steps and dossiers."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope, event_id, metadata
from lienthong.domain import units
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadline_cuts import (
    NO_CUTS,
    WHOLE,
    AppliedDeadline,
    DeadlineCuts,
    statutory_days,
)
from lienthong.domain.declaration import ProcedureGroup
from lienthong.domain.population import PopulationDatabase
from lienthong.errors import LienthongError, Reason
from lienthong.groups.registry import GROUPS
from lienthong.hub.projections import handoff_record
from lienthong.hub.state import DossierState
from lienthong.limits import clip
from lienthong.lookup import Keyring

Result = tuple[DossierState | None, list[Envelope]]


@dataclass(frozen=True)
class Context:
    """What a decision may know besides the state and the event: time, calendar, settings."""

    now: dt.datetime
    calendar: WorkingCalendar
    lookup_secret: Keyring
    public_base_url: str
    supplement_days: int = 7
    supplement_clock: str = "restart"
    #: A handoff unanswered this long is sent again (same event id: the agency repeats its
    #: answer), so a message lost anywhere between hub and agency cannot strand a dossier.
    resend_after: dt.timedelta = dt.timedelta(minutes=10)
    #: The province's approved deadline cuts (none: the statutory days).
    cuts: DeadlineCuts = NO_CUTS
    #: Whole-group deadlines set where the law is unclear (working days by group name; the
    #: ``_verification`` entries when verification is needed); the declaration's otherwise.
    group_deadlines: Mapping[str, int] = field(default_factory=dict)
    #: Registration from a facility's notice: from when (the hub's receipt date), how long the
    #: family has to complete it, and the population database that must know the mother.
    notice_in_force: dt.date = dt.date(2027, 3, 1)
    notice_window: dt.timedelta = dt.timedelta(days=30)
    population: PopulationDatabase | None = None

    def group_deadline(self, group: str, verification: bool) -> int | None:
        return self.group_deadlines.get(f"{group}_verification" if verification else group)


class UnknownDossier(LienthongError):
    """A completion names a dossier the hub has never received."""


class DossierIdConflict(LienthongError):
    """Two different submissions claim the same dossier id."""


class NotExpected(LienthongError):
    """A well-formed event that does not fit the dossier's situation (an unasked supplement)."""


@cache
def _codec() -> AvroCodec:
    return AvroCodec()


def keep_submission(record: Mapping[str, object], schema: str) -> str:
    """The submission, kept in the state as base64 single-object Avro (which names its type)."""
    return base64.b64encode(_codec().encode(schema, record)).decode()


def submission_of(state: DossierState) -> Mapping[str, object]:
    """The submission the hub kept (its group's record type: the group's projections read it),
    decoded once for the state (``DossierState.read_submission``)."""
    return state.read_submission(_decode_submission)


def _decode_submission(kept: str) -> Mapping[str, object]:
    return _codec().decode(base64.b64decode(kept)).record


def lookup_code(keys: Keyring, dossier_id: str) -> str:
    """The unguessable code printed on the receipt (and in its QR code): the signing key's id,
    then eight characters of its HMAC of the dossier id (``lienthong.lookup``)."""
    return keys.sign(dossier_id)


def legal_deadline(state: DossierState, ctx: Context, step: str = WHOLE) -> AppliedDeadline:
    """The working days in force: the law's, or the province's cut for the day received.

    The one place where the hub decides how many days a dossier (or a step) is given.
    """
    commune = units.commune(state.registering_commune)
    group_days = ctx.group_deadline(state.group, state.verification_needed)
    law = group_days if step == WHOLE else None
    return ctx.cuts.applied(
        state.group,
        step,
        verification=state.verification_needed,
        province=commune.province_code if commune else None,
        received_on=state.received_on,
        law=law or statutory_days(group_of(state), step, state.verification_needed),
    )


def legal_due(
    state: DossierState, ctx: Context, start: dt.datetime, step: str = WHOLE
) -> dt.datetime:
    """The due date of work counted from ``start`` with the days in force."""
    return ctx.calendar.due_at(start, legal_deadline(state, ctx, step).days)


def receipt_number(dossier_id: str) -> str:
    return f"TN-{dossier_id}"


def dossier_id_of_receipt(receipt: str) -> str:
    return receipt.removeprefix("TN-")


def group_of(state: DossierState) -> ProcedureGroup[Any]:
    """The dossier's group in the version it was received under."""
    group = GROUPS[state.group]
    if state.version:
        return group.named(state.version)
    return group.on(state.received_on or dt.date.min)


def agency(state: DossierState, step: str) -> str:
    return group_of(state).steps[step].agency


def status(
    schema: str, state: DossierState, ctx: Context, cause: str, *extra: object, **fields: object
) -> Envelope:
    """A status event of the hub (``fields``: the schema's own; the codec checks them)."""
    meta = metadata(schema, state.dossier_id, "hub", ctx.now, cause, *extra)
    return Envelope(topics.STATUS, schema, {"meta": meta, **fields})


def open_event(state: DossierState | None, event: records.Event) -> tuple[DossierState, str, bool]:
    """The dossier an event is about, its cause id, and whether the event is new to us."""
    meta = event["meta"]
    cause = str(meta["event_id"])
    if state is None:
        raise UnknownDossier(f"no dossier {clip(meta['dossier_id'])} was ever received by the hub")
    if state.has_seen(cause):
        return state, cause, False
    state.remember(cause)
    return state, cause, True


def part_for(state: DossierState, step: str) -> Mapping[str, object]:
    projection = group_of(state).steps[step].projection
    assert projection is not None  # every registered step declares one (procedures.REQUIRED)
    return projection(submission_of(state))


def handoff_schema(state: DossierState, step: str) -> str:
    return group_of(state).steps[step].handoff


def hand_off(
    state: DossierState, ctx: Context, cause: str, steps: list[str], **extra: object
) -> list[Envelope]:
    """Send ``steps`` their handoffs (again, for a supplement or correction) and say so."""
    outputs: list[Envelope] = []
    for step in steps:
        step_state = state.steps[step]
        first = group_of(state).first == step  # only the first step is returned for correction
        extra = {k: v for k, v in extra.items() if first or k != "correction"}
        record = _handoff(state, step, ctx, cause, extra)
        step_state.handoff_cause = cause
        step_state.handoff_extra = _supplement_time(extra, dt.datetime.isoformat)
        step_state.sent_at = ctx.now
        step_state.phase = "handed_off"
        step_state.awaiting = None
        step_state.handed_off_at = step_state.handed_off_at or ctx.now
        state.note(ctx.now, "handed_off", step)
        outputs.append(Envelope(topics.handoff(step), handoff_schema(state, step), record))
        outputs.append(
            status(
                "StepHandedOff",
                state,
                ctx,
                cause,
                step,
                step=step,
                agency=agency(state, step),
                due_at=step_state.effective_due,
            )
        )
    return outputs


def _handoff(
    state: DossierState, step: str, ctx: Context, cause: str, extra: Mapping[str, object]
) -> dict[str, object]:
    step_state = state.steps[step]
    assert step_state.due_at is not None and state.received_on is not None
    record = handoff_record(
        step,
        state.dossier_id,
        part_for(state, step),
        subject=state.subject,
        dossier_date=state.received_on,
        due_at=step_state.due_at,
        at=ctx.now,
        cause=cause,
    )
    record.update(extra)
    return record


def _supplement_time(
    extra: Mapping[str, object], convert: Callable[[Any], object]
) -> dict[str, object]:
    """A handoff's extra fields with a supplement's time converted: to ISO text as the state
    keeps it (``datetime.isoformat``), back to a time for a handoff sent again."""
    supplement = extra.get("supplement")
    if isinstance(supplement, dict) and supplement:
        at = convert(supplement["supplied_at"])
        return {**extra, "supplement": {**supplement, "supplied_at": at}}
    return dict(extra)


def resend(state: DossierState, step: str, ctx: Context) -> Envelope:
    """The last handoff of ``step`` again, with the same event id."""
    step_state = state.steps[step]
    assert step_state.handoff_cause is not None
    extra = _supplement_time(step_state.handoff_extra, dt.datetime.fromisoformat)
    record = _handoff(state, step, ctx, step_state.handoff_cause, extra)
    step_state.sent_at = ctx.now
    state.note(ctx.now, "resent", step)
    return Envelope(topics.handoff(step), handoff_schema(state, step), record)


def unanswered(state: DossierState, now: dt.datetime, after: dt.timedelta) -> list[str]:
    """Steps whose handoff has waited ``after`` without an answer."""
    return [
        step
        for step, st in state.steps.items()
        if st.phase == "handed_off"
        and st.handoff_cause
        and st.sent_at
        and not st.awaiting
        and now - st.sent_at >= after
    ]


def ready_steps(state: DossierState) -> list[str]:
    """Steps whose requirements are met and that have not started."""
    return group_of(state).ready(state.procedures, state.done(), state.started())


def finish_step(
    state: DossierState,
    step: str,
    phase: str,
    ctx: Context,
    cause: str,
    at: dt.datetime,
    *,
    result_ref: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
) -> list[Envelope]:
    step_state = state.steps[step]
    step_state.phase = phase  # type: ignore[assignment]
    step_state.finished_at = at
    step_state.answered_by = cause
    step_state.result_ref = result_ref
    step_state.reason = reason
    step_state.reason_code = reason_code
    due = step_state.effective_due
    step_state.on_time = due is None or at <= due
    state.note(ctx.now, phase, step, result_ref or reason or "")
    return [
        status(
            "StepFinished",
            state,
            ctx,
            cause,
            step,
            phase,
            step=step,
            outcome=phase.upper(),
            result_ref=result_ref,
            reason=reason,
            on_time=step_state.on_time,
        )
    ]


def refuse_step(
    state: DossierState,
    step: str,
    ctx: Context,
    cause: str,
    at: dt.datetime,
    code: str,
    reason: str,
) -> list[Envelope]:
    """Refuse a step; the steps that need it can no longer start; maybe finish the dossier."""
    outputs = finish_step(state, step, "rejected", ctx, cause, at, reason=reason, reason_code=code)
    group = group_of(state)
    for blocked in group.blocked_by(state.procedures, step):
        if state.steps[blocked].phase == "not_applicable":  # decided at intake: it stays so
            continue
        state.steps[blocked].phase = "not_started"
        state.steps[
            blocked
        ].reason = f"Not started: the earlier step ({group.steps[step].agency}) was refused."
    return outputs + maybe_finish(state, ctx, cause)


def maybe_finish(state: DossierState, ctx: Context, cause: str) -> list[Envelope]:
    if not state.all_finished() or state.phase != "open":
        return []
    outcomes = {s: st.phase for s, st in state.steps.items()}
    # a step that does not apply neither adds to the dossier's outcome nor takes from it
    if all(p in ("completed", "not_applicable") for p in outcomes.values()):
        outcome = "COMPLETED"
    elif outcomes.get(group_of(state).first) == "completed":
        outcome = "PARTLY_COMPLETED"
    else:
        outcome = "REJECTED"
    return close(state, ctx, cause, outcome)


def close(state: DossierState, ctx: Context, cause: str, outcome: str) -> list[Envelope]:
    if outcome != "WITHDRAWN":
        # Finished by its steps' answers: the dossier ends when the last answer was given, and
        # that answer is the cause, whichever of the last answers the hub happened to read last.
        # After a crash the hub may read them again in the other order and later by the clock;
        # its DossierFinished must be the same message, so it is built from the steps alone.
        ctx, cause = _last_answer(state, ctx, cause)
    state.phase = "withdrawn" if outcome == "WITHDRAWN" else "finished"
    state.outcome = outcome
    state.finished_at = ctx.now
    state.on_time = state.due_at is None or ctx.now <= state.due_at
    state.note(ctx.now, "finished", detail=outcome)
    procedures = [
        {"step": s, "outcome": st.phase.upper(), "result_ref": st.result_ref, "reason": st.reason}
        for s, st in state.steps.items()
    ]
    finished = status(
        "DossierFinished",
        state,
        ctx,
        cause,
        outcome=outcome,
        procedures=procedures,
        on_time=state.on_time,
        due_at=state.due_at,
    )
    # A dossier finishes once, whichever event was last: its id names the dossier, not the cause.
    # After a crash the hub may read the last two answers again in the other order (they come on
    # different topics); the repeat must be the same event, which every reader ignores.
    finished.meta["event_id"] = event_id("DossierFinished", state.dossier_id)
    return [finished]


def _last_answer(state: DossierState, ctx: Context, cause: str) -> tuple[Context, str]:
    """The context and cause of the step answered last (time, then event id); unchanged if a
    step has no recorded answer (a dossier saved before steps recorded theirs)."""
    answers = [
        (s.finished_at, s.answered_by)
        for s in state.steps.values()
        if s.finished_at is not None and s.answered_by is not None
    ]
    if not answers or len(answers) < len(state.steps):
        return ctx, cause
    at, by = max(answers)
    return replace(ctx, now=at), by


def reject(
    state: DossierState, reasons: list[Reason], ctx: Context, cause: str, outcome: str = "REJECTED"
) -> Result:
    """Refuse the whole dossier, each reason naming its field and rule."""
    state.phase, state.outcome, state.finished_at = "rejected", outcome, ctx.now
    state.rejection = [{"field": r.field, "code": r.code, "message": r.message} for r in reasons]
    state.note(ctx.now, "rejected", detail="; ".join(r.message for r in reasons))
    return state, [status("DossierRejected", state, ctx, cause, reasons=state.rejection)]
