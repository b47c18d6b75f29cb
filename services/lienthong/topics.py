"""Topic names by role, and which deployable reads and writes which topic (the contract)."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.domain.declaration import ANSWERS
from lienthong.groups.registry import GROUPS, all_steps

#: The deployable that owns each declared step (Avro enum symbols use underscores, deployable
#: names hyphens); a deployable may own several steps, of several groups.
STEP_TOPIC_NAMES: dict[str, str] = {step: spec.deployable for step, spec in all_steps().items()}
#: The agency deployables, in declaration order, each with one handoff and one completion topic.
AGENCIES: tuple[str, ...] = tuple(dict.fromkeys(STEP_TOPIC_NAMES.values()))
DEPLOYABLES: tuple[str, ...] = ("hub", *AGENCIES)
#: The steps each agency deployable owns.
STEPS_OF: dict[str, tuple[str, ...]] = {
    agency: tuple(s for s, owner in STEP_TOPIC_NAMES.items() if owner == agency)
    for agency in AGENCIES
}


def deployable_of(step: str) -> str:
    """The deployable that owns ``step`` (as declared now: a group declared later is found)."""
    return STEP_TOPIC_NAMES.get(step) or all_steps()[step].deployable


def handoff(step: str) -> str:
    """Role name of the handoff topic of a step's deployable, e.g. ``handoff.civil-registry``."""
    return f"handoff.{deployable_of(step)}"


def completion(step: str) -> str:
    """Role name of the completion topic of a step's deployable."""
    return f"completion.{deployable_of(step)}"


#: One step per deployable: the topic roles of each deployable, named through that step.
_ONE_STEP_EACH: tuple[str, ...] = tuple(steps[0] for steps in STEPS_OF.values())
#: Every agency's handoff topic role (what the hub writes).
HANDOFFS: tuple[str, ...] = tuple(handoff(s) for s in _ONE_STEP_EACH)


INTAKE = "intake"
STATUS = "status"
DEADLETTER = "deadletter"
#: Who viewed which dossier (status page, API, receipt): the hub's audit trail.
AUDIT = "audit"
#: The agencies' cases on the officials' desk, newest version each (the desk's store reads it).
DESK = "desk"
#: An official's command about a case on the desk, sent on the agency's handoff topic.
DESK_ACTION = "DeskAction"
ALL_ROLES: tuple[str, ...] = (
    INTAKE,
    STATUS,
    DEADLETTER,
    AUDIT,
    DESK,
    *HANDOFFS,
    *(completion(s) for s in _ONE_STEP_EACH),
)
#: Topics the hub reads: all must share one partition count (co-partitioned by dossier id).
HUB_READS: tuple[str, ...] = (INTAKE, *(completion(s) for s in _ONE_STEP_EACH))


#: The webhook bridge (``lienthong.bridge``): delivers the handoffs of the steps an agency answers
#: through webhooks and publishes the answers its completion API takes. Not in DEPLOYABLES: it
#: runs where an agency has such a step (``webhook_steps``).
BRIDGE = "bridge"
#: The bridge's own input: each delivery attempt's answer and each completion it published.
BRIDGE_INBOX = "bridge.attempts"

#: The principal operators use for the dead-letter commands (not a deployable).
OPERATOR = "operator"
#: The principal of a health facility's system (Civil Status Law 2026): it publishes notices.
FACILITY = "facility"


