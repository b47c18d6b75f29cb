"""Nothing lost, nothing doubled: random SIGKILLs and a broker restart under load; scale-out;
a clean SIGTERM; no personal data in the logs."""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka_reading import read_topic
from scenario import free_ports

from lienthong.broker.local import LocalBroker
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.publisher import resubmit_unreceived
from lienthong.contracts.codec import MARKER
from lienthong.groups.birth.breakers import with_agency_refusals
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.runtime.app import app_id
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.topics import DEPLOYABLES
from lienthong.worker import prepare_topics

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
DOSSIERS = int(os.environ.get("LIENTHONG_CHAOS_DOSSIERS", "2000"))
#: The chaos goes on after the last dossier is published until this many workers were killed.
MIN_KILLS = int(os.environ.get("LIENTHONG_CHAOS_KILLS", "20"))


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[tuple[LocalBroker, Settings]]:
    """A broker of this test's own, so the test may restart it."""
    kafka, controller, *web = free_ports(7)
    settings = Settings(
        kafka_port=kafka,
        kafka_controller_port=controller,
        bootstrap_servers=f"127.0.0.1:{kafka}",
        kafka_data_dir=tmp_path / "kafka",
        topic_prefix=f"c{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path / "state",
        hub_web_port=web[0],
        civil_registry_web_port=web[1],
        residence_web_port=web[2],
        health_insurance_web_port=web[3],
        hub_operator_port=web[4],
        deadline_check_seconds=2.0,
        resend_after_seconds=15.0,
    )
    broker = LocalBroker(settings)
    broker.start()
    try:
        yield broker, settings
    finally:
        broker.stop()


class Chaos(threading.Thread):
    """Kills a random worker of every deployable in turn, restarts it; restarts the broker once."""

    def __init__(self, stack: LocalStack, broker: LocalBroker, seed: int) -> None:
        super().__init__(daemon=True)
        self.stack, self.broker, self.rng = stack, broker, random.Random(seed)
        self.halt = threading.Event()
        self.kills = self.restarts = self.broker_restarts = 0
        self.killed: set[str] = set()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            rounds = 0
            while not self.halt.wait(self.rng.uniform(1.5, 4.0)):
                order = list(DEPLOYABLES)
                self.rng.shuffle(order)
                name = (
                    order[0]
                    if self.killed >= set(DEPLOYABLES)
                    else next(n for n in order if n not in self.killed)
                )
                worker = next((w for w in self.stack.workers if w.name == name), None)
                if worker is None:  # being revived by the supervisor
                    continue
                self.stack.kill(worker)
                self.kills += 1
                self.killed.add(name)
                time.sleep(self.rng.uniform(0.2, 1.5))
                self.stack.spawn(name)
                self.restarts += 1
                rounds += 1
                if rounds == 3:
                    self.broker.stop()
                    self.broker.start()
                    self.broker_restarts += 1
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)


def _bad_inputs(rng: random.Random) -> list[bytes]:
    garbage = [rng.randbytes(rng.randint(1, 200)) for _ in range(3)]
    unknown = [MARKER + rng.randbytes(8) + b"\x02\x04" for _ in range(2)]
    return garbage + unknown


