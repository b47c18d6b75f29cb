"""The boundary, tried from outside: forged, misplaced, compressed and oversized messages.

Two hub workers run (as the cluster does), with civil-registry and residence; there is no
health-insurance processor, so a card can only come from "an agency's own system": kcat, a
librdkafka client that hashes keys with CRC32 as most non-Java clients do.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from lienthong import topics
from lienthong.broker.secure import create_topics
from lienthong.client import StatusFollower
from lienthong.client.deadletters import DeadLetterEntry, read_dead_letters
from lienthong.client.status import Timeline, partition_of
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import metadata
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from netports import fresh_settings
from waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
CODEC = AvroCodec()
WAIT = 90.0
Record = dict[str, Any]
BIRTH_RESIDENCE = {("civil_registry", "residence"): 1.0}
BIRTH_CARD = {("civil_registry", "health_insurance"): 1.0}


def _wait(what: str, done: Callable[[], bool], timeout: float = WAIT) -> None:
    wait_for(what, done, timeout)


def _settings(broker: Settings, tmp: Path, prefix: str) -> Settings:
    return fresh_settings(broker, tmp / "state", prefix)


class Outside:
    """What the world outside publishes and what it can read back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.follower = StatusFollower(settings)
        self.seed = 1000

    def dossiers(
        self, count: int, combinations: dict[tuple[str, ...], float], ago: float = 120
    ) -> list[Record]:
        """Valid dossiers that say they were submitted ``ago`` seconds before now."""
        self.seed += 1
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=ago)
        made: list[Synthetic] = generate(
            count, seed=self.seed, twins_share=0.0, start=start, live=True,
            combinations=combinations,
        )  # fmt: skip
        return [item.record for item in made]

    def produce(self, role: str, key: str, value: bytes, **options: Any) -> tuple[int, int]:
        """Publish with kafka-python (Java's partitioner); the partition and offset."""
        producer = KafkaProducer(**self.settings.kafka_client_options(), **options)
        try:
            meta = producer.send(self.settings.topic(role), key=key.encode(), value=value)
            sent = meta.get(timeout=30)
            return sent.partition, sent.offset
        finally:
            producer.close()

    def kcat(self, role: str, key: str, value: bytes, codec: str = "none") -> None:
        """Publish as a librdkafka client does: CRC32 of the key picks the partition."""
        tool = shutil.which("kcat")
        assert tool, "kcat is needed (make deps installs it from Debian's packages)"
        with tempfile.NamedTemporaryFile(suffix=".avro") as message:
            message.write(value)
            message.flush()
            # A file argument is sent whole as one message (stdin would be split at newlines).
            command = [
                tool, "-P", "-b", self.settings.bootstrap_servers,
                "-t", self.settings.topic(role), "-k", key, "-z", codec,
                "-X", "topic.partitioner=consistent_random", message.name,
            ]  # fmt: skip
            subprocess.run(command, check=True, timeout=30, capture_output=True)

    def timeline(self, dossier_id: str) -> Timeline:
        self.follower.poll()
        return self.follower.timelines.get(dossier_id) or Timeline(dossier_id)

    def final(self, dossier_id: str, timeout: float = WAIT) -> tuple[str, Record]:
        _wait(f"{dossier_id} to finish", lambda: self.timeline(dossier_id).final is not None,
              timeout)  # fmt: skip
        final = self.timeline(dossier_id).final
        assert final is not None
        return final

    def dead_letter(self, where: Callable[[DeadLetterEntry], bool]) -> DeadLetterEntry:
        found: list[DeadLetterEntry] = []

        def seen() -> bool:
            found[:] = [e for e in read_dead_letters(self.settings) if where(e)]
            return bool(found)

        _wait("the dead letter", seen)
        assert len(found) == 1, f"one dead letter expected, {len(found)} found"
        return found[0]


def _submitted(record: Record) -> bytes:
    return CODEC.encode("DossierSubmitted", record)


def _id(record: Record) -> str:
    return str(record["meta"]["dossier_id"])


def _about(dossier_id: str) -> Callable[[DeadLetterEntry], bool]:
    return lambda e: (e.record["key"] or b"").decode(errors="replace") == dossier_id


@pytest.fixture(scope="module")
def outside(broker: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outside]:
    tmp = tmp_path_factory.mktemp("boundary")
    settings = _settings(broker, tmp, "bd")
    prepare_topics(settings)
    create_topics(settings)
    stack = LocalStack(settings, tmp / "logs", names=())
    with stack:
        for name, index in (("hub", 0), ("hub", 1), ("civil-registry", 0), ("residence", 0)):
            stack.spawn(name, index)
        stack.wait_ready(120, ("hub", "civil-registry", "residence"))
        world = Outside(settings)
        yield world
        world.follower.close()


