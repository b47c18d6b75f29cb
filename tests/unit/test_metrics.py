"""Metrics: verbs move the right series, in-flight ages follow the clock, labels stay bounded."""

from __future__ import annotations

import faust
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from lienthong.metrics import (
    MAX_OPEN_VALUES,
    OTHER,
    ConsumerLagCollector,
    Metrics,
)
from lienthong.runtime.faust.metrics import faust_offsets, setup_faust_metrics

BIRTH_ALL = "birth+residence+health_insurance"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def metrics(clock: Clock) -> Metrics:
    return Metrics.create(CollectorRegistry(), clock=clock)


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_create_without_registry_gives_a_fresh_one_each_time() -> None:
    first, second = Metrics.create(), Metrics.create()
    assert first.registry is not second.registry
    first.dossier_received(BIRTH_ALL, "PORTAL")  # no clash: nothing is declared twice globally


def test_closed_series_start_at_zero(metrics: Metrics) -> None:
    assert value(metrics, "lienthong_steps_handed_off_total", step="residence") == 0
    labels = {"combination": "birth+residence", "outcome": "COMPLETED", "on_time": "false"}
    assert value(metrics, "lienthong_dossiers_finished_total", **labels) == 0


def test_dossier_verbs(metrics: Metrics) -> None:
    metrics.dossier_received(BIRTH_ALL, "VNEID")
    metrics.dossier_received(BIRTH_ALL, "VNEID")
    metrics.dossier_rejected_at_intake("date_in_future")
    metrics.dossier_finished(BIRTH_ALL, "COMPLETED", on_time=True, seconds=2 * 86400)
    metrics.dossier_finished(BIRTH_ALL, "PARTLY_COMPLETED", on_time=False, seconds=9 * 86400)
    metrics.withdrawal(accepted=True)

    received = {"combination": BIRTH_ALL, "channel": "VNEID"}
    assert value(metrics, "lienthong_dossiers_received_total", **received) == 2
    portal = {"combination": BIRTH_ALL, "channel": "PORTAL"}
    assert value(metrics, "lienthong_dossiers_received_total", **portal) == 0
    reason = {"reason_code": "date_in_future"}
    assert value(metrics, "lienthong_dossiers_rejected_at_intake_total", **reason) == 1
    on_time = {"combination": BIRTH_ALL, "outcome": "COMPLETED", "on_time": "true"}
    assert value(metrics, "lienthong_dossiers_finished_total", **on_time) == 1
    late = {"combination": BIRTH_ALL, "outcome": "PARTLY_COMPLETED", "on_time": "false"}
    assert value(metrics, "lienthong_dossiers_finished_total", **late) == 1
    buckets = {"combination": BIRTH_ALL}
    assert value(metrics, "lienthong_dossier_duration_seconds_count", **buckets) == 2
    assert (
        value(metrics, "lienthong_dossier_duration_seconds_bucket", **buckets, le="259200.0") == 1
    )
    assert (
        value(metrics, "lienthong_dossier_duration_seconds_bucket", **buckets, le="864000.0") == 2
    )
    assert value(metrics, "lienthong_withdrawals_total", accepted="true") == 1
    assert value(metrics, "lienthong_withdrawals_total", accepted="false") == 0


def test_step_verbs(metrics: Metrics) -> None:
    metrics.step_rejected("residence", "no_household")
    metrics.dossier_overdue("residence")
    metrics.deadline_extended("health_insurance")
    metrics.supplement_requested("civil_registry")
    metrics.supplement_expired("civil_registry")
    metrics.registration("civil_registry")

    rejected = {"step": "residence", "reason_code": "no_household"}
    assert value(metrics, "lienthong_steps_rejected_total", **rejected) == 1
    assert value(metrics, "lienthong_dossiers_overdue_total", step="residence") == 1
    assert value(metrics, "lienthong_deadlines_extended_total", step="health_insurance") == 1
    assert value(metrics, "lienthong_supplements_requested_total", step="civil_registry") == 1
    assert value(metrics, "lienthong_supplements_expired_total", step="civil_registry") == 1
    assert value(metrics, "lienthong_registrations_total", step="civil_registry") == 1


