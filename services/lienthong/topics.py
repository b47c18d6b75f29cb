"""Topic names by role, and which deployable reads and writes which topic (the contract)."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.procedures import ANSWERS, GROUPS

#: Steps of the birth group, in topic-name spelling (Avro enum symbols use underscores).
STEP_TOPIC_NAMES = {
    "civil_registry": "civil-registry",
    "residence": "residence",
    "health_insurance": "health-insurance",
}
DEPLOYABLES = ("hub", "civil-registry", "residence", "health-insurance")


def handoff(step: str) -> str:
    """Role name of a step's handoff topic, e.g. ``handoff.civil-registry``."""
    return f"handoff.{STEP_TOPIC_NAMES[step]}"


def completion(step: str) -> str:
    """Role name of a step's completion topic."""
    return f"completion.{STEP_TOPIC_NAMES[step]}"


INTAKE = "intake"
STATUS = "status"
DEADLETTER = "deadletter"
#: Who viewed which dossier (status page, API, receipt): the hub's audit trail.
AUDIT = "audit"
ALL_ROLES: tuple[str, ...] = (
    INTAKE,
    STATUS,
    DEADLETTER,
    AUDIT,
    *(handoff(s) for s in STEP_TOPIC_NAMES),
    *(completion(s) for s in STEP_TOPIC_NAMES),
)
#: Topics the hub reads: all must share one partition count (co-partitioned by dossier id).
HUB_READS: tuple[str, ...] = (INTAKE, *(completion(s) for s in STEP_TOPIC_NAMES))


#: The principal operators use for the dead-letter commands (not a deployable).
OPERATOR = "operator"


@dataclass(frozen=True)
class Access:
    """Least privilege of one principal: the topic roles it may read and write."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]


ACCESS: dict[str, Access] = {
    "hub": Access(
        # The operator board also reads the newest dead letters (it consumes none of them).
        reads=(*HUB_READS, DEADLETTER),
        writes=(STATUS, DEADLETTER, AUDIT, *(handoff(s) for s in STEP_TOPIC_NAMES)),
    ),
    **{
        name: Access(reads=(handoff(step),), writes=(completion(step), DEADLETTER))
        for step, name in STEP_TOPIC_NAMES.items()
    },
    "integrator": Access(reads=(STATUS,), writes=(INTAKE,)),
    # The operators' principal for `lienthong deadletters list|show|replay`: reads the dead
    # letters (without a consumer group) and replays them into the topics a deployable reads.
    OPERATOR: Access(
        reads=(DEADLETTER,),
        writes=(*HUB_READS, *(handoff(s) for s in STEP_TOPIC_NAMES)),
    ),
}

#: Each deployable's own topics besides the contract: named ``<deployable>.<what>``, keyed and
#: partitioned like the topics their owner reads, read and written by their owner alone.
DEADLINES = "hub.deadlines"
#: Messages from outside (intake, completions) that a producer placed on another partition than
#: the hub's own partitioner would (librdkafka's CRC32, a null key): the hub forwards them here,
#: keyed and partitioned by itself, so a dossier's events always meet in one hub partition.
INBOX = "hub.inbox"
BY_CERTIFICATE = "civil-registry.by-certificate"
INTERNAL: dict[str, tuple[str, ...]] = {
    "hub": (DEADLINES, INBOX),
    "civil-registry": (BY_CERTIFICATE,),
}
INTERNAL_ROLES: tuple[str, ...] = tuple(role for roles in INTERNAL.values() for role in roles)

#: Intake events: what integrators may publish.
INTAKE_EVENTS = ("DossierSubmitted", "DossierSupplemented", "DossierWithdrawn")


def _carries() -> dict[str, frozenset[str]]:
    """Which event types each topic role may carry, derived from the procedure declarations."""
    table: dict[str, frozenset[str]] = {
        INTAKE: frozenset(INTAKE_EVENTS),
        # The legal clock's ticks, and the citizens' satisfaction answers the hub's page takes.
        DEADLINES: frozenset({"DeadlineCheck", "SatisfactionGiven"}),
    }
    for group in GROUPS.values():
        for step, spec in group.steps.items():
            table[completion(step)] = frozenset({*spec.results, *ANSWERS})
            table[handoff(step)] = frozenset({spec.handoff, "HandoffCancelled"})
    table[BY_CERTIFICATE] = table[handoff("civil_registry")] | {"PersonalIdRetry"}
    return table


#: The boundary's contract: a message of any other type on a topic is a dead letter.
CARRIES: dict[str, frozenset[str]] = _carries()
#: The roles whose messages name the step they answer for (it must be the topic's own step).
STEP_OF_ROLE: dict[str, str] = {completion(step): step for step in STEP_TOPIC_NAMES}