@pytest.mark.chaos
def test_chaos_nothing_lost_nothing_doubled(
    own_broker: tuple[LocalBroker, Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker, settings = own_broker
    seed = int(os.environ.get("LIENTHONG_CHAOS_SEED", random.SystemRandom().randrange(10**6)))
    with capsys.disabled():  # shown even when pytest captures output: a failure can be replayed
        print(f"\n[chaos] seed {seed} (replay: LIENTHONG_CHAOS_SEED={seed} make chaos)")
    rng = random.Random(seed)
    prepare_topics(settings)
    now = dt.datetime.now(dt.UTC)
    items = generate(
        DOSSIERS,
        seed=seed,
        invalid_share=0.05,
        twins_share=0.05,
        start=now - dt.timedelta(seconds=DOSSIERS + 120),
        live=True,
    )
    refused = set(with_agency_refusals(items, 0.03, seed))
    bad = _bad_inputs(rng)
    stack = LocalStack(settings, tmp_path / "logs", supervise=True).start()
    chaos = Chaos(stack, broker, seed)
    started = time.monotonic()
    try:
        chaos.start()
        with IntakePublisher(settings) as publisher:
            for i, item in enumerate(items):
                publisher.submit(item.record, validate=False)
                if i % 400 == 0:
                    publisher.send_raw(b"bad", bad[(i // 400) % len(bad)])
                if i % 50 == 0:
                    time.sleep(0.5)
            for value in bad[len(items) // 400 + 1 :]:
                publisher.send_raw(b"bad", value)
        while (
            chaos.killed < set(DEPLOYABLES) or chaos.kills < MIN_KILLS
        ) and time.monotonic() - started < 120:
            time.sleep(0.5)
        chaos.halt.set()
        chaos.join()
        assert not chaos.errors, chaos.errors
        ids = [str(i.record["meta"]["dossier_id"]) for i in items]
        follower = StatusFollower(settings)
        records = {str(i.record["meta"]["dossier_id"]): i.record for i in items}
        resubmitted: set[str] = set()
        deadline = time.monotonic() + 300
        with IntakePublisher(settings) as publisher:
            while time.monotonic() < deadline and len(follower.finished(ids)) < len(ids):
                follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), 30)
                # As an integrator does: publish again what got no receipt (same event id).
                resubmitted |= set(resubmit_unreceived(publisher, records, set(follower.timelines)))
        follower.close()
    finally:
        stack.stop()
    lost, doubled, rereads = _tally(settings, follower, ids, tmp_path / "logs")
    with capsys.disabled():
        print(
            f"[chaos] dossiers {len(items)}, kills {chaos.kills}, worker restarts "
            f"{chaos.restarts} (+{stack.revived} by the supervisor), broker restarts "
            f"{chaos.broker_restarts}, lost {len(lost)}, doubled {len(doubled)}, "
            f"{time.monotonic() - started:.0f} s; published again for want of a receipt "
            f"{len(resubmitted)}, partitions read again from their committed offset {rereads}"
        )
    assert chaos.killed == set(DEPLOYABLES) and chaos.broker_restarts == 1
    assert chaos.kills >= MIN_KILLS
    assert lost == [], f"{len(lost)} dossiers never finished: {lost[:5]}"
    assert doubled == [], doubled[:5]
    _assert_correct_outcomes(items, refused, follower)
    _assert_one_registration_per_child(settings)
    letters = [d.record for _, _, d in read_topic(settings, "deadletter") if d]
    assert letters and {bytes(r["value"]) for r in letters} <= set(bad), (
        "the dead-letter topic holds only the deliberately bad inputs"
    )
    _assert_no_personal_data_in_logs(items, tmp_path / "logs")


def _tally(
    settings: Settings, follower: StatusFollower, ids: list[str], logs: Path
) -> tuple[list[str], list[str], int]:
    """Dossiers never final, dossiers with two outcomes, and partitions the workers read again."""
    lost = [i for i in ids if i not in follower.timelines or follower.timelines[i].final is None]
    rereads = sum(_count_in_logs(logs, ": reading again from offset"))
    return lost, _doubled(settings, follower), rereads


def _count_in_logs(logs: Path, text: str) -> list[int]:
    return [p.read_text(errors="replace").count(text) for p in logs.glob("*.log")]


def _doubled(settings: Settings, follower: StatusFollower) -> list[str]:
    """Dossiers with more than one final outcome: two final events, or one told two ways.

    A repeat of the same final event (same id, same outcome) is not a double: readers ignore it.
    """
    finals: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for _, _, decoded in read_topic(settings, "status"):
        if decoded and decoded.name in ("DossierFinished", "DossierRejected"):
            meta = decoded.record["meta"]
            outcome = str(decoded.record.get("outcome", "REJECTED"))
            finals[str(meta["dossier_id"])].add((decoded.name, str(meta["event_id"]), outcome))
    return [f"{d}: {sorted(events)}" for d, events in finals.items() if len(events) > 1]


def _assert_correct_outcomes(
    items: list[Synthetic], refused: set[str], follower: StatusFollower
) -> None:
    for item in items:
        dossier_id = str(item.record["meta"]["dossier_id"])
        final = follower.timelines[dossier_id].final
        assert final is not None
        name, record = final
        if item.invalid:
            assert name == "DossierRejected" and item.invalid in {
                r["code"] for r in record["reasons"]
            }, dossier_id
        else:
            expected = "PARTLY_COMPLETED" if dossier_id in refused else "COMPLETED"
            assert (name, record["outcome"]) == ("DossierFinished", expected), dossier_id


def _assert_one_registration_per_child(settings: Settings) -> None:
    """Every register: one number per child; repeats of an answer are the same answer."""
    for role, schema, number in (
        ("completion.civil-registry", "BirthRegistered", "registration_number"),
        ("completion.health-insurance", "CardIssued", "card_code"),
        ("completion.residence", "ResidenceRegistered", "confirmation_ref"),
    ):
        by_dossier: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for key, _, decoded in read_topic(settings, role):
            if decoded and decoded.name == schema:
                r = decoded.record
                by_dossier[key.decode()].add((str(r["meta"]["event_id"]), r[number]))
        for dossier_id, answers in by_dossier.items():
            assert len(answers) == 1, f"{role}: {dossier_id} answered differently: {answers}"
        numbers = [next(iter(a))[1] for a in by_dossier.values()]
        assert len(numbers) == len(set(numbers)), f"{role}: a number was given twice"


def _assert_no_personal_data_in_logs(items: list[Synthetic], logs: Path) -> None:
    text = "\n".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    assert text, "the run wrote logs"
    assert "\x1b[" not in text, "terminal control codes in a log file"
    for item in items[:300]:
        record = item.record
        for value in (
            record["mother"]["full_name"],
            record["mother"]["personal_id"],
            record["applicant"]["phone"],
            record["child"]["given_name"] + " ",
        ):
            if len(value.strip()) > 4:
                assert value not in text, "personal data in the logs"


def test_two_workers_share_an_agency_and_survive_one_dying(
    isolated: Settings, tmp_path: Path
) -> None:
    isolated = isolated.model_copy(
        update={"deadline_check_seconds": 2.0, "resend_after_seconds": 15.0}
    )
    prepare_topics(isolated)
    stack = LocalStack(isolated, tmp_path / "logs").start()
    try:
        second = stack.spawn("residence", index=1)
        stack.wait_ready(60, ("residence",))
        group = app_id("residence", isolated)
        _wait_for_members(isolated, group, 2)
        now = dt.datetime.now(dt.UTC)
        items = [
            i
            for i in generate(120, seed=5, start=now - dt.timedelta(minutes=5), live=True)
            if not i.invalid
        ]
        half = len(items) // 2
        follower = StatusFollower(isolated)
        with IntakePublisher(isolated) as publisher:
            for item in items[:half]:
                publisher.submit(item.record, validate=False)
        first_ids = [str(i.record["meta"]["dossier_id"]) for i in items[:half]]
        assert follower.wait_until(lambda _: len(follower.finished(first_ids)) == half, 60)
        stack.kill(second)
        with IntakePublisher(isolated) as publisher:
            for item in items[half:]:
                publisher.submit(item.record, validate=False)
        ids = [str(i.record["meta"]["dossier_id"]) for i in items]
        assert follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), 90)
        follower.close()
    finally:
        stack.stop()


def _wait_for_members(settings: Settings, group: str, count: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            info = admin.describe_groups([group])[group]
            if info["group_state"] == "Stable" and len(info["members"]) == count:
                return
            time.sleep(0.5)
        raise AssertionError(f"{group} never had {count} stable members")
    finally:
        admin.close()


def test_sigterm_is_clean(isolated: Settings, tmp_path: Path) -> None:
    prepare_topics(isolated)
    stack = LocalStack(isolated, tmp_path / "logs").start()
    try:
        now = dt.datetime.now(dt.UTC)
        items = [
            i
            for i in generate(40, seed=6, start=now - dt.timedelta(minutes=5), live=True)
            if not i.invalid
        ]
        with IntakePublisher(isolated) as publisher:
            for item in items:
                publisher.submit(item.record, validate=False)
        ids = [str(i.record["meta"]["dossier_id"]) for i in items]
        follower = StatusFollower(isolated)
        assert follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), 60)
        follower.close()
        for worker in list(stack.workers):
            started = time.monotonic()
            assert stack.terminate(worker, timeout=30) == 0, f"{worker.label} exit code"
            assert time.monotonic() - started < 30
    finally:
        stack.stop()
    _assert_everything_committed(isolated)


def _assert_everything_committed(settings: Settings) -> None:
    """After a clean stop, each deployable's committed offsets reach the end of its inputs."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        for name, role in (
            ("hub", "intake"),
            ("residence", "handoff.residence"),
            ("health-insurance", "handoff.health-insurance"),
        ):
            topic = settings.topic(role)
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            ends = consumer.end_offsets(parts)
            group = app_id(name, settings)
            committed = admin.list_group_offsets({group: parts})[group]
            for tp in parts:
                if ends[tp]:
                    assert committed[tp].offset == ends[tp], (name, tp, committed[tp], ends[tp])
    finally:
        consumer.close()
        admin.close()
