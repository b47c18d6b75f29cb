"""Record types of the ``internal`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

from typing import NotRequired, TypedDict

from lienthong.contracts.records.common import EventMetadata


class CompletionAccepted(TypedDict):
    """The webhook bridge's completion API published an agency's answer (keyed by dossier id,
    on the bridge's own topic): the first answer to an idempotency key, repeated to every
    later request with that key.
    """

    meta: EventMetadata
    agency: str
    idempotency_key: str
    status: int
    answer: str


class DeadlineCheck(TypedDict):
    """The hub's timer asks the hub to look at one dossier's deadlines (keyed by dossier id, on
    the hub's own topic).
    """

    meta: EventMetadata


class DeskAction(TypedDict):
    """An agency official's command about a case waiting on the desk (claim, release, approve,
    refuse, ask for a supplement). The desk publishes it to the agency's handoff topic,
    keyed as the case's register entry; the agency decides it from its register through its
    checkpoint, so a retried command changes nothing twice.
    """

    meta: EventMetadata
    register_key: str
    step: str
    action: str
    official: str
    reason_code: NotRequired[str | None]
    reason: NotRequired[str | None]


class WaitingRetry(TypedDict):
    """An agency's timer asks for another attempt at a register entry that waits on an outside
    system (the population database).
    """

    meta: EventMetadata
    register_key: str


class WebhookAttempted(TypedDict):
    """The webhook bridge tried to deliver a handoff to its agency's endpoint (keyed by dossier
    id, on the bridge's own topic): the answer moves the delivery on through the bridge's
    checkpoint.
    """

    meta: EventMetadata
    webhook_id: str
    attempt: int
    delivered: bool
    status: NotRequired[int | None]
    answer: NotRequired[str]
    latency_ms: NotRequired[int]
