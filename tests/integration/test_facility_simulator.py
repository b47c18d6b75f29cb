"""`lienthong facility` publishes birth notices on the real broker as a hospital would: one per
baby (twins are two), keyed by their certificate's dossier, consent as drawn, valid notices."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from typer.testing import CliRunner

from lienthong import cli, topics
from lienthong.contracts.codec import AvroCodec
from lienthong.groups.birth.notice import NOTICE, dossier_id_of
from lienthong.runtime.stack import settings_env
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = pytest.mark.broker


def _intake(settings: Settings) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    try:
        name = settings.topic(topics.INTAKE)
        parts = [TopicPartition(name, p) for p in range(settings.partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[tuple[bytes, bytes]] = []
        while any(consumer.position(p) < ends[p] for p in parts):
            found += [(m.key, m.value) for b in consumer.poll(500).values() for m in b]
        return found
    finally:
        consumer.close()


def test_the_facility_simulator_publishes_valid_notices(isolated: Settings, tmp_path: Path) -> None:
    prepare_topics(isolated)
    parts = tmp_path / "parts.jsonl"
    args = ["facility", "--births", "12", "--seed", "7", "--consent-share", "0.5"]
    result = CliRunner().invoke(
        cli.app, [*args, "--family-parts", str(parts)], env=settings_env(isolated)
    )
    assert result.exit_code == 0, result.output
    codec = AvroCodec()
    notices = [(key, codec.decode(value)) for key, value in _intake(isolated)]
    assert len(notices) >= 12 and {d.name for _, d in notices} == {"BirthNoticeIssued"}
    now = dt.datetime.now(dt.UTC)
    for key, decoded in notices:
        notice = NOTICE.validate(decoded.record, now)  # raises when a rule is broken
        assert key.decode() == dossier_id_of(notice["certificate_code"])
    agreed = {
        str(d.record["meta"]["dossier_id"]) for _, d in notices if d.record["registration_consent"]
    }
    assert 0 < len(agreed) < len(notices)
    written = [json.loads(line) for line in parts.read_text().splitlines()]
    assert {w["dossier_id"] for w in written} == agreed
    assert all(w["given_name"] and w["procedures"].startswith("civil_registry") for w in written)
