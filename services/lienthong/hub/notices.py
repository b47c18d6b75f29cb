"""Dossiers opened from a health facility's notice, as a group declares it (its ``notice``).

With the family's consent the notice opens a dossier that waits for the family's part; the
family's own filing for the same certificate (the completion link's form, or the portal's usual
intake) completes it, and the legal clock starts then. Without consent nothing is opened. If
nobody completes it by ``complete_by`` it closes, visibly. The hub never names a notice event:
it reads every group's declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lienthong.contracts.events import Envelope
from lienthong.domain.declaration import ProcedureGroup, Submission
from lienthong.domain.notice import NoticeSpec
from lienthong.domain.population import PopulationUnavailable
from lienthong.errors import LienthongError, Reason, ValidationFailed
from lienthong.groups.registry import GROUPS
from lienthong.hub.state import DossierState
from lienthong.hub.steps import (
    Context,
    DossierIdConflict,
    Result,
    keep_submission,
    lookup_code,
    receipt_number,
    reject,
    status,
    submission_of,
)

#: What the opened dossier waits for while the population database does not answer.
POPULATION = "population_database"
#: The reason a dossier nobody completed closes with.
NOT_COMPLETED = "notice_not_completed"
Opening = Callable[[ProcedureGroup[Any], DossierState, Submission, Context, str], Result]


class NotInForce(LienthongError):
    """A facility's notice before the law that lets it open a dossier is in force."""


def notice_of(event_name: str) -> tuple[ProcedureGroup[Any], NoticeSpec[Any]] | None:
    """The group that declares ``event_name`` as its facility's notice, and its declaration."""
    for group in GROUPS.values():
        if group.notice is not None and group.notice.event == event_name:
            return group, group.notice
    return None


def completion_url(state: DossierState, ctx: Context) -> str:
    """The signed link sent to the mother's phone (the status page's lookup code signs it)."""
    return f"{ctx.public_base_url}/complete/{state.receipt_number}?code={state.lookup_code}"


def _person(spec: NoticeSpec[Any], notice: Mapping[str, Any], ctx: Context) -> str | None:
    """None when the population database knows the person; POPULATION while it cannot answer;
    ``ValidationFailed`` (one dead letter) when it never issued the number."""
    if ctx.population is None:
        return None
    try:
        known = ctx.population.look_up(spec.person(notice), ctx.now)
    except PopulationUnavailable:
        return POPULATION
    if known:
        return None
    message = "The population database never issued this personal ID number."
    raise ValidationFailed([Reason(spec.person_field, "unknown_person", message)])


def on_notice(group: ProcedureGroup[Any], spec: NoticeSpec[Any]) -> Callable[..., Result]:
    """The hub's handling of ``group``'s notice: open a dossier waiting for the family."""

    def handle(state: DossierState | None, notice: Mapping[str, Any], ctx: Context) -> Result:
        cause = str(notice["meta"]["event_id"])
        if state is not None:  # the certificate's dossier exists: the notice adds nothing
            if not state.has_seen(cause):
                state.remember(cause)
                state.note(ctx.now, "notice_repeated")
            return state, []
        kept = spec.validate(notice, ctx.now)
        if ctx.calendar.local_date(ctx.now) < ctx.notice_in_force:
            raise NotInForce(f"a facility's notice opens a dossier from {ctx.notice_in_force}")
        if not spec.consent(kept):
            return None, []  # nothing is opened: the metrics count it
        return _open(group, spec, kept, ctx, cause)

    return handle


def _open(
    group: ProcedureGroup[Any],
    spec: NoticeSpec[Any],
    notice: Mapping[str, Any],
    ctx: Context,
    cause: str,
) -> Result:
    awaiting = _person(spec, notice, ctx)
    dossier_id = spec.dossier_id(notice)
    state = DossierState(
        dossier_id=dossier_id, group=group.name, phase="awaiting_family", path="facility"
    )
    state.remember(cause)
    state.channel = "FACILITY"
    state.notice = keep_submission(notice, spec.event)
    state.happened_at = spec.happened_at(notice)
    state.complete_by = ctx.now + ctx.notice_window
    state.registering_commune = spec.commune(notice)
    state.receipt_number = receipt_number(dossier_id)
    state.lookup_code = lookup_code(ctx.lookup_secret, dossier_id)
    state.awaiting = awaiting
    state.note(ctx.now, "awaiting_family", detail=awaiting or "")
    return state, [_awaiting(state, ctx, cause)]


def _awaiting(state: DossierState, ctx: Context, cause: str) -> Envelope:
    assert state.complete_by is not None
    told = {"receipt_number": state.receipt_number, "group": state.group}
    link = completion_url(state, ctx)
    return status(
        "DossierAwaitingFamily",
        state,
        ctx,
        cause,
        complete_by=state.complete_by,
        completion_url=link,
        **told,
    )


def notice_record(state: DossierState) -> Mapping[str, Any]:
    """The notice a waiting dossier keeps (its group's notice record)."""
    return submission_of(state.model_copy(update={"submission": state.notice}))


def complete(
    group: ProcedureGroup[Any],
    state: DossierState,
    event: Submission,
    ctx: Context,
    opening: Opening,
) -> Result:
    """The family's filing for a waiting dossier: the dossier as any filing opens it (its
    legal clock starts now); a filing the intake rules refuse leaves it waiting."""
    cause = str(event["meta"]["event_id"])
    if state.has_seen(cause):
        return state, []
    spec = group.notice
    if spec is None or spec.claims(event) != state.dossier_id:
        raise DossierIdConflict(
            f"dossier {state.dossier_id} waits for the filing of its own notice's certificate"
        )
    state.remember(cause)
    state.phase = "open"
    after, outputs = opening(group, state, event, ctx, cause)
    if after is not None and after.phase == "rejected":  # the family may file again
        after.phase, after.outcome, after.finished_at = "awaiting_family", None, None
        return after, outputs
    if after is not None:
        after.notice = ""
    return after, outputs


def filed_again(
    group: ProcedureGroup[Any], state: DossierState, event: Submission, ctx: Context
) -> Result:
    """The family files again for a child its notice's dossier already holds: the same dossier
    (noted on its timeline), never a second registration."""
    cause = str(event["meta"]["event_id"])
    spec = group.notice
    if state.has_seen(cause):
        return state, []
    if spec is None or spec.claims(event) != state.dossier_id:
        raise DossierIdConflict(f"dossier id {state.dossier_id} is already used by a notice")
    state.remember(cause)
    state.note(ctx.now, "filed_again", detail=state.receipt_number)
    return state, []


def on_tick(state: DossierState, ctx: Context, cause: str) -> Result:
    """The clock on a waiting dossier: ask the population database again, or close it."""
    group = GROUPS[state.group]
    spec = group.notice
    assert spec is not None
    if state.awaiting == POPULATION:
        try:
            state.awaiting = _person(spec, notice_record(state), ctx)
        except ValidationFailed as unknown:
            return _close(state, ctx, cause, unknown.reasons)
    if state.complete_by is not None and ctx.now >= state.complete_by:
        reason = Reason("family", NOT_COMPLETED, spec.expired.en)
        return _close(state, ctx, cause, [reason])
    return state, []


def _close(state: DossierState, ctx: Context, cause: str, reasons: list[Reason]) -> Result:
    state.notice = ""
    return reject(state, reasons, ctx, cause, "NOT_COMPLETED")