@dataclass(frozen=True)
class Access:
    """Least privilege of one principal: the topic roles it may read and write."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]


ACCESS: dict[str, Access] = {
    "hub": Access(
        # The operator board also reads the newest dead letters (it consumes none of them).
        reads=(*HUB_READS, DEADLETTER, DESK),
        writes=(STATUS, DEADLETTER, AUDIT, *HANDOFFS),
    ),
    **{
        name: Access(reads=(handoff(step),), writes=(completion(step), DEADLETTER, DESK))
        for name, (step, *_) in STEPS_OF.items()
    },
    "integrator": Access(reads=(STATUS,), writes=(INTAKE,)),
    # A health facility's system only notifies births (deaths) it attended: it writes intake and
    # reads nothing; the boundary refuses any other event type from it (``FACILITY_EVENTS``).
    FACILITY: Access(reads=(), writes=(INTAKE,)),
    # The webhook bridge reads the handoffs of the steps it delivers and answers for their
    # agencies (the steps it may answer are checked per request, not by the ACL).
    BRIDGE: Access(
        reads=HANDOFFS,
        writes=(*(completion(s) for s in _ONE_STEP_EACH), DEADLETTER),
    ),
    # The operators' principal for `lienthong deadletters list|show|replay`: reads the dead
    # letters (without a consumer group) and replays them into the topics a deployable reads.
    OPERATOR: Access(
        reads=(DEADLETTER,),
        writes=(*HUB_READS, *HANDOFFS),
    ),
}

#: Each deployable's own topics besides the contract: named ``<deployable>.<what>``, keyed and
#: partitioned like the topics their owner reads, read and written by their owner alone.
DEADLINES = "hub.deadlines"
#: Messages from outside (intake, completions) that a producer placed on another partition than
#: the hub's own partitioner would (librdkafka's CRC32, a null key): the hub forwards them here,
#: keyed and partitioned by itself, so a dossier's events always meet in one hub partition.
INBOX = "hub.inbox"
#: An agency with a step whose register keeps its own key (``StepSpec.register_key``) re-keys
#: its handoffs by it on a topic of its own, so that one partition owns each key and a duplicate
#: can never be registered on another worker; its timer's retries go there too.
KEYED_AGENCIES: tuple[str, ...] = tuple(
    agency
    for agency in AGENCIES
    if any(
        all_steps()[step].register_key is not None or all_steps()[step].retry is not None
        for step in STEPS_OF[agency]
    )
)
#: The agencies' own event by which their timers ask again for what waits on an outside system.
RETRY_EVENT = "WaitingRetry"


def by_register_key(agency: str) -> str:
    """Role of an agency's own topic: its handoffs re-keyed by its register's key."""
    return f"{agency}.by-register-key"


INTERNAL: dict[str, tuple[str, ...]] = {
    "hub": (DEADLINES, INBOX),
    BRIDGE: (BRIDGE_INBOX,),
    **{agency: (by_register_key(agency),) for agency in KEYED_AGENCIES},
}
INTERNAL_ROLES: tuple[str, ...] = tuple(role for roles in INTERNAL.values() for role in roles)

#: Intake events: what integrators may publish (each group's submission, then the common ones).
INTAKE_EVENTS: tuple[str, ...] = (
    *dict.fromkeys(group.submission for group in GROUPS.values()),
    "DossierSupplemented",
    "DossierWithdrawn",
    *(group.notice.event for group in GROUPS.values() if group.notice is not None),
)
#: What a facility may publish on intake: its notices, nothing else (the producer it names is
#: ``facility:<code>``; the notice's own rules check that name against its facility code).
FACILITY_EVENTS: frozenset[str] = frozenset(
    group.notice.event for group in GROUPS.values() if group.notice is not None
)


def _carries() -> dict[str, frozenset[str]]:
    """Which event types each topic role may carry, derived from the procedure declarations."""
    table: dict[str, frozenset[str]] = {
        INTAKE: frozenset(INTAKE_EVENTS),
        # The legal clock's ticks, and the citizens' satisfaction answers the hub's page takes,
        # and the families' filings completing a facility's notice through the hub's link.
        DEADLINES: frozenset(
            {"DeadlineCheck", "SatisfactionGiven", *(g.submission for g in GROUPS.values())}
        ),
        BRIDGE_INBOX: frozenset({"WebhookAttempted", "CompletionAccepted"}),
        DESK: frozenset({"DeskCase"}),
    }
    for step, spec in all_steps().items():
        table[completion(step)] = table.get(completion(step), frozenset(ANSWERS)) | set(
            spec.results
        )
        table[handoff(step)] = table.get(
            handoff(step), frozenset({"HandoffCancelled", DESK_ACTION})
        ) | {spec.handoff}
    for agency in KEYED_AGENCIES:
        table[by_register_key(agency)] = table[f"handoff.{agency}"] | {RETRY_EVENT}
    return table


#: The boundary's contract: a message of any other type on a topic is a dead letter.
CARRIES: dict[str, frozenset[str]] = _carries()
#: The roles whose messages name the step they answer for (it must be one of the topic's own).
STEPS_OF_ROLE: dict[str, tuple[str, ...]] = {
    completion(steps[0]): steps for steps in STEPS_OF.values()
}
