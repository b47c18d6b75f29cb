"""The hub's exception paths: pending ID numbers, supplements, corrections, late agencies,
withdrawal, and the legal clock's checks. Each is a pure ``(state, event) -> (state, events)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TypedDict

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.events import Envelope, metadata
from lienthong.hub.projections import subject_to_json
from lienthong.hub.state import DossierState, StepState
from lienthong.hub.steps import (
    Context,
    NotExpected,
    Result,
    agency,
    close,
    group_of,
    hand_off,
    legal_due,
    open_event,
    part_for,
    ready_steps,
    refuse_step,
    resend,
    status,
    unanswered,
)
from lienthong.limits import clip


class AboutStep(TypedDict):
    """What an agency's answer about its step has (``StepDeferred``, ``SupplementRequested``)."""

    meta: records.EventMetadata
    step: str


#: What a step back at the group's first step for a correction says (any group's).
CORRECTION_TEXT = (
    "Returned to the {agency} for a correction of the {procedure}; nothing is needed from you."
)
#: What a StepWaiting can name (its schema's symbols but the default, OTHER).
#: What an agency defers a step for when the case waits on an official's desk.
REVIEW = "review"
WAITING_SYMBOLS = frozenset({"PERSONAL_ID", "CORRECTION", "POPULATION_DATABASE", "REVIEW"})


def take_subject(
    state: DossierState, step: str, event: records.Event, ctx: Context, cause: str
) -> list[Envelope]:
    """Keep the subject the first step registered (the child, the deceased); a pending personal
    ID number holds the dependent steps."""
    result: Mapping[str, object] = event  # the group's result, read by its declared fields
    subject = result.get(group_of(state).subject)
    if isinstance(subject, dict):
        state.subject = subject_to_json(subject)
    pending = group_of(state).steps[step].pending
    if pending is not None and result.get(pending[0]):
        state.steps[step].awaiting = pending[1]
    return []


def announce_wait(
    state: DossierState, step: str, ctx: Context, cause: str, message: str | None = None
) -> list[Envelope]:
    """Tell the citizen what the step waits for (``message``: its agency's words)."""
    waiting_for = state.steps[step].awaiting or ""
    state.note(ctx.now, "waiting", step, waiting_for)
    symbol = waiting_for.upper() if waiting_for.upper() in WAITING_SYMBOLS else "OTHER"
    return [
        status(
            "StepWaiting",
            state,
            ctx,
            cause,
            step,
            waiting_for,
            step=step,
            waiting_for=symbol,
            message=message or _waiting_text(state, step, waiting_for),
        )
    ]


def _at_agency(
    state: DossierState | None, event: AboutStep
) -> tuple[DossierState, str, StepState | None]:
    """The dossier, the event's cause, and the step the agency answers about while the step is
    with it (None: an event seen before, a closed dossier, a step not handed off)."""
    state, cause, fresh = open_event(state, event)
    step_state = state.steps.get(event["step"])
    if not fresh or step_state is None or state.phase != "open":
        return state, cause, None
    return state, cause, step_state if step_state.phase == "handed_off" else None


def on_step_deferred(
    state: DossierState | None, event: records.StepDeferred, ctx: Context
) -> Result:
    """An agency cannot decide yet (an outside system did not answer) and retries by itself:
    the step stays with it, shown waiting, and is not sent again meanwhile."""
    state, cause, step_state = _at_agency(state, event)
    if step_state is None:
        return state, []
    step = event["step"]
    step_state.awaiting = str(event["waiting_for"])
    step_state.reviewed = step_state.reviewed or step_state.awaiting == REVIEW
    return state, announce_wait(state, step, ctx, cause, event["message"])


def _waiting_text(state: DossierState, step: str, waiting_for: str) -> str:
    """What the citizen reads while a step waits: the words the step declares for it; for a
    correction, the group's first step named."""
    group = group_of(state)
    declared = group.steps[step].waiting.get(waiting_for)
    if declared is not None:
        return declared.en
    first = group.steps[group.first]
    procedure = first.label_en[:1].lower() + first.label_en[1:]
    return CORRECTION_TEXT.format(agency=first.agency, procedure=procedure)


