"""Replaying dead letters against the real broker: only to declared topics, not what fails again.

The dead letters are written straight to the dead-letter topic, as a forger with write access
to it (or a bug) would: the replay must trust nothing in them but the bytes it sends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from typer.testing import CliRunner

from lienthong import topics
from lienthong.cli import app
from lienthong.client.deadletters import read_dead_letters
from lienthong.client.replay import REPLAY_HEADER
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import metadata
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import settings_env
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = pytest.mark.broker
CODEC = AvroCodec()


def _withdrawal(dossier_id: str) -> bytes:
    now = dt.datetime.now(dt.UTC)
    meta = metadata("DossierWithdrawn", dossier_id, "portal", now, None)
    return CODEC.encode("DossierWithdrawn", {"meta": meta, "reason": ""})


def _dead_letter(topic: str, value: bytes, deployable: str, kind: str, offset: int) -> bytes:
    return CODEC.encode(
        "DeadLetter",
        {
            "event_id": uuid.uuid4(),
            "topic": topic,
            "partition": 0,
            "offset": offset,
            "key": b"DVC-1",
            "value": value,
            "headers": {"trace": b"t"},
            "deployable": deployable,
            "error_kind": kind,
            "reason": f"test {kind}",
            "failed_at": dt.datetime.now(dt.UTC),
        },
    )


@pytest.fixture
def planted(isolated: Settings) -> Iterator[tuple[Settings, dict[str, Any]]]:
    prepare_topics(isolated)
    p = isolated.topic_prefix
    (dossier,) = generate(1, seed=11, start=dt.datetime.now(dt.UTC), live=True)
    submitted = CODEC.encode("DossierSubmitted", dossier.record)
    cases = {
        # never sent, even with --force
        "new topic": (f"{p}.brand-new-topic", submitted, "hub", "Forged"),
        "other prefix": ("elsewhere.intake", submitted, "hub", "Forged"),
        "dead-letter topic": (f"{p}.deadletter", submitted, "hub", "Forged"),
        "wrong reader": (f"{p}.handoff.residence", submitted, "hub", "Forged"),
        # would fail again: sent only with --force
        "undecodable": (f"{p}.intake", b"\x00 not avro", "hub", "NotSingleObjectEncoded"),
        "unknown dossier": (f"{p}.intake", _withdrawal("DVC-0"), "hub", "UnknownDossier"),
        # goes back
        "transient": (f"{p}.intake", submitted, "hub", "ProducerSendError"),
    }
    producer = KafkaProducer(**isolated.kafka_client_options())
    for offset, (topic, value, deployable, kind) in enumerate(cases.values()):
        record = _dead_letter(topic, value, deployable, kind, offset)
        producer.send(isolated.topic(topics.DEADLETTER), key=b"DVC-1", value=record)
    producer.flush()
    producer.close()
    yield isolated, cases


def _intake(settings: Settings) -> list[Any]:
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    name = settings.topic(topics.INTAKE)
    try:
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[Any] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                found += batch
        return found
    finally:
        consumer.close()


def _topics(settings: Settings) -> set[str]:
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_replay_sends_only_to_declared_topics_and_not_what_fails_again(
    planted: tuple[Settings, dict[str, Any]],
) -> None:
    settings, cases = planted
    env = settings_env(settings)
    runner = CliRunner()
    assert len(read_dead_letters(settings)) == len(cases)

    first = runner.invoke(app, ["deadletters", "replay", "--all"], env=env)
    assert first.exit_code == 3, first.output
    assert "replayed 1 of 7 dead letters; --force sends the 2 that would fail again" in first.output
    assert f"'{settings.topic_prefix}.brand-new-topic' is not a topic this deployment" in (
        first.output
    )
    assert "'elsewhere.intake' is not a topic" in first.output
    assert f"'{settings.topic_prefix}.deadletter' is not a topic" in first.output
    assert f"'hub' does not read {settings.topic_prefix}.handoff.residence" in first.output
    assert "the original does not decode" in first.output
    assert "the hub has still not received dossier DVC-0" in first.output
    (replayed,) = _intake(settings)
    assert replayed.value == cases["transient"][1]
    assert dict(replayed.headers)[REPLAY_HEADER]

    forced = runner.invoke(app, ["deadletters", "replay", "--all", "--force"], env=env)
    assert forced.exit_code == 3, forced.output
    assert "replayed 3 of 7 dead letters" in forced.output
    sent = sorted(m.value for m in _intake(settings))
    want = [cases[k][1] for k in ("transient", "transient", "undecodable", "unknown dossier")]
    assert sent == sorted(want)

    existing = _topics(settings)
    assert f"{settings.topic_prefix}.brand-new-topic" not in existing, "no topic was created"
    assert "elsewhere.intake" not in existing
