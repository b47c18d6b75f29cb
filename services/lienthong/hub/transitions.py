"""The hub's decisions as pure functions ``(state, event) -> (state, events)``, by table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from lienthong.contracts import records
from lienthong.contracts.events import Envelope
from lienthong.domain.declaration import ProcedureGroup, Submission
from lienthong.errors import LienthongError, ValidationFailed
from lienthong.groups.registry import GROUPS
from lienthong.hub import detours, notices, satisfaction
from lienthong.hub.screening import screen_event
from lienthong.hub.state import DossierState, StepState
from lienthong.hub.steps import (
    Context,
    DossierIdConflict,
    NotExpected,
    Result,
    UnknownDossier,
    dossier_id_of_receipt,
    finish_step,
    group_of,
    hand_off,
    keep_submission,
    legal_deadline,
    legal_due,
    lookup_code,
    maybe_finish,
    open_event,
    ready_steps,
    receipt_number,
    refuse_step,
    reject,
    status,
)
from lienthong.limits import clip

__all__ = [
    "HANDLERS",
    "Context",
    "DossierIdConflict",
    "NotExpected",
    "UnknownDossier",
    "decide",
    "dossier_id_of_receipt",
    "lookup_code",
    "receipt_number",
]
#: An event as the hub reads it before it is dispatched: decoded (by the schema it names) and
#: screened, its fields read by name.
Incoming = Mapping[str, object]
#: The hub's handling of one event type (its record type ``T``).
T = TypeVar("T")
Handling = Callable[[DossierState | None, T, Context], Result]
Handler = Handling[Incoming]


def reads(handling: Handling[T]) -> Handler:
    """The handler of an event type whose record type is ``T`` (as ``handling`` declares)."""

    def handle(state: DossierState | None, event: Incoming, ctx: Context) -> Result:
        # The dispatch point: the codec decoded ``event`` with the schema this handler is
        # registered under (``handler_for``), whose record type ``handling`` reads.
        return handling(state, cast(T, event), ctx)

    return handle


def _submitted(schema: str) -> Handling[Submission]:
    """A handler for the groups submitted as ``schema``: the ``group`` field picks one among
    them (or the first, whose intake rules then refuse the unknown group)."""

    def handle(state: DossierState | None, event: Submission, ctx: Context) -> Result:
        groups = [g for g in GROUPS.values() if g.submission == schema]
        group = next((g for g in groups if g.name == event.get("group")), groups[0])
        if state is not None and state.phase == "awaiting_family":
            return notices.complete(group, state, event, ctx, _open)
        if state is not None and state.path == "facility":
            return notices.filed_again(group, state, event, ctx)
        return _receive(group, state, event, ctx)

    return handle


def _receive(
    group: ProcedureGroup[Any], state: DossierState | None, event: Submission, ctx: Context
) -> Result:
    meta = event["meta"]
    cause = str(meta["event_id"])
    if state is not None:
        if state.has_seen(cause):
            return state, []
        raise DossierIdConflict(
            f"dossier id {clip(meta['dossier_id'])} is already used by another submission"
        )
    state = DossierState(dossier_id=meta["dossier_id"], channel=event["channel"], group=group.name)
    state.remember(cause)
    return _open(group, state, event, ctx, cause)


def _open(
    group: ProcedureGroup[Any], state: DossierState, event: Submission, ctx: Context, cause: str
) -> Result:
    """The dossier a valid submission opens (its legal clock starts now), else its refusal."""
    # The group's version in force on the day the dossier counts as received routes it for
    # its whole life (the state keeps the version's name).
    received_on = ctx.calendar.received_on(ctx.now)
    group = group.on(received_on)
    state.version = group.version
    try:  # the submission as the hub keeps it: its text in NFC
        event = group.admit(event, ctx.now)
    except ValidationFailed as refused:
        return reject(state, refused.reasons, ctx, cause)
    verification = bool(event.get("verification_needed"))
    state.procedures = group.order(event["procedures"])
    state.combination = group.combination_label(state.procedures)
    # The legal clock starts when the hub receives the dossier (its own clock); the time the
    # integrator claims is kept for the record only.
    state.submitted_at = event["submitted_at"]
    state.received_at = ctx.now
    state.verification_needed = verification
    state.submission = keep_submission(event, group.submission)
    state.received_on = received_on
    state.registering_commune = event.get("registering_commune", "")
    if group.notice is not None and state.happened_at is None:
        state.happened_at = group.notice.filing_happened_at(event)
    deadline = legal_deadline(state, ctx)
    state.statutory_days, state.deadline_days = deadline.statutory_days, deadline.days
    state.deadline_decision = deadline.decision
    state.due_at = legal_due(state, ctx, ctx.now)
    state.receipt_number = receipt_number(state.dossier_id)
    state.lookup_code = lookup_code(ctx.lookup_secret, state.dossier_id)
    for step in state.procedures:
        state.steps[step] = StepState(due_at=legal_due(state, ctx, ctx.now, step))
    state.note(ctx.now, "received", detail=state.receipt_number)
    not_applicable = _not_applicable(group, state, event, ctx, cause)
    received = status(
        "DossierReceived",
        state,
        ctx,
        cause,
        receipt_number=state.receipt_number,
        lookup_code=state.lookup_code,
        received_on=state.received_on,
        due_at=state.due_at,
        procedures=state.procedures,
        status_url=f"{ctx.public_base_url}/status/{state.receipt_number}?code={state.lookup_code}",
        group=state.group,
        registering_commune=state.registering_commune,
        statutory_days=deadline.statutory_days,
        deadline_days=deadline.days,
        deadline_decision=deadline.decision,
        path=state.path,
        happened_at=state.happened_at,
        version=state.version,
    )
    handed = hand_off(state, ctx, cause, ready_steps(state))
    return state, [received, *not_applicable, *handed, *maybe_finish(state, ctx, cause)]


def _not_applicable(
    group: ProcedureGroup[Any],
    state: DossierState,
    submission: Submission,
    ctx: Context,
    cause: str,
) -> list[Envelope]:
    """Chosen steps that cannot apply to this submission, as their declaration says: finished
    at intake as not applicable, with the reason, instead of handed off to be refused."""
    outputs: list[Envelope] = []
    for step in state.procedures:
        applies = group.steps[step].applies
        reason = applies(submission) if applies is not None else None
        if reason is not None:
            outputs += finish_step(
                state,
                step,
                "not_applicable",
                ctx,
                cause,
                ctx.now,
                reason=reason,
                reason_code="not_applicable",
            )
    return outputs


def _completion(step: str) -> Handling[records.Event]:
    """A handler for the event by which an agency reports ``step`` completed; the group's first
    step passes the dossier's subject on to the others and takes back corrections."""

    def handle(state: DossierState | None, event: records.Event, ctx: Context) -> Result:
        state, cause, fresh = open_event(state, event)
        if not fresh or step not in state.steps or state.phase != "open":
            return state, []
        step_state = state.steps[step]
        step_state.awaiting = None  # its agency answered: nothing it waited for is left
        outputs: list[Envelope] = []
        first = group_of(state).first == step
        if first:
            outputs += detours.take_subject(state, step, event, ctx, cause)
        result: Mapping[str, object] = event  # the group's result, read by its declared field
        ref = str(result[group_of(state).steps[step].result_ref])
        outputs += finish_step(
            state, step, "completed", ctx, cause, event["meta"]["occurred_at"], result_ref=ref
        )
        if step_state.awaiting:
            outputs += detours.announce_wait(state, step, ctx, cause)
        corrected = [s for s, st in state.steps.items() if st.awaiting == "correction"]
        if first and not step_state.awaiting:
            outputs += hand_off(state, ctx, cause, corrected)
        outputs += hand_off(state, ctx, cause, ready_steps(state))
        outputs += maybe_finish(state, ctx, cause)
        return state, outputs

    return handle


