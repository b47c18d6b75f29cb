"""Prometheus metrics: every series declared once, on an injected registry, used through verbs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from itertools import product
from threading import Lock

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from lienthong.domain.units import commune_codes
from lienthong.groups.registry import GROUPS, all_steps
from lienthong.topics import DEPLOYABLES

log = logging.getLogger(__name__)

#: Label vocabularies derived from the procedure declarations (bounded by them).
STEPS: tuple[str, ...] = tuple(all_steps())
COMBINATIONS: tuple[str, ...] = tuple(
    dict.fromkeys(  # every version's, since an open dossier keeps its version's
        version.combination_label(chosen)
        for group in GROUPS.values()
        for version in group.versions
        for chosen in version.combinations
    )
)
CHANNELS = ("PORTAL", "VNEID")
DOSSIER_OUTCOMES = ("COMPLETED", "PARTLY_COMPLETED", "REJECTED", "WITHDRAWN")
STEP_OUTCOMES = ("COMPLETED", "REJECTED", "WITHDRAWN", "NOT_STARTED", "NOT_APPLICABLE")
#: What a lookup lockout is about: the asking client, or the receipt asked for.
LOOKUP_SCOPES = ("client", "receipt")
#: Where a label value outside its vocabulary (or past its cap) is counted instead.
OTHER = "other"
#: From one second to ten days: a step decided by software takes seconds, a legal deadline is
#: counted in working days (a long weekend plus three working days is ~6 days).
DURATION_BUCKETS = (
    *(1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0),
    *(3600.0, 3 * 3600.0, 8 * 3600.0, 16 * 3600.0),
    *(86400.0 * d for d in (1, 2, 3, 5, 7, 10)),
)
#: Dossiers tracked in flight per step; past it new ones are counted, not tracked, so the oldest
#: (the ones an operator must see) are never evicted.
MAX_TRACKED_PER_STEP = 100_000
#: Distinct values an open label (reason code, error kind, event type, topic) may take.
MAX_OPEN_VALUES = 64
#: Prefix of faust's own sensor metrics: one name across the four apps, the job label tells them
#: apart (faust's default prefix is the app id, which would give four names per metric).
FAUST_PREFIX = "faust"

Clock = Callable[[], float]
#: ``{(topic, partition): (end_offset, committed_offset)}``
Offsets = Mapping[tuple[str, int], tuple[int, int]]
OffsetSource = Callable[[], Offsets]


class _Vocabulary:
    """Keeps one label bounded: a closed set of values, or at most ``limit`` distinct ones."""

    def __init__(self, known: Iterable[str] = (), limit: int = 0) -> None:
        self._known, self._limit, self._lock = set(known), limit, Lock()
        self._closed = bool(self._known)

    def __call__(self, value: object) -> str:
        text = str(getattr(value, "value", value))[:64]
        if text in self._known:
            return text
        with self._lock:
            if self._closed or len(self._known) >= self._limit:
                return OTHER
            self._known.add(text)
        return text


def _flag(value: bool) -> str:
    return "true" if value else "false"


class _InFlight:
    """Dossiers handed to one step and not yet done, by dossier id (never a label)."""

    def __init__(self, clock: Clock, limit: int) -> None:
        self._clock, self._limit = clock, limit
        self.since: dict[str, float] = {}
        self.overdue: set[str] = set()
        self._lock = Lock()

    def add(self, dossier_id: str, at: float) -> bool:
        with self._lock:
            if dossier_id not in self.since:  # a redelivered handoff keeps the first time
                if len(self.since) >= self._limit:
                    return False
                self.since[dossier_id] = at
            return True

    def mark_overdue(self, dossier_id: str) -> None:
        with self._lock:
            if dossier_id in self.since:
                self.overdue.add(dossier_id)

    def remove(self, dossier_id: str) -> None:
        with self._lock:
            self.since.pop(dossier_id, None)
            self.overdue.discard(dossier_id)

    def oldest_age(self) -> float:
        with self._lock:
            oldest = min(self.since.values(), default=None)
        return 0.0 if oldest is None else max(0.0, self._clock() - oldest)


class Metrics:
    """The project's metrics. Build one per process with ``Metrics.create(registry)``."""

    def __init__(self, registry: CollectorRegistry, clock: Clock = time.time) -> None:
        self.registry = registry
        self._step, self._combination = _Vocabulary(STEPS), _Vocabulary(COMBINATIONS)
        self._channel, self._deployable = _Vocabulary(CHANNELS), _Vocabulary(DEPLOYABLES)
        self._dossier_outcome = _Vocabulary(DOSSIER_OUTCOMES)
        self._step_outcome = _Vocabulary(STEP_OUTCOMES)
        open_labels = (_Vocabulary(limit=MAX_OPEN_VALUES) for _ in range(4))
        self._reason, self._error_kind, self._event_type, self._topic = open_labels
        #: Communes of the 2025 map are a closed set of 3,321 codes; groups are few.
        self._commune, self._group = _Vocabulary(commune_codes()), _Vocabulary(limit=8)
        self._tracking = {step: _InFlight(clock, MAX_TRACKED_PER_STEP) for step in STEPS}

        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(f"lienthong_{name}", doc, labels, registry=registry)

        def histogram(name: str, doc: str, *labels: str) -> Histogram:
            return Histogram(
                f"lienthong_{name}", doc, labels, registry=registry, buckets=DURATION_BUCKETS
            )

        def gauge(name: str, doc: str, read: Callable[[_InFlight], float]) -> None:
            family = Gauge(f"lienthong_{name}", doc, ["step"], registry=registry)
            for step, tracked in self._tracking.items():
                family.labels(step).set_function(partial(read, tracked))

        self._received = counter("dossiers_received", "Accepted", "combination", "channel")
        self._rejected_at_intake = counter("dossiers_rejected_at_intake", "Refused", "reason_code")
        self._finished = counter(
            "dossiers_finished", "Finished", "combination", "outcome", "on_time"
        )
        self._dossier_seconds = histogram("dossier_duration_seconds", "To finish", "combination")
        self._handed_off = counter("steps_handed_off", "Handed to an agency", "step")
        self._done = counter("steps_done", "Step finished", "step", "outcome", "on_time")
        self._step_seconds = histogram("step_duration_seconds", "Handoff to done", "step")
        self._step_rejected = counter("steps_rejected", "Step refused", "step", "reason_code")
        self._overdue = counter("dossiers_overdue", "Passed the due date", "step")
        self._extended = counter("deadlines_extended", "Legal deadline extended", "step")
        self._supplement = counter("supplements_requested", "Supplement requested", "step")
        self._supplement_ex = counter("supplements_expired", "Supplement not sent", "step")
        self._withdrawals = counter("withdrawals", "Withdrawal answered", "accepted")
        self._dead_letters = counter("dead_letters", "Dead-lettered", "topic", "error_kind")
        self._processed = counter("events_processed", "Handled", "deployable", "event_type")
        self._failed = counter("processing_failures", "Failed", "deployable", "error_kind")
        self._registrations = counter("registrations", "Entered in a register", "step")
        self._untracked = counter("step_tracking_overflow", "Not tracked: tracking full", "step")
        self._parked = counter(
            "answers_parked", "An agency's answer came before its dossier: kept", "event_type"
        )
        self._reread = counter(
            "partitions_reread", "Read again from the committed offset: stalled", "deployable"
        )
        self._archived = counter("dossiers_archived", "Finished dossiers moved to the archive")
        self._notices = counter(
            "notices", "Facility notices: opened, no consent", "group", "outcome"
        )
        self._indexed = Gauge(
            "lienthong_dossiers_awaiting_check",
            "Dossiers of this hub worker that the legal clock will look at again",
            registry=registry,
        )
        self._forwarded = counter(
            "messages_forwarded",
            "Placed by another partitioner than the hub's: forwarded through its inbox",
            "topic",
        )

        self._lookups_failed = counter(
            "lookups_failed", "Status lookups with an unknown receipt or a wrong code"
        )
        self._lookups_refused = counter(
            "lookups_refused", "Status lookups refused during a lockout", "scope"
        )
        self._lockouts = counter("lookup_lockouts", "Lockouts begun: guessing codes", "scope")
        self._signin_failed = counter("operator_signins_failed", "Operators' sign-ins refused")
        self._satisfaction = counter(
            "satisfaction_answers", "A citizen's answer", "group", "commune", "satisfied"
        )
        self._deadline_days = counter(
            "deadline_days", "Working days of received dossiers' deadlines", "kind"
        )
        gauge("steps_in_flight", "Handed off and not done", lambda t: len(t.since))
        gauge("step_oldest_in_flight_age_seconds", "Oldest in flight", _InFlight.oldest_age)
        gauge("steps_overdue_in_flight", "Overdue and in flight", lambda t: len(t.overdue))
        self._initialise_closed_series()

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None, clock: Clock = time.time) -> Metrics:
        """Metrics on ``registry`` (a new one for this process when not given)."""
        return cls(registry if registry is not None else CollectorRegistry(), clock)

    def _initialise_closed_series(self) -> None:
        """Export zeros for closed label sets, so a first increment is seen by ``increase()``."""
        flags = ("true", "false")
        per_step = (self._handed_off, self._overdue, self._extended, self._registrations)
        for step, counter in product(STEPS, (*per_step, self._supplement, self._supplement_ex)):
            counter.labels(step)
        for labels in product(STEPS, STEP_OUTCOMES, flags):
            self._done.labels(*labels)
        for labels in product(COMBINATIONS, DOSSIER_OUTCOMES, flags):
            self._finished.labels(*labels)
        for combination, channel in product(COMBINATIONS, CHANNELS):
            self._received.labels(combination, channel)
        for flag in flags:
            self._withdrawals.labels(flag)
        for scope in LOOKUP_SCOPES:
            self._lookups_refused.labels(scope)
            self._lockouts.labels(scope)
        for kind in ("statutory", "applied"):
            self._deadline_days.labels(kind)

    # -- Intake and the whole dossier (hub) ------------------------------------------------
    def dossier_received(self, combination: str, channel: str) -> None:
        self._received.labels(self._combination(combination), self._channel(channel)).inc()

    def dossier_rejected_at_intake(self, reason_code: str) -> None:
        self._rejected_at_intake.labels(self._reason(reason_code)).inc()

    def dossier_finished(
        self, combination: str, outcome: str, on_time: bool, seconds: float
    ) -> None:
        combination, outcome = self._combination(combination), self._dossier_outcome(outcome)
        self._finished.labels(combination, outcome, _flag(on_time)).inc()
        self._dossier_seconds.labels(combination).observe(seconds)

    def deadline_days(self, statutory: int | None, applied: int | None) -> None:
        """A received dossier's deadline: the law's working days and those applied (a cut)."""
        if statutory is not None and applied is not None:
            self._deadline_days.labels("statutory").inc(statutory)
            self._deadline_days.labels("applied").inc(applied)

    def satisfaction_recorded(self, group: str, commune: str, satisfied: bool) -> None:
        """One citizen's answer on a finished dossier."""
        labels = (self._group(group), self._commune(commune), _flag(satisfied))
        self._satisfaction.labels(*labels).inc()

    def withdrawal(self, accepted: bool) -> None:
        self._withdrawals.labels(_flag(accepted)).inc()

    # -- Steps, seen from the hub --------------------------------------------------------------
    def step_handed_off(self, step: str, dossier_id: str, at: float) -> None:
        """A dossier went to ``step`` at ``at`` (epoch seconds); tracked until ``step_done``."""
        step = self._step(step)
        self._handed_off.labels(step).inc()
        tracked = self._tracking.get(step)
        if tracked is not None and not tracked.add(dossier_id, at):
            self._untracked.labels(step).inc()

    def still_in_flight(self, step: str, dossier_id: str, at: float) -> None:
        """Re-track a dossier found waiting at ``step`` (after a restart); counts nothing new."""
        tracked = self._tracking.get(self._step(step))
        if tracked is not None:
            tracked.add(dossier_id, at)

    def step_done(
        self, step: str, dossier_id: str, outcome: str, seconds: float, on_time: bool
    ) -> None:
        step, outcome = self._step(step), self._step_outcome(outcome)
        self._done.labels(step, outcome, _flag(on_time)).inc()
        self._step_seconds.labels(step).observe(seconds)
        if step in self._tracking:
            self._tracking[step].remove(dossier_id)

    def step_rejected(self, step: str, reason_code: str) -> None:
        self._step_rejected.labels(self._step(step), self._reason(reason_code)).inc()

    def dossier_overdue(self, step: str, dossier_id: str | None = None) -> None:
        """The legal clock found a dossier past due at ``step``; with its id, it is shown in
        ``lienthong_steps_overdue_in_flight`` until the step is done."""
        step = self._step(step)
        self._overdue.labels(step).inc()
        if dossier_id is not None and step in self._tracking:
            self._tracking[step].mark_overdue(dossier_id)

    def deadline_extended(self, step: str) -> None:
        self._extended.labels(self._step(step)).inc()

    def supplement_requested(self, step: str) -> None:
        self._supplement.labels(self._step(step)).inc()

    def supplement_expired(self, step: str) -> None:
        self._supplement_ex.labels(self._step(step)).inc()

    # -- Agencies and every deployable -----------------------------------------------------
    def registration(self, step: str) -> None:
        self._registrations.labels(self._step(step)).inc()

    def dead_letter(self, topic: str, error_kind: str) -> None:
        self._dead_letters.labels(self._topic(topic), self._error_kind(error_kind)).inc()

    def event_processed(self, deployable: str, event_type: str) -> None:
        self._processed.labels(self._deployable(deployable), self._event_type(event_type)).inc()

    def processing_failed(self, deployable: str, error_kind: str) -> None:
        self._failed.labels(self._deployable(deployable), self._error_kind(error_kind)).inc()

    def answer_parked(self, event_type: str) -> None:
        self._parked.labels(self._event_type(event_type)).inc()

    def partition_reread(self, deployable: str) -> None:
        self._reread.labels(self._deployable(deployable)).inc()

    def notice(self, group: str, outcome: str) -> None:
        """A facility's notice: ``opened`` a dossier, or ``no_consent`` (nothing opened)."""
        self._notices.labels(self._group(group), self._reason(outcome)).inc()

    def dossier_archived(self) -> None:
        self._archived.inc()

    def dossiers_indexed(self, count: int) -> None:
        self._indexed.set(count)

    def message_forwarded(self, topic: str) -> None:
        self._forwarded.labels(self._topic(topic)).inc()

    # -- The hub's web listeners -----------------------------------------------------------
    def lookup_failed(self, lockouts: Iterable[str] = ()) -> None:
        """A lookup found nothing; ``lockouts``: the scopes (client, receipt) it locked."""
        self._lookups_failed.inc()
        for scope in lockouts:
            self._lockouts.labels(self._scope(scope)).inc()

    def lookup_refused(self, scope: str) -> None:
        self._lookups_refused.labels(self._scope(scope)).inc()

    def operator_signin_failed(self) -> None:
        self._signin_failed.inc()

    def _scope(self, scope: str) -> str:
        return scope if scope in LOOKUP_SCOPES else OTHER


class ConsumerLagCollector:
    """Exports end offset, committed offset and their difference (the lag) per partition."""

    def __init__(self, source: OffsetSource) -> None:
        self._source = source

    def describe(self) -> Iterable[Metric]:
        return self._families({})

    def collect(self) -> Iterable[Metric]:
        try:
            offsets = self._source()
        except Exception:  # a scrape must still serve every other metric
            log.warning("Could not read consumer offsets", exc_info=True)
            offsets = {}
        return self._families(offsets)

    @staticmethod
    def _families(offsets: Offsets) -> list[Metric]:
        labels = ["topic", "partition"]
        lag = GaugeMetricFamily(
            "lienthong_consumer_lag", "End offset minus committed offset", labels=labels
        )
        end = GaugeMetricFamily("lienthong_consumer_end_offset", "Log end offset", labels=labels)
        committed = GaugeMetricFamily(
            "lienthong_consumer_committed_offset", "Committed offset", labels=labels
        )
        for (topic, partition), (end_offset, committed_offset) in sorted(offsets.items()):
            values = [topic, str(partition)]
            lag.add_metric(values, max(0, end_offset - committed_offset))
            end.add_metric(values, end_offset)
            committed.add_metric(values, committed_offset)
        return [lag, end, committed]