def test_processing_verbs(metrics: Metrics) -> None:
    metrics.dead_letter("lienthong.intake", "UnknownFingerprint")
    metrics.event_processed("hub", "DossierSubmitted")
    metrics.processing_failed("residence", "CorruptBody")
    metrics.partition_reread("hub")
    metrics.partition_reread("hub")

    assert value(metrics, "lienthong_partitions_reread_total", deployable="hub") == 2
    metrics.answer_parked("CardIssued")
    assert value(metrics, "lienthong_answers_parked_total", event_type="CardIssued") == 1
    letter = {"topic": "lienthong.intake", "error_kind": "UnknownFingerprint"}
    assert value(metrics, "lienthong_dead_letters_total", **letter) == 1
    processed = {"deployable": "hub", "event_type": "DossierSubmitted"}
    assert value(metrics, "lienthong_events_processed_total", **processed) == 1
    failed = {"deployable": "residence", "error_kind": "CorruptBody"}
    assert value(metrics, "lienthong_processing_failures_total", **failed) == 1


def test_in_flight_and_oldest_age_follow_the_clock(metrics: Metrics, clock: Clock) -> None:
    start = clock.now
    metrics.step_handed_off("residence", "HS-0001", at=start - 600)
    metrics.step_handed_off("residence", "HS-0002", at=start - 60)
    metrics.step_handed_off("residence", "HS-0001", at=start)  # redelivered: keeps the first time
    assert value(metrics, "lienthong_steps_handed_off_total", step="residence") == 3
    assert value(metrics, "lienthong_steps_in_flight", step="residence") == 2
    age = "lienthong_step_oldest_in_flight_age_seconds"
    assert value(metrics, age, step="residence") == 600

    clock.now += 100  # computed at scrape time
    assert value(metrics, age, step="residence") == 700

    metrics.step_done("residence", "HS-0001", "COMPLETED", seconds=700, on_time=True)
    assert value(metrics, "lienthong_steps_in_flight", step="residence") == 1
    assert value(metrics, age, step="residence") == 160
    done = {"step": "residence", "outcome": "COMPLETED", "on_time": "true"}
    assert value(metrics, "lienthong_steps_done_total", **done) == 1
    assert value(metrics, "lienthong_step_duration_seconds_sum", step="residence") == 700

    metrics.step_done("residence", "HS-0002", "REJECTED", seconds=160, on_time=True)
    assert value(metrics, "lienthong_steps_in_flight", step="residence") == 0
    assert value(metrics, age, step="residence") == 0
    assert value(metrics, age, step="civil_registry") == 0


def test_step_done_for_an_unknown_dossier_is_harmless(metrics: Metrics) -> None:
    metrics.step_done("civil_registry", "never-handed-off", "COMPLETED", seconds=1, on_time=True)
    assert value(metrics, "lienthong_steps_in_flight", step="civil_registry") == 0


def test_overdue_in_flight_is_shown_until_the_step_is_done(metrics: Metrics) -> None:
    metrics.step_handed_off("health_insurance", "HS-9", at=0)
    metrics.dossier_overdue("health_insurance", dossier_id="HS-9")
    metrics.dossier_overdue("health_insurance", dossier_id="not-in-flight")
    series = "lienthong_steps_overdue_in_flight"
    assert value(metrics, series, step="health_insurance") == 1
    metrics.step_done("health_insurance", "HS-9", "COMPLETED", seconds=1, on_time=False)
    assert value(metrics, series, step="health_insurance") == 0
    assert value(metrics, "lienthong_dossiers_overdue_total", step="health_insurance") == 2


def test_labels_never_carry_a_dossier_id(metrics: Metrics) -> None:
    dossier_ids = [f"HS-2025-{n:06d}" for n in range(200)]
    for dossier_id in dossier_ids:
        for step in ("civil_registry", "residence", "health_insurance"):
            metrics.step_handed_off(step, dossier_id, at=0)
            metrics.dossier_overdue(step, dossier_id=dossier_id)
        metrics.step_done("residence", dossier_id, "COMPLETED", seconds=5, on_time=True)
    label_values = {
        label_value
        for family in metrics.registry.collect()
        for sample in family.samples
        for label_value in sample.labels.values()
    }
    assert label_values.isdisjoint(dossier_ids)


def test_unknown_values_of_closed_labels_become_other(metrics: Metrics) -> None:
    metrics.dossier_received("birth+marriage", "FAX")
    assert (
        value(metrics, "lienthong_dossiers_received_total", combination=OTHER, channel=OTHER) == 1
    )
    metrics.step_handed_off("civil-registry", "HS-1", at=0)  # topic spelling, not a step symbol
    assert value(metrics, "lienthong_steps_handed_off_total", step=OTHER) == 1


