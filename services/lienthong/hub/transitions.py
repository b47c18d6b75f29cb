"""The hub's decisions as pure functions ``(state, event) -> (state, events)``, by table."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lienthong import topics
from lienthong.calendar import WorkingCalendar
from lienthong.contracts.events import Envelope, metadata
from lienthong.errors import LienthongError, Reason
from lienthong.hub.projections import (
    HANDOFF_SCHEMAS,
    PENDING_PARTS,
    child_identity_to_json,
    civil_registry_part,
    handoff_record,
)
from lienthong.hub.state import DossierState, StepState
from lienthong.hub.validation import check_submission
from lienthong.procedures import GROUPS, ProcedureGroup

Record = dict[str, Any]
Result = tuple[DossierState | None, list[Envelope]]


@dataclass(frozen=True)
class Context:
    """What a decision may know besides the state and the event: time, calendar, secrets."""

    now: dt.datetime
    calendar: WorkingCalendar
    lookup_secret: bytes
    public_base_url: str


class UnknownDossier(LienthongError):
    """A completion names a dossier the hub has never received."""


class DossierIdConflict(LienthongError):
    """Two different submissions claim the same dossier id."""


def lookup_code(secret: bytes, dossier_id: str) -> str:
    """An unguessable 8-character code printed on the receipt (and in its QR code)."""
    digest = hmac.new(secret, dossier_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest)[:8].decode()


def receipt_number(dossier_id: str) -> str:
    return f"TN-{dossier_id}"


def dossier_id_of_receipt(receipt: str) -> str:
    return receipt.removeprefix("TN-")


def _status(
    schema: str, state: DossierState, ctx: Context, cause: str, *extra: object, **fields: Any
) -> Envelope:
    meta = metadata(schema, state.dossier_id, "hub", ctx.now, cause, *extra)
    return Envelope(topics.STATUS, schema, {"meta": meta, **fields})


def _group(state: DossierState) -> ProcedureGroup:
    return GROUPS[state.group]


def on_submitted(state: DossierState | None, event: Record, ctx: Context) -> Result:
    meta = event["meta"]
    cause = str(meta["event_id"])
    if state is not None:
        if state.has_seen(cause):
            return state, []
        raise DossierIdConflict(
            f"dossier id {meta['dossier_id']} is already used by another submission"
        )
    state = DossierState(dossier_id=meta["dossier_id"], channel=event["channel"])
    state.remember(cause)
    reasons = check_submission(event, ctx.now)
    if reasons:
        return _reject(state, reasons, ctx, cause)
    group = GROUPS[event["group"]]
    verification = bool(event.get("verification_needed"))
    state.group = group.name
    state.procedures = group.order(event["procedures"])
    state.combination = group.combination_label(state.procedures)
    state.submitted_at = event["submitted_at"]
    state.verification_needed = verification
    state.received_on = ctx.calendar.received_on(event["submitted_at"])
    days = group.deadline_days_verification if verification else group.deadline_days
    state.due_at = ctx.calendar.due_at(event["submitted_at"], days)
    state.receipt_number = receipt_number(state.dossier_id)
    state.lookup_code = lookup_code(ctx.lookup_secret, state.dossier_id)
    for step in state.procedures:
        spec = group.steps[step]
        target = spec.target_days_verification if verification else spec.target_days
        state.steps[step] = StepState(due_at=ctx.calendar.due_at(event["submitted_at"], target))
        if step in PENDING_PARTS:
            state.pending[step] = PENDING_PARTS[step](event)
    state.note(ctx.now, "received", detail=state.receipt_number)
    received = _status(
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
    )
    outputs = [
        received,
        *_hand_off(state, ctx, cause, {"civil_registry": civil_registry_part(event)}),
    ]
    return state, outputs


def _reject(state: DossierState, reasons: list[Reason], ctx: Context, cause: str) -> Result:
    state.phase = "rejected"
    state.outcome = "REJECTED"
    state.finished_at = ctx.now
    state.rejection = [{"field": r.field, "code": r.code, "message": r.message} for r in reasons]
    state.note(ctx.now, "rejected", detail="; ".join(r.message for r in reasons))
    event = _status("DossierRejected", state, ctx, cause, reasons=state.rejection)
    return state, [event]


def _hand_off(
    state: DossierState, ctx: Context, cause: str, parts: dict[str, Record] | None = None
) -> list[Envelope]:
    group = _group(state)
    outputs: list[Envelope] = []
    for step in group.ready(state.procedures, state.done(), state.started()):
        part = (parts or {}).get(step) or state.pending.pop(step)
        step_state = state.steps[step]
        assert step_state.due_at is not None and state.received_on is not None
        record = handoff_record(
            step,
            state.dossier_id,
            part,
            child=state.child,
            dossier_date=state.received_on,
            due_at=step_state.due_at,
            at=ctx.now,
            cause=cause,
        )
        step_state.phase = "handed_off"
        step_state.handed_off_at = ctx.now
        state.note(ctx.now, "handed_off", step)
        outputs.append(Envelope(topics.handoff(step), HANDOFF_SCHEMAS[step], record))
        outputs.append(
            _status(
                "StepHandedOff",
                state,
                ctx,
                cause,
                step,
                step=step,
                agency=group.steps[step].agency,
                due_at=step_state.due_at,
            )
        )
    return outputs


def _completion(
    step: str, result_ref: Callable[[Record], str]
) -> Callable[[DossierState | None, Record, Context], Result]:
    """A handler for an agency's 'completed' event of ``step``."""

    def handle(state: DossierState | None, event: Record, ctx: Context) -> Result:
        state, cause, fresh = _open(state, event)
        if not fresh or step not in state.steps or state.phase != "open":
            return state, []
        if step == "civil_registry":
            state.child = child_identity_to_json(event["child"])
        ref = result_ref(event)
        outputs = _finish_step(state, step, "completed", ctx, cause, event, result_ref=ref)
        outputs += _hand_off(state, ctx, cause)
        outputs += _maybe_finish(state, ctx, cause)
        return state, outputs

    return handle