def test_results_forged_on_intake_change_nothing(outside: Outside) -> None:
    (record,) = outside.dossiers(1, BIRTH_RESIDENCE)
    dossier_id = _id(record)
    now = dt.datetime.now(dt.UTC)
    forged = {
        "meta": metadata("ResidenceRegistered", dossier_id, "integrator", now, None),
        "confirmation_ref": "FORGED-BY-INTEGRATOR",
        "registered_on": now.date(),
        "address": record["residence"]["address"],
        "head_of_household": "Forged",
    }
    # The forgery goes first: it must not count even once the dossier is open.
    outside.produce(topics.INTAKE, dossier_id, _submitted(record))
    _wait("the receipt", lambda: bool(outside.timeline(dossier_id).of("DossierReceived")))
    outside.produce(topics.INTAKE, dossier_id, CODEC.encode("ResidenceRegistered", forged))
    name, final = outside.final(dossier_id)
    assert name == "DossierFinished" and final["outcome"] == "COMPLETED"
    residence = [e for e in outside.timeline(dossier_id).of("StepFinished")
                 if e["step"] == "residence"]  # fmt: skip
    assert len(residence) == 1
    assert residence[0]["result_ref"] != "FORGED-BY-INTEGRATOR"
    letter = outside.dead_letter(_about(dossier_id))
    assert letter.record["error_kind"] == "WrongEventType"
    assert letter.record["topic"] == outside.settings.topic(topics.INTAKE)
    assert "not ResidenceRegistered" in letter.record["reason"]


def test_a_dossier_on_a_completion_topic_is_no_dossier(outside: Outside) -> None:
    (record,) = outside.dossiers(1, BIRTH_RESIDENCE)
    dossier_id = _id(record)
    outside.produce(topics.completion("residence"), dossier_id, _submitted(record))
    letter = outside.dead_letter(_about(dossier_id))
    assert letter.record["error_kind"] == "WrongEventType"
    assert "not DossierSubmitted" in letter.record["reason"]
    time.sleep(2)
    assert outside.timeline(dossier_id).events == []


def test_an_agency_answers_only_for_its_own_step(outside: Outside) -> None:
    (record,) = outside.dossiers(1, BIRTH_RESIDENCE)
    dossier_id = _id(record)
    now = dt.datetime.now(dt.UTC)
    refusal = {
        "meta": metadata("StepRejected", dossier_id, "residence", now, None),
        "step": "civil_registry",
        "reason_code": "forged",
        "reason": "the police refuse the birth registration",
    }
    outside.produce(topics.INTAKE, dossier_id, _submitted(record))
    _wait("the receipt", lambda: bool(outside.timeline(dossier_id).of("DossierReceived")))
    outside.produce(topics.completion("residence"), dossier_id,
                    CODEC.encode("StepRejected", refusal))  # fmt: skip
    letter = outside.dead_letter(_about(dossier_id))
    assert "answers only for the step residence" in letter.record["reason"]
    _name, final = outside.final(dossier_id)
    assert final["outcome"] == "COMPLETED"


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_every_compression_codec_is_read(outside: Outside, codec: str) -> None:
    first, second = outside.dossiers(2, BIRTH_RESIDENCE)
    outside.kcat(topics.INTAKE, _id(first), _submitted(first), codec=codec)
    outside.produce(topics.INTAKE, _id(second), _submitted(second), compression_type=codec)
    for record in (first, second):
        name, final = outside.final(_id(record))
        assert (name, final["outcome"]) == ("DossierFinished", "COMPLETED")


def _misplaced(records: list[Record], partitions: int) -> Record:
    """A dossier whose CRC32 partition (librdkafka's) is not its murmur2 partition (Java's)."""
    for record in records:
        key = _id(record).encode()
        if zlib.crc32(key) % partitions != partition_of(_id(record), partitions):
            return record
    raise AssertionError("no dossier whose partitioners disagree: generate more")