def test_open_labels_are_capped(metrics: Metrics) -> None:
    for n in range(MAX_OPEN_VALUES + 10):
        metrics.dossier_rejected_at_intake(f"rule_{n}")
    reasons = {
        sample.labels["reason_code"]
        for family in metrics.registry.collect()
        if family.name == "lienthong_dossiers_rejected_at_intake"
        for sample in family.samples
    }
    assert len(reasons) == MAX_OPEN_VALUES + 1
    assert value(metrics, "lienthong_dossiers_rejected_at_intake_total", reason_code=OTHER) == 10


def test_lag_collector_computes_end_minus_committed() -> None:
    registry = CollectorRegistry()
    offsets = {("lienthong.intake", 0): (120, 100), ("lienthong.intake", 1): (7, 7)}
    registry.register(ConsumerLagCollector(lambda: offsets))
    partition0 = {"topic": "lienthong.intake", "partition": "0"}
    assert registry.get_sample_value("lienthong_consumer_lag", partition0) == 20
    assert registry.get_sample_value("lienthong_consumer_end_offset", partition0) == 120
    assert registry.get_sample_value("lienthong_consumer_committed_offset", partition0) == 100
    partition1 = {"topic": "lienthong.intake", "partition": "1"}
    assert registry.get_sample_value("lienthong_consumer_lag", partition1) == 0

    offsets[("lienthong.intake", 1)] = (30, 7)  # read at every scrape
    assert registry.get_sample_value("lienthong_consumer_lag", partition1) == 23


def test_lag_collector_survives_a_failing_source() -> None:
    def broken() -> dict[tuple[str, int], tuple[int, int]]:
        raise RuntimeError("consumer gone")

    registry = CollectorRegistry()
    registry.register(ConsumerLagCollector(broken))
    assert b"lienthong_consumer_lag" in generate_latest(registry)


class FakeTP:
    def __init__(self, topic: str, partition: int) -> None:
        self.topic, self.partition = topic, partition


class FakeConsumer:
    def __init__(self, committed: dict[FakeTP, int | None], ends: dict[FakeTP, int]) -> None:
        self._committed_offset, self._ends = committed, ends

    def highwater(self, tp: FakeTP) -> int:
        if tp not in self._ends:
            raise AssertionError("partition is not assigned")  # as aiokafka does
        return self._ends[tp]


class FakeMonitor:
    def __init__(self, ends: dict[FakeTP, int]) -> None:
        self.tp_committed_offsets: dict[FakeTP, int] = {}
        self.tp_end_offsets = ends


def test_faust_offsets_reads_consumer_and_monitor() -> None:
    intake0, intake1 = FakeTP("lienthong.intake", 0), FakeTP("lienthong.intake", 1)
    changelog = FakeTP("hub-dossiers-changelog", 0)
    app = type("App", (), {})()
    app._consumer = FakeConsumer({intake0: 5, intake1: 2, changelog: None}, {intake0: 9})
    app._monitor = FakeMonitor({intake1: 4})
    assert faust_offsets(app)() == {
        ("lienthong.intake", 0): (9, 5),  # the consumer's highwater
        ("lienthong.intake", 1): (4, 2),  # not assigned yet: the monitor's last seen end
    }


def test_faust_metrics_share_one_registry_and_tolerate_an_app_not_started() -> None:
    app = faust.App("civil-registry", broker="kafka://127.0.0.1:1", web_enabled=False)
    registry = CollectorRegistry()
    Metrics.create(registry)
    setup_faust_metrics(app, registry)
    page = generate_latest(registry).decode()
    assert "faust_messages_received_total" in page
    assert "lienthong_consumer_lag" in page
    assert "lienthong_dossiers_received_total" in page
    assert faust_offsets(app)() == {}
    assert app._consumer is None  # reading offsets never creates a consumer


def test_a_dossier_found_in_flight_after_a_restart_is_tracked_without_counting_again() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry, clock=lambda: 1000.0)
    metrics.still_in_flight("residence", "DVC-1", 400.0)
    metrics.still_in_flight("residence", "DVC-1", 900.0)  # the first time found stays
    assert registry.get_sample_value("lienthong_steps_in_flight", {"step": "residence"}) == 1
    age = registry.get_sample_value(
        "lienthong_step_oldest_in_flight_age_seconds", {"step": "residence"}
    )
    assert age == 600.0
    handed = registry.get_sample_value("lienthong_steps_handed_off_total", {"step": "residence"})
    assert handed == 0