def on_subject_issued(
    step: str,
) -> Callable[[DossierState | None, records.Event, Context], Result]:
    """A handler for the later result of ``step`` (done while its subject was pending): the
    whole subject is kept, and the steps that waited for it are handed off."""

    def handle(state: DossierState | None, event: records.Event, ctx: Context) -> Result:
        state, cause, fresh = open_event(state, event)
        spec = group_of(state).steps.get(step)
        waiting = state.steps.get(step)
        if not fresh or spec is None or waiting is None or state.phase != "open":
            return state, []
        if spec.pending is None or waiting.awaiting != spec.pending[1]:
            return state, []
        result: Mapping[str, object] = event  # the group's result, read by its declared field
        subject = result[group_of(state).subject]
        if not isinstance(subject, dict):
            raise NotExpected(f"{step}: the result carries no {group_of(state).subject}")
        state.subject = subject_to_json(subject)
        waiting.awaiting = None
        state.note(ctx.now, f"{spec.pending[1]}_issued", step)
        return state, hand_off(state, ctx, cause, ready_steps(state))

    return handle


def on_supplement_requested(
    state: DossierState | None, event: records.SupplementRequested, ctx: Context
) -> Result:
    state, cause, step_state = _at_agency(state, event)
    if step_state is None:
        return state, []
    step = event["step"]
    step_state.phase = "supplement"
    step_state.supplement_missing = list(event["missing"])
    step_state.supplement_message = event["message"]
    step_state.supplement_requested_at = ctx.now
    step_state.respond_by = ctx.calendar.due_at(ctx.now, ctx.supplement_days)
    state.note(ctx.now, "supplement_requested", step, event["message"])
    return state, [
        status(
            "SupplementAwaited",
            state,
            ctx,
            cause,
            step,
            step=step,
            agency=agency(state, step),
            missing=step_state.supplement_missing,
            message=event["message"],
            respond_by=step_state.respond_by,
        )
    ]


def _moved(ctx: Context, due: dt.datetime | None, paused_from: dt.datetime) -> dt.datetime | None:
    """A due date pushed back by the working days the clock was paused."""
    if due is None:
        return None
    cal = ctx.calendar
    paused = cal.working_days_between(cal.local_date(paused_from), cal.local_date(ctx.now))
    return cal.closing(cal.add_working_days(cal.local_date(due), max(paused, 0)))


