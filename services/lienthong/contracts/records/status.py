"""Record types of the ``status`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict

from lienthong.contracts.records.common import EventMetadata, Reason


class DossierAwaitingFamily(TypedDict):
    """The hub opened a dossier from a health facility's notice (the mother agreed): it waits
    for the family's part (the child's name, the combination, what the facility does not
    know) until complete_by; the legal clock starts when it is complete.
    """

    meta: EventMetadata
    receipt_number: str
    group: str
    complete_by: dt.datetime
    completion_url: str


class DossierEvents(TypedDict):
    """Several status events about one dossier, announced together by the hub (a dossier
    received and its steps handed off; a step finished, the next handed off, the dossier
    finished; the events of every input about the dossier that the hub handled in one
    batch), in the order they happened. One message instead of several: each item is one
    whole status event in single-object encoding, exactly as it would be on its own, so a
    reader decodes each item as it decodes a message. Sent only when the hub announces two
    or more events about a dossier at once; a single event is sent on its own.
    """

    dossier_id: str
    events: list[bytes]


class ProcedureOutcome(TypedDict):
    """The outcome of one procedure."""

    step: str
    outcome: str
    result_ref: NotRequired[str | None]
    reason: NotRequired[str | None]


class DossierFinished(TypedDict):
    """Every chosen step has finished; the outcome is given per procedure (partial success is
    explicit).
    """

    meta: EventMetadata
    outcome: str
    procedures: list[ProcedureOutcome]
    on_time: bool
    due_at: dt.datetime


class DossierOverdue(TypedDict):
    """A step missed its legal date (quá hạn): names the step and the agency at fault. Sent
    once per missed date.
    """

    meta: EventMetadata
    step: str
    agency: str
    due_at: dt.datetime
    message: str


class DossierReceived(TypedDict):
    """The hub accepted the dossier as complete: receipt (giấy tiếp nhận), due date (ngày hẹn
    trả) and lookup code.
    """

    meta: EventMetadata
    receipt_number: str
    lookup_code: str
    received_on: dt.date
    due_at: dt.datetime
    procedures: list[str]
    status_url: str
    group: NotRequired[str]
    registering_commune: NotRequired[str]
    statutory_days: NotRequired[int | None]
    deadline_days: NotRequired[int | None]
    deadline_decision: NotRequired[str | None]
    path: NotRequired[str]
    version: NotRequired[str]
    happened_at: NotRequired[dt.datetime | None]


class DossierRejected(TypedDict):
    """The hub refused the dossier at intake (từ chối tiếp nhận): one reason per broken rule."""

    meta: EventMetadata
    reasons: list[Reason]


class DueDateChanged(TypedDict):
    """The due date moved: a late agency set a new date with an apology, or a supplement
    restarted the clock.
    """

    meta: EventMetadata
    step: NotRequired[str | None]
    due_at: dt.datetime
    message: str


class SatisfactionRecorded(TypedDict):
    """The hub recorded a citizen's one answer on a finished dossier: satisfied or not, with an
    optional reason. Carries no personal data.
    """

    meta: EventMetadata
    satisfied: bool
    reason: NotRequired[str | None]
    group: str
    registering_commune: str
    on_time: NotRequired[bool | None]


class StepFinished(TypedDict):
    """An agency finished its step, done or refused."""

    meta: EventMetadata
    step: str
    outcome: str
    result_ref: NotRequired[str | None]
    reason: NotRequired[str | None]
    on_time: NotRequired[bool]


class StepHandedOff(TypedDict):
    """The hub handed a step to its agency (chuyển hồ sơ)."""

    meta: EventMetadata
    step: str
    agency: str
    due_at: dt.datetime


class StepWaiting(TypedDict):
    """A step waits on something outside the citizen's hands (the personal ID number, a
    correction by an earlier agency, an outside system's answer); shown so nobody wonders.
    """

    meta: EventMetadata
    step: str
    waiting_for: str
    message: str


class SupplementAwaited(TypedDict):
    """An agency asked for more documents; the applicant must act by respond_by or the dossier
    is rejected (yêu cầu bổ sung).
    """

    meta: EventMetadata
    step: str
    agency: str
    missing: list[str]
    message: str
    respond_by: dt.datetime


class WithdrawalAnswered(TypedDict):
    """The hub's answer to a withdrawal: accepted (the dossier ends as withdrawn) or refused
    with a reason.
    """

    meta: EventMetadata
    accepted: bool
    reason: NotRequired[str]
