"""What the hub counts of the events it just decided, through the metrics' domain verbs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar, cast

from lienthong.contracts import records
from lienthong.contracts.events import Envelope
from lienthong.hub.state import DossierState
from lienthong.metrics import Metrics

T = TypeVar("T")
#: How one status event is counted: the metrics, the dossier after the decision, the event and
#: the name of the event that caused it.
Counting = Callable[[Metrics, DossierState, T, str], None]
Counter = Counting[Mapping[str, object]]


def _reads(counting: Counting[T]) -> Counter:
    def count(
        metrics: Metrics, state: DossierState, record: Mapping[str, object], cause: str
    ) -> None:
        # The dispatch point: the hub built ``record`` with the schema this counter is
        # registered under (``COUNTERS``), whose record type ``counting`` reads.
        counting(metrics, state, cast(T, record), cause)

    return count


def _received(m: Metrics, state: DossierState, r: records.DossierReceived, cause: str) -> None:
    m.dossier_received(state.combination, state.channel)
    m.deadline_days(r.get("statutory_days"), r.get("deadline_days"))


def _rejected(m: Metrics, state: DossierState, r: records.DossierRejected, cause: str) -> None:
    for reason in r["reasons"]:
        m.dossier_rejected_at_intake(reason["code"])


def _handed_off(m: Metrics, state: DossierState, r: records.StepHandedOff, cause: str) -> None:
    m.step_handed_off(r["step"], state.dossier_id, r["meta"]["occurred_at"].timestamp())


def _finished_step(m: Metrics, state: DossierState, r: records.StepFinished, cause: str) -> None:
    step, at = r["step"], r["meta"]["occurred_at"]
    began = state.steps[step].handed_off_at or at
    if state.steps[step].reason_code == "supplement_expired":
        m.supplement_expired(step)
    seconds = (at - began).total_seconds()
    m.step_done(step, state.dossier_id, r["outcome"], seconds, bool(r["on_time"]))


def _overdue(m: Metrics, state: DossierState, r: records.DossierOverdue, cause: str) -> None:
    m.dossier_overdue(r["step"], state.dossier_id)


def _awaited(m: Metrics, state: DossierState, r: records.SupplementAwaited, cause: str) -> None:
    m.supplement_requested(r["step"])


def _moved(m: Metrics, state: DossierState, r: records.DueDateChanged, cause: str) -> None:
    step = r.get("step")
    if cause == "DeadlineExtended" and step:
        m.deadline_extended(step)


def _rated(m: Metrics, state: DossierState, r: records.SatisfactionRecorded, cause: str) -> None:
    m.satisfaction_recorded(r["group"], r["registering_commune"], bool(r["satisfied"]))


def _answered(m: Metrics, state: DossierState, r: records.WithdrawalAnswered, cause: str) -> None:
    m.withdrawal(bool(r["accepted"]))


def _finished(m: Metrics, state: DossierState, r: records.DossierFinished, cause: str) -> None:
    if state.received_at is None:
        return
    seconds = (r["meta"]["occurred_at"] - state.received_at).total_seconds()
    m.dossier_finished(state.combination, r["outcome"], bool(r["on_time"]), seconds)


def _awaiting(m: Metrics, state: DossierState, r: records.DossierAwaitingFamily, c: str) -> None:
    m.notice(state.group, "opened")


#: The counting of each status event the hub publishes (the others are not counted).
COUNTERS: dict[str, Counter] = {
    "DossierReceived": _reads(_received),
    "DossierRejected": _reads(_rejected),
    "StepHandedOff": _reads(_handed_off),
    "StepFinished": _reads(_finished_step),
    "DossierOverdue": _reads(_overdue),
    "SupplementAwaited": _reads(_awaited),
    "DueDateChanged": _reads(_moved),
    "SatisfactionRecorded": _reads(_rated),
    "WithdrawalAnswered": _reads(_answered),
    "DossierFinished": _reads(_finished),
    "DossierAwaitingFamily": _reads(_awaiting),
}


def observe(
    metrics: Metrics, state: DossierState, outputs: list[Envelope], cause: str = ""
) -> None:
    """Count what the hub just decided, through the metrics' domain verbs."""
    for env in outputs:
        count = COUNTERS.get(env.schema)
        if count is not None:
            count(metrics, state, env.record, cause)
