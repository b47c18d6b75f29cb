"""What the bridge adds to a handoff's way, beside the Kafka path, in one run: for each birth
dossier, from the handoff written to Kafka to (a) the agency's HTTPS receiver getting it, (b)
its answer published through the completion API (residence, on webhooks), and (c) our own
processor's answer (health insurance, on Kafka). Prints p50/p99 of each."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from webhook_agency import (
    Agency,
    behind_the_bridge,
    of_webhook_steps,
)

from lienthong.client.batch import push_through
from lienthong.contracts.codec import AvroCodec
from lienthong.groups.birth.synthetic import generate
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261210
DOSSIERS = 40


def stamped(settings: Settings, role: str) -> dict[str, tuple[float, str]]:
    """Event id -> (broker timestamp in seconds, dossier) of every event of a topic, and for a
    completion its cause (the handoff's id) -> the same."""
    codec = AvroCodec()
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
    try:
        name = settings.topic(role)
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: dict[str, tuple[float, str]] = {}
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                for message in batch:
                    decoded = codec.decode(message.value)
                    if role.endswith(".residence") and not of_webhook_steps(
                        decoded.name, decoded.record
                    ):
                        continue  # a residence step our processor answers (the ID card)
                    meta = decoded.record["meta"]
                    key = str(meta["causation_id"] if "completion" in role else meta["event_id"])
                    out[key] = (message.timestamp / 1000, str(meta["dossier_id"]))
        return out
    finally:
        consumer.close()


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


@pytest.fixture
def accepting(isolated: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Agency]]:
    with behind_the_bridge(isolated, tmp_path, {"failing": 0}) as (settings, agency, _):
        yield settings, agency


def test_the_latency_the_bridge_adds_beside_the_kafka_path(
    accepting: tuple[Settings, Agency],
) -> None:
    settings, agency = accepting
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    items = generate(DOSSIERS, seed=SEED, start=now, live=True, twins_share=0.0)
    assert push_through(settings, items, timeout=180).still_open() == []

    to_residence = stamped(settings, "handoff.residence")
    delivered = [agency.first_seen[h] - at for h, (at, _) in to_residence.items()]
    answered = stamped(settings, "completion.residence")
    by_webhook = [answered[h][0] - at for h, (at, _) in to_residence.items()]
    to_insurance = stamped(settings, "handoff.health-insurance")
    decided = stamped(settings, "completion.health-insurance")
    by_kafka = [decided[h][0] - at for h, (at, _) in to_insurance.items() if h in decided]
    rows = {
        "handoff -> agency's HTTPS receiver (bridge)": delivered,
        "handoff -> answer via the completion API (bridge)": by_webhook,
        "handoff -> answer of our processor (Kafka)": by_kafka,
    }
    for what, values in rows.items():
        p50, p99 = quantiles(values)
        print(f"{what}: n={len(values)} p50={p50:.0f} ms p99={p99:.0f} ms")
    assert len(delivered) == len(by_webhook) and len(by_kafka) >= 1
    assert all(v >= 0 for v in delivered)  # one clock: the receiver after the broker
    assert quantiles(delivered)[0] < 5000