def test_dossiers_and_answers_placed_by_crc32_meet_in_one_hub(outside: Outside) -> None:
    settings = outside.settings
    record = _misplaced(outside.dossiers(8, BIRTH_CARD), settings.partitions)
    dossier_id = _id(record)
    outside.kcat(topics.INTAKE, dossier_id, _submitted(record))
    handed = lambda: any(e["step"] == "health_insurance"  # noqa: E731
                         for e in outside.timeline(dossier_id).of("StepHandedOff"))  # fmt: skip
    _wait("the card handoff", handed)
    now = dt.datetime.now(dt.UTC)
    card = {
        "meta": metadata("CardIssued", dossier_id, "health-insurance", now, None),
        "social_insurance_number": "0100000009",
        "card_code": "TE1010100000009",
        "valid_from": now.date(),
        "valid_until": now.date() + dt.timedelta(days=365 * 6),
        "clinic_code": "01-001",
    }
    outside.kcat(
        topics.completion("health_insurance"), dossier_id, CODEC.encode("CardIssued", card)
    )
    name, final = outside.final(dossier_id)
    assert (name, final["outcome"]) == ("DossierFinished", "COMPLETED")
    # Both messages really sat on another partition than the hub's own partitioner gives.
    expected = partition_of(dossier_id, settings.partitions)
    for role in (topics.INTAKE, topics.completion("health_insurance")):
        crc32 = zlib.crc32(dossier_id.encode()) % settings.partitions
        assert _partitions_holding(settings, role, dossier_id) == {crc32}
        assert expected not in _partitions_holding(settings, role, dossier_id)


def _partitions_holding(settings: Settings, role: str, key: str) -> set[int]:
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    try:
        name = settings.topic(role)
        parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(parts)
        found: set[int] = set()
        deadline = time.monotonic() + 20
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for tp, messages in consumer.poll(timeout_ms=500).items():
                found |= {tp.partition for m in messages if m.key == key.encode()}
            assert time.monotonic() < deadline
        return found
    finally:
        consumer.close()


def test_an_oversized_dossier_is_a_dead_letter_and_the_partition_flows(outside: Outside) -> None:
    big, *others = outside.dossiers(12, BIRTH_RESIDENCE)
    big["child"]["given_name"] = "A" * 900_000
    dossier_id = _id(big)
    partition, offset = outside.produce(topics.INTAKE, dossier_id, _submitted(big),
                                        max_request_size=2_000_000)  # fmt: skip
    # A valid dossier behind it on the same partition still completes.
    after = next(r for r in others
                 if partition_of(_id(r), outside.settings.partitions) == partition)  # fmt: skip
    outside.produce(topics.INTAKE, _id(after), _submitted(after))
    letter = outside.dead_letter(_about(dossier_id))
    assert letter.record["error_kind"] == "MessageTooLarge"
    assert (letter.record["partition"], letter.record["offset"]) == (partition, offset)
    assert len(letter.record["reason"]) < 1000
    _name, final = outside.final(_id(after))
    assert final["outcome"] == "COMPLETED"
    assert outside.timeline(dossier_id).events == []


def test_a_submission_time_from_the_future_is_refused(outside: Outside) -> None:
    (record,) = outside.dossiers(1, BIRTH_RESIDENCE)
    record["submitted_at"] = dt.datetime.now(dt.UTC) + dt.timedelta(days=50)
    outside.produce(topics.INTAKE, _id(record), _submitted(record))
    name, final = outside.final(_id(record))
    assert name == "DossierRejected"
    assert "submitted_in_future" in [r["code"] for r in final["reasons"]]
    assert not outside.timeline(_id(record)).of("DossierReceived")


def test_the_legal_clock_starts_when_the_hub_receives(outside: Outside) -> None:
    (record,) = outside.dossiers(1, BIRTH_RESIDENCE, ago=4 * 86400)
    before = dt.datetime.now(dt.UTC)
    outside.produce(topics.INTAKE, _id(record), _submitted(record))
    _wait("the receipt", lambda: bool(outside.timeline(_id(record)).of("DossierReceived")))
    (received,) = outside.timeline(_id(record)).of("DossierReceived")
    # Counted from today's receipt (today, or the next working day), never 4 days back.
    today = before.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert received["received_on"] >= today
    assert received["due_at"] > before


def test_an_output_the_broker_refuses_dead_letters_its_cause(
    broker: Settings, tmp_path: Path
) -> None:
    """The status topic accepts only 200-byte messages: every receipt is refused for good. The
    hub dead-letters each dossier (no retry loop, no crash) and goes on to the next."""
    settings = _settings(broker, tmp_path, "rf")
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        admin.create_topics([NewTopic(settings.topic(topics.STATUS), settings.partitions, 1,
                                      topic_configs={"max.message.bytes": "200"})])  # fmt: skip
    finally:
        admin.close()
    prepare_topics(settings)
    create_topics(settings)
    world = Outside(settings)
    with LocalStack(settings, tmp_path / "logs", names=("hub",)) as stack:
        records = world.dossiers(3, BIRTH_RESIDENCE)
        for record in records:
            world.produce(topics.INTAKE, _id(record), _submitted(record))
        for record in records:
            letter = world.dead_letter(_about(_id(record)))
            assert letter.record["error_kind"] == "PublishRefused"
            assert "MessageSizeTooLarge" in letter.record["reason"]
        assert all(w.process.poll() is None for w in stack.workers)
    world.follower.close()