def on_supplemented(
    state: DossierState | None, event: records.DossierSupplemented, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    step = event["step"]
    step_state = state.steps.get(step)
    if not fresh:
        return state, []
    if step_state is None or step_state.phase != "supplement" or state.phase != "open":
        raise NotExpected(f"dossier {clip(state.dossier_id)}: no supplement was asked for {step}")
    asked_at = step_state.supplement_requested_at or ctx.now
    if ctx.supplement_clock == "pause":
        state.due_at = _moved(ctx, state.due_at, asked_at)
        step_state.due_at = _moved(ctx, step_state.due_at, asked_at)
        message = "Supplement received; the deadline resumes, moved by the days it waited."
    else:
        state.due_at = legal_due(state, ctx, ctx.now)
        step_state.due_at = legal_due(state, ctx, ctx.now, step)
        message = "Supplement received; the dossier is complete and the deadline counts again."
    step_state.extended_due_at = None
    assert state.due_at is not None
    supplement: records.SupplementSupplied = {
        "documents": list(event["documents"]),
        "note": event["note"],
        "supplied_at": ctx.now,
    }
    outputs = [
        status(
            "DueDateChanged",
            state,
            ctx,
            cause,
            step,
            step=step,
            due_at=state.due_at,
            message=message,
        )
    ]
    return state, outputs + hand_off(state, ctx, cause, [step], supplement=supplement)


def on_withdrawn(
    state: DossierState | None, event: records.DossierWithdrawn, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    if not fresh:
        return state, []
    if state.phase != "open":
        return state, [_withdrawal(state, ctx, cause, "The dossier is already closed.")]
    # a step back at its agency for a correction has finished once: its result stands
    finished = [
        s
        for s, st in state.steps.items()
        if st.phase != "not_applicable"
        and (st.phase in ("completed", "rejected") or st.finished_at is not None)
    ]
    if finished:
        label = agency(state, finished[0])
        reason = (
            f"The dossier can no longer be withdrawn: {label} has already decided its step."
            " Withdrawal is possible only before the first step finishes."
        )
        return state, [_withdrawal(state, ctx, cause, reason)]
    outputs: list[Envelope] = [_withdrawal(state, ctx, cause, "")]
    for step, step_state in state.steps.items():
        if step_state.phase in ("handed_off", "supplement"):
            meta = metadata("HandoffCancelled", state.dossier_id, "hub", ctx.now, cause, step)
            cancelled: records.HandoffCancelled = {
                "meta": meta,
                "step": step,
                "reason": "The citizen withdrew the dossier.",
                "register_key": register_key(state, step),
            }
            outputs.append(Envelope(topics.handoff(step), "HandoffCancelled", cancelled))
        if step_state.phase == "not_applicable":  # nothing to withdraw: it never applied
            continue
        step_state.phase = "withdrawn"
        step_state.reason = "Withdrawn by the citizen."
    return state, outputs + close(state, ctx, cause, "WITHDRAWN")


def register_key(state: DossierState, step: str) -> str | None:
    """The key the step's agency keeps the dossier's entry under, as the step declares it
    (from the step's handoff); None: the dossier id."""
    key_of = group_of(state).steps[step].register_key
    return key_of(part_for(state, step)) if key_of is not None else None


def _withdrawal(state: DossierState, ctx: Context, cause: str, refusal: str) -> Envelope:
    state.note(ctx.now, "withdrawal_refused" if refusal else "withdrawn", detail=refusal)
    return status("WithdrawalAnswered", state, ctx, cause, accepted=not refusal, reason=refusal)


def on_deadline_extended(
    state: DossierState | None, event: records.DeadlineExtended, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    step_state = state.steps.get(event["step"])
    if not fresh or step_state is None or step_state.phase not in ("handed_off", "supplement"):
        return state, []
    step_state.extended_due_at = event["new_due_at"]
    state.note(ctx.now, "extended", event["step"], event["apology"])
    return state, [
        status(
            "DueDateChanged",
            state,
            ctx,
            cause,
            event["step"],
            step=event["step"],
            due_at=event["new_due_at"],
            message=event["apology"],
        )
    ]


def on_correction_requested(
    state: DossierState | None, event: records.CorrectionRequested, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    asking, target = event["step"], event["target_step"]
    if not fresh or state.phase != "open" or asking not in state.steps:
        return state, []
    if target not in state.steps or state.steps[target].phase != "completed":
        raise NotExpected(f"dossier {clip(state.dossier_id)}: {target} has no result to correct")
    state.steps[asking].awaiting = "correction"
    # The correction is new work with its own same-day target, not the original date missed.
    state.steps[target].due_at = legal_due(state, ctx, ctx.now, target)
    state.steps[target].extended_due_at = None
    outputs = announce_wait(state, asking, ctx, cause)
    return state, outputs + hand_off(state, ctx, cause, [target], correction=event["reason"])


def needs_check(
    state: DossierState, now: dt.datetime, resend_after: dt.timedelta | None = None
) -> bool:
    """Whether the legal clock has something to say about this dossier at ``now``."""
    if state.phase != "open":
        return False
    if resend_after is not None and unanswered(state, now, resend_after):
        return True
    for step_state in state.steps.values():
        if (
            step_state.phase == "supplement"
            and step_state.respond_by
            and now > step_state.respond_by
        ):
            return True
        due = step_state.effective_due
        late = step_state.phase == "handed_off" and due is not None and now > due
        if late and step_state.overdue_notified_for != due:
            return True
    return False


def on_deadline_check(
    state: DossierState | None, event: records.DeadlineCheck, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    if not fresh or state.phase != "open":
        return state, []
    outputs: list[Envelope] = [
        resend(state, step, ctx) for step in unanswered(state, ctx.now, ctx.resend_after)
    ]
    for step, step_state in list(state.steps.items()):
        if state.phase != "open":
            break
        if (
            step_state.phase == "supplement"
            and step_state.respond_by
            and (ctx.now > step_state.respond_by)
        ):
            reason = (
                f"No supplement arrived within {ctx.supplement_days} working days "
                f"({', '.join(step_state.supplement_missing)}); the dossier is rejected."
            )
            outputs += refuse_step(state, step, ctx, cause, ctx.now, "supplement_expired", reason)
            continue
        due = step_state.effective_due
        if (
            step_state.phase == "handed_off"
            and due
            and ctx.now > due
            and (step_state.overdue_notified_for != due)
        ):
            step_state.overdue_notified_for = due
            label = agency(state, step)
            message = (
                f"{label} missed its date; it must apologise and set a new date. You will be told."
            )
            state.note(ctx.now, "overdue", step, label)
            outputs.append(
                status(
                    "DossierOverdue",
                    state,
                    ctx,
                    cause,
                    step,
                    due,
                    step=step,
                    agency=label,
                    due_at=due,
                    message=message,
                )
            )
    return state, outputs