def on_step_rejected(
    state: DossierState | None, event: records.StepRejected, ctx: Context
) -> Result:
    state, cause, fresh = open_event(state, event)
    step = event["step"]
    if not fresh or step not in state.steps or state.phase != "open":
        return state, []
    at = event["meta"]["occurred_at"]
    if state.steps[step].phase == "handed_off":  # a deferred step: its wait is over
        state.steps[step].awaiting = None
    state.steps[step].duplicate_of = event.get("duplicate_of")  # for the operators' board only
    return state, refuse_step(state, step, ctx, cause, at, event["reason_code"], event["reason"])


def on_deadline_check(
    state: DossierState | None, event: records.DeadlineCheck, ctx: Context
) -> Result:
    """The legal clock's tick: a dossier waiting for the family has its own clock."""
    if state is not None and state.phase == "awaiting_family":
        cause = str(event["meta"]["event_id"])
        if state.has_seen(cause):
            return state, []
        state.remember(cause)
        return notices.on_tick(state, ctx, cause)
    return detours.on_deadline_check(state, event, ctx)


HANDLERS: dict[str, Handler] = {
    "StepRejected": reads(on_step_rejected),
    "StepDeferred": reads(detours.on_step_deferred),
    "SupplementRequested": reads(detours.on_supplement_requested),
    "DossierSupplemented": reads(detours.on_supplemented),
    "DossierWithdrawn": reads(detours.on_withdrawn),
    "DeadlineExtended": reads(detours.on_deadline_extended),
    "CorrectionRequested": reads(detours.on_correction_requested),
    "DeadlineCheck": reads(on_deadline_check),
    "SatisfactionGiven": reads(satisfaction.on_satisfaction_given),
}


def handler_for(event_name: str) -> Handler | None:
    """The handler of an event type: the groups' submissions and step results as declared
    now (read at each call, so a newly declared group needs no change here), else the table."""
    for group in GROUPS.values():
        if group.submission == event_name:
            return reads(_submitted(event_name))
        if group.notice is not None and group.notice.event == event_name:
            return reads(notices.on_notice(group, group.notice))
        for step, spec in group.steps.items():
            if spec.results and spec.results[0] == event_name:
                return reads(_completion(step))
            if event_name in spec.results[1:]:
                return reads(detours.on_subject_issued(step))
    return HANDLERS.get(event_name)


def decide(state: DossierState | None, event_name: str, event: Incoming, ctx: Context) -> Result:
    """Apply one event to a dossier's state; unknown event types are the caller's dead letters,
    and so are events whose text breaks the limits (``ValidationFailed``)."""
    handler = handler_for(event_name)
    if handler is None:
        raise LienthongError(f"the hub has no handler for {clip(event_name)}")
    return handler(state, screen_event(event_name, event), ctx)
