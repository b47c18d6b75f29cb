"""Dead letters end to end: bad messages kept whole with a reason, partitions flowing, replay once.

The stack runs without health-insurance, so a CardIssued that reaches the hub before its dossier
(dead-lettered after its short wait: UnknownDossier) is the only way that step can finish:
replaying it after the submission arrived finishes the step, and replaying it again changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from typer.testing import CliRunner

from lienthong import topics
from lienthong.broker.secure import create_topics
from lienthong.cli import app as cli
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.deadletters import (
    DeadLetterEntry,
    describe,
    list_lines,
    read_dead_letters,
    select,
)
from lienthong.client.replay import REPLAY_HEADER, replay
from lienthong.client.status import partition_of
from lienthong.contracts.codec import MARKER, AvroCodec
from lienthong.contracts.events import metadata
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.runtime.app import app_id
from lienthong.runtime.stack import LocalStack, settings_env
from lienthong.settings import Settings
from lienthong.worker import INTERNAL_ROLES, prepare_topics
from netports import free_ports
from waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
CODEC = AvroCodec()
WAIT = 60.0
#: Not the fingerprint of any schema we know.
FOREIGN_FINGERPRINT = bytes.fromhex("deadbeef00112233")


@dataclass(frozen=True)
class Sent:
    """One bad message as published: what the dead letter must give back."""

    label: str
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, bytes]
    deployable: str
    error_kind: str
    reason: str


@dataclass
class Run:
    settings: Settings
    sent: dict[str, Sent]
    flowing: Synthetic
    waiting: Synthetic
    refused: Synthetic
    card_event_id: str
    follower: StatusFollower

    def id_of(self, item: Synthetic) -> str:
        return str(item.record["meta"]["dossier_id"])

    def entry(self, label: str) -> DeadLetterEntry:
        sent = self.sent[label]
        (found,) = [
            e
            for e in read_dead_letters(self.settings)
            if (e.record["topic"], e.record["partition"], e.record["offset"])
            == (sent.topic, sent.partition, sent.offset)
        ]
        return found


def _one(seed: int, now: dt.datetime, **kw: Any) -> Synthetic:
    (item,) = generate(
        1, seed=seed, twins_share=0.0, start=now - dt.timedelta(minutes=2), live=True, **kw
    )
    return item


def _wait(what: str, done: Callable[[], bool], timeout: float = WAIT) -> None:
    wait_for(what, done, timeout)


def _card_issued(dossier_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "meta": metadata("CardIssued", dossier_id, "health-insurance", now, None),
        "social_insurance_number": "0100000001",
        "card_code": "TE1010100000001",
        "valid_from": now.date(),
        "valid_until": now.date() + dt.timedelta(days=365 * 6),
        "clinic_code": "01-001",
    }


def _wait_until_served(settings: Settings) -> None:
    """A broker that has just started (or holds many topics) answers metadata before it serves
    new topics and group coordinators; workers started then get no partitions."""
    names = [settings.topic(role) for role in (*topics.ALL_ROLES, *INTERNAL_ROLES)]

    def served() -> bool:
        consumer = KafkaConsumer(**settings.kafka_client_options())
        admin = KafkaAdminClient(**settings.kafka_client_options())
        try:
            counts = [len(consumer.partitions_for_topic(n) or ()) for n in names]
            admin.describe_groups([app_id("hub", settings)])
            return all(c == settings.partitions for c in counts)
        except KafkaError:
            return False
        finally:
            consumer.close()
            admin.close()

    _wait("the broker to serve the new topics and groups", served)


@pytest.fixture(scope="module")
def run(broker: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    ports = free_ports(5)
    settings = broker.model_copy(
        update={
            "topic_prefix": f"dl{uuid.uuid4().hex[:8]}",
            "state_dir": tmp_path_factory.mktemp("state"),
            "hub_web_port": ports[0],
            "civil_registry_web_port": ports[1],
            "residence_web_port": ports[2],
            "health_insurance_web_port": ports[3],
            "hub_operator_port": ports[4],
            # the early CardIssued waits this long for its dossier before it is dead-lettered
            "unknown_dossier_wait_seconds": 1.0,
            "deadline_check_seconds": 1.0,
        }
    )
    prepare_topics(settings)
    create_topics(settings)  # Faust's changelogs too, so fresh workers do not race for them
    _wait_until_served(settings)
    names = ("hub", "civil-registry", "residence")  # no health-insurance: see the docstring
    stack = LocalStack(settings, tmp_path_factory.mktemp("logs"), names=names)
    with stack:
        now = dt.datetime.now(dt.UTC)
        flowing = _one(101, now, combinations={("civil_registry", "residence"): 1.0})
        waiting = _one(202, now, combinations={("civil_registry", "health_insurance"): 1.0})
        refused = _one(303, now, invalid_share=1.0, invalid_kinds=("invalid_phone",))
        assert refused.invalid == "invalid_phone"
        ids = {str(i.record["meta"]["dossier_id"]) for i in (flowing, waiting, refused)}
        assert len(ids) == 3

        withdrawn = CODEC.encode(
            "DossierWithdrawn",
            {"meta": metadata("DossierWithdrawn", "X-1", "portal", now, None), "reason": ""},
        )
        card = _card_issued(str(waiting.record["meta"]["dossier_id"]), now)
        key = str(flowing.record["meta"]["dossier_id"]).encode()
        bad = [
            (
                "garbage",
                topics.INTAKE,
                key,
                b"\x00\x01 not Avro at all",
                "hub",
                "NotSingleObjectEncoded",
                "not an Avro single-object message",
            ),
            (
                "foreign",
                topics.INTAKE,
                key,
                MARKER + FOREIGN_FINGERPRINT + withdrawn[10:],
                "hub",
                "UnknownFingerprint",
                "unknown schema fingerprint deadbeef00112233",
            ),
            (
                "wrong-type",
                topics.handoff("residence"),
                key,
                withdrawn,
                "residence",
                "WrongEventType",
                "not DossierWithdrawn",
            ),
            (
                "too-early",
                topics.completion("health_insurance"),
                str(card["meta"]["dossier_id"]).encode(),
                CODEC.encode("CardIssued", card),
                "hub",
                "UnknownDossier",
                "was ever received",
            ),
        ]
        producer = KafkaProducer(**settings.kafka_client_options())
        sent: dict[str, Sent] = {}
        for label, role, k, value, deployable, kind, reason in bad:
            headers = {"trace": f"test-{label}".encode(), "source": b"\xff\x00binary"}
            meta = producer.send(
                settings.topic(role), key=k, value=value, headers=list(headers.items())
            ).get(timeout=10)
            sent[label] = Sent(
                label,
                meta.topic,
                meta.partition,
                meta.offset,
                k,
                value,
                headers,
                deployable,
                kind,
                reason,
            )
        producer.close()
        _wait("4 dead letters", lambda: len(read_dead_letters(settings)) == 4)

        with IntakePublisher(settings) as publisher:
            for item in (refused, flowing, waiting):
                publisher.submit(item.record, validate=False)
        follower = StatusFollower(settings)
        waiting_id = str(waiting.record["meta"]["dossier_id"])

        def handed_to_health_insurance() -> bool:
            t = follower.timelines.get(waiting_id)
            return t is not None and any(
                r["step"] == "health_insurance" for r in t.of("StepHandedOff")
            )

        try:
            follower.wait_until(
                lambda t: (
                    len(follower.finished(ids - {waiting_id})) == 2 and handed_to_health_insurance()
                ),
                WAIT,
            )
            yield Run(
                settings, sent, flowing, waiting, refused, str(card["meta"]["event_id"]), follower
            )
        finally:
            follower.close()


def test_each_bad_message_is_kept_whole_with_a_readable_reason(run: Run) -> None:
    entries = read_dead_letters(run.settings)
    assert len(entries) == len(run.sent) == 4
    for sent in run.sent.values():
        r = run.entry(sent.label).record
        assert r["key"] == sent.key, sent.label
        assert r["value"] == sent.value, sent.label
        assert r["headers"] == sent.headers, sent.label
        assert r["deployable"] == sent.deployable, sent.label
        assert r["error_kind"] == sent.error_kind, sent.label
        assert sent.reason in r["reason"], (sent.label, r["reason"])
        assert r["failed_at"] <= dt.datetime.now(dt.UTC)


def test_a_dossier_breaking_a_rule_is_rejected_not_dead_lettered(run: Run) -> None:
    refused_id = run.id_of(run.refused)
    name, final = run.follower.timelines[refused_id].final  # type: ignore[misc]
    assert name == "DossierRejected"
    assert "invalid_phone" in {reason["code"] for reason in final["reasons"]}
    entries = read_dead_letters(run.settings)
    assert not [e for e in entries if e.record["key"] == refused_id.encode()]


def test_the_partition_keeps_flowing_after_bad_messages(run: Run) -> None:
    flowing_id = run.id_of(run.flowing)
    name, final = run.follower.timelines[flowing_id].final  # type: ignore[misc]
    assert (name, final["outcome"]) == ("DossierFinished", "COMPLETED")
    partition = partition_of(flowing_id, run.settings.partitions)
    for label in ("garbage", "foreign", "wrong-type"):
        assert run.sent[label].partition == partition, "the bad messages sat in its way"


def test_list_and_show_say_what_and_why(run: Run) -> None:
    lines = list_lines(read_dead_letters(run.settings))
    assert len(lines) == 4
    text = "\n".join(lines)
    for sent in run.sent.values():
        assert sent.error_kind in text
        assert f"{sent.topic}[{sent.partition}]@{sent.offset}" in text
    assert "CardIssued" in text and "undecodable" in text

    too_early = "\n".join(describe(run.entry("too-early")))
    assert "CardIssued" in too_early and run.id_of(run.waiting) in too_early
    assert run.card_event_id in too_early and "header      trace = test-too-early" in too_early
    garbage = "\n".join(describe(run.entry("garbage")))
    assert "not decodable" in garbage and "00 01 20 6e 6f 74" in garbage
    assert "header      source = ff 00 62" in garbage


def test_ids_name_one_dead_letter_or_fail_clearly(run: Run) -> None:
    from lienthong.errors import ClientError

    entries = read_dead_letters(run.settings)
    entry = run.entry("wrong-type")
    assert select(entries, [entry.position]) == [entry]
    assert select(entries, [entry.event_id[:8]]) == [entry]
    assert select(entries, [entry.source]) == [entry]
    assert select(entries, [run.card_event_id]) == [run.entry("too-early")]
    with pytest.raises(ClientError, match="no dead letter"):
        select(entries, ["9:999999"])


def _committed(settings: Settings, group: str, tp: TopicPartition) -> int:
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        offsets = admin.list_group_offsets({group: [tp]})[group]
    finally:
        admin.close()
    meta = offsets.get(tp)
    return -1 if meta is None else int(meta.offset)


def test_replaying_twice_finishes_the_step_once(run: Run) -> None:
    waiting_id = run.id_of(run.waiting)
    assert run.follower.timelines[waiting_id].final is None, "no card yet: the step waits"
    entries = read_dead_letters(run.settings)
    chosen = select(entries, [run.card_event_id])

    first, skipped = replay(run.settings, chosen)
    second, skipped_again = replay(run.settings, chosen)
    assert not skipped and not skipped_again, "its dossier is known now: nothing to refuse"
    assert [r.topic for r in first + second] == [run.sent["too-early"].topic] * 2
    tp = TopicPartition(second[0].topic, second[0].partition)
    group = app_id("hub", run.settings)
    _wait(
        "the hub to pass both replays",
        lambda: _committed(run.settings, group, tp) > second[0].offset,
    )

    run.follower.wait_until(lambda t: t[waiting_id].final is not None, WAIT)
    run.follower.poll()
    timeline = run.follower.timelines[waiting_id]
    name, final = timeline.final  # type: ignore[misc]
    assert (name, final["outcome"]) == ("DossierFinished", "COMPLETED")
    card_steps = [r for r in timeline.of("StepFinished") if r["step"] == "health_insurance"]
    assert len(card_steps) == 1, "the second replay changed nothing"
    assert len(timeline.of("DossierFinished")) == 1
    assert len(read_dead_letters(run.settings)) == 4, "the replays were not dead-lettered"

    consumer = KafkaConsumer(**run.settings.kafka_client_options(), enable_auto_commit=False)
    try:
        consumer.assign([tp])
        consumer.seek(tp, first[0].offset)
        (message,) = consumer.poll(timeout_ms=5000, max_records=1)[tp]
    finally:
        consumer.close()
    original = run.sent["too-early"]
    assert (message.key, message.value) == (original.key, original.value)
    assert dict(message.headers) == {**original.headers, REPLAY_HEADER: chosen[0].event_id.encode()}


def test_the_cli_lists_shows_and_refuses_an_empty_replay(run: Run) -> None:
    runner = CliRunner()
    env = settings_env(run.settings)
    listed = runner.invoke(cli, ["deadletters", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "4 dead letters" in listed.output and "UnknownDossier" in listed.output
    position = run.entry("foreign").position
    shown = runner.invoke(cli, ["deadletters", "show", position], env=env)
    assert shown.exit_code == 0, shown.output
    assert "UnknownFingerprint" in shown.output and "not decodable" in shown.output
    refused = runner.invoke(cli, ["deadletters", "replay"], env=env)
    assert refused.exit_code == 2


def test_replay_refuses_what_would_fail_again(run: Run) -> None:
    doomed = [run.entry(label) for label in ("garbage", "foreign")]
    intake = run.settings.topic(topics.INTAKE)
    before = _end_offsets(run.settings, intake)
    runner = CliRunner()
    env = settings_env(run.settings)
    refused = runner.invoke(cli, ["deadletters", "replay", *(e.position for e in doomed)], env=env)
    assert refused.exit_code == 3, refused.output
    for entry in doomed:
        assert f"{entry.position} skipped: it would fail again: the original does not decode" in (
            refused.output
        )
    assert "replayed 0 of 2 dead letters; --force sends the 2" in refused.output
    assert _end_offsets(run.settings, intake) == before, "nothing went back to the intake topic"


def _end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(**settings.kafka_client_options())
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()