def on_step_rejected(state: DossierState | None, event: Record, ctx: Context) -> Result:
    state, cause, fresh = _open(state, event)
    step = event["step"]
    if not fresh or step not in state.steps or state.phase != "open":
        return state, []
    outputs = _finish_step(
        state,
        step,
        "rejected",
        ctx,
        cause,
        event,
        reason=event["reason"],
        reason_code=event["reason_code"],
    )
    group = _group(state)
    for blocked in group.blocked_by(state.procedures, step):
        label = group.steps[step].agency
        state.steps[blocked].phase = "not_started"
        state.steps[blocked].reason = f"Not started: the earlier step ({label}) was refused."
        state.pending.pop(blocked, None)
    outputs += _maybe_finish(state, ctx, cause)
    return state, outputs


def _open(state: DossierState | None, event: Record) -> tuple[DossierState, str, bool]:
    """The dossier an agency's event is about, its cause id, and whether it is new to us."""
    meta = event["meta"]
    cause = str(meta["event_id"])
    if state is None:
        raise UnknownDossier(f"no dossier {meta['dossier_id']} was ever received by the hub")
    if state.has_seen(cause):
        return state, cause, False
    state.remember(cause)
    return state, cause, True


def _finish_step(
    state: DossierState,
    step: str,
    phase: str,
    ctx: Context,
    cause: str,
    event: Record,
    *,
    result_ref: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
) -> list[Envelope]:
    step_state = state.steps[step]
    finished_at: dt.datetime = event["meta"]["occurred_at"]
    step_state.phase = phase  # type: ignore[assignment]
    step_state.finished_at = finished_at
    step_state.result_ref = result_ref
    step_state.reason = reason
    step_state.reason_code = reason_code
    step_state.on_time = step_state.due_at is None or finished_at <= step_state.due_at
    state.note(ctx.now, phase, step, result_ref or reason or "")
    return [
        _status(
            "StepFinished",
            state,
            ctx,
            cause,
            step,
            step=step,
            outcome=phase.upper(),
            result_ref=result_ref,
            reason=reason,
            on_time=step_state.on_time,
        )
    ]


def _maybe_finish(state: DossierState, ctx: Context, cause: str) -> list[Envelope]:
    if not state.all_finished():
        return []
    outcomes = {s: st.phase for s, st in state.steps.items()}
    if all(p == "completed" for p in outcomes.values()):
        outcome = "COMPLETED"
    elif outcomes.get("civil_registry") == "completed":
        outcome = "PARTLY_COMPLETED"
    else:
        outcome = "REJECTED"
    state.phase = "finished"
    state.outcome = outcome
    state.finished_at = ctx.now
    state.on_time = state.due_at is None or ctx.now <= state.due_at
    state.note(ctx.now, "finished", detail=outcome)
    procedures = [
        {
            "step": s,
            "outcome": st.phase.upper(),
            "result_ref": st.result_ref,
            "reason": st.reason,
        }
        for s, st in state.steps.items()
    ]
    return [
        _status(
            "DossierFinished",
            state,
            ctx,
            cause,
            outcome=outcome,
            procedures=procedures,
            on_time=state.on_time,
            due_at=state.due_at,
        )
    ]


HANDLERS: dict[str, Callable[[DossierState | None, Record, Context], Result]] = {
    "DossierSubmitted": on_submitted,
    "BirthRegistered": _completion("civil_registry", lambda e: e["registration_number"]),
    "ResidenceRegistered": _completion("residence", lambda e: e["confirmation_ref"]),
    "CardIssued": _completion("health_insurance", lambda e: e["card_code"]),
    "StepRejected": on_step_rejected,
}


def decide(state: DossierState | None, event_name: str, event: Record, ctx: Context) -> Result:
    """Apply one event to a dossier's state; unknown event types are the caller's dead letters."""
    handler = HANDLERS.get(event_name)
    if handler is None:
        raise LienthongError(f"the hub has no handler for {event_name}")
    return handler(state, event, ctx)
