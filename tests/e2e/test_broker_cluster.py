"""Three brokers as the cluster runs them (replication 3, min ISR 2): one is killed in the middle
of a run and started again; nothing is lost, nothing doubled, and no worker is restarted."""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka_reading import read_topic
from test_reliability import _assert_correct_outcomes, _tally

from lienthong.broker.cluster import MIN_ISR, REPLICATION, SIZE, LocalCluster, cluster_settings
from lienthong.broker.probe import port_open
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.readiness import READY_PATH
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from netports import free_ports

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
DOSSIERS = 300
#: The broker dies when this share of the dossiers is published, and stays down this long.
KILL_AT = DOSSIERS // 3
DOWN_SECONDS = 3.0


def free_block(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    while True:
        (base,) = free_ports(1)
        if base + count < 65536 and not any(port_open(base + i) for i in range(count)):
            return base


@pytest.fixture
def cluster(isolated: Settings, tmp_path: Path) -> Iterator[tuple[LocalCluster, Settings]]:
    """Three brokers of this test's own; ``isolated`` gives the topic prefix and web ports."""
    port = free_block(2 * SIZE)
    settings = cluster_settings(
        isolated,
        kafka_port=port,
        kafka_controller_port=port + SIZE,
        kafka_data_dir=tmp_path / "kafka",
        kafka_heap="384m",
        kafka_start_timeout=180.0,  # three JVMs (and a log recovery) on a busy 2-core machine
    )
    cluster = LocalCluster(settings)
    try:
        cluster.start()
        yield cluster, settings
    finally:
        cluster.stop()


@dataclass
class Outage:
    """One broker killed, then started again; when each thing happened (monotonic s)."""

    cluster: LocalCluster
    node: int
    killed: float = 0.0
    restarted: float = 0.0
    answering: float = 0.0
    error: BaseException | None = None

    def kill_then_restart(self) -> threading.Thread:
        victim = self.cluster.nodes[self.node]
        assert victim.kill() is not None, "the broker was running"
        self.killed = time.monotonic()

        def restart() -> None:
            try:
                time.sleep(DOWN_SECONDS)
                self.restarted = time.monotonic()
                victim.start()
                self.answering = time.monotonic()
            except BaseException as exc:  # reported by the test
                self.error = exc

        thread = threading.Thread(target=restart, daemon=True)
        thread.start()
        return thread


def test_a_broker_killed_mid_run_loses_and_doubles_nothing(
    cluster: tuple[LocalCluster, Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brokers, settings = cluster
    assert _node_config(brokers) == {
        ("default.replication.factor", str(REPLICATION)),
        ("min.insync.replicas", str(MIN_ISR)),
        ("offsets.topic.replication.factor", str(REPLICATION)),
    }
    prepare_topics(settings)
    names = _topic_names(settings)
    assert _replicas(settings, names) == {REPLICATION}
    now = dt.datetime.now(dt.UTC)
    items = generate(
        DOSSIERS, seed=17, invalid_share=0.05, start=now - dt.timedelta(minutes=10), live=True
    )
    ids = [str(i.record["meta"]["dossier_id"]) for i in items]
    stack = LocalStack(settings, tmp_path / "logs").start()
    started = time.monotonic()
    # The first node is the one every client bootstraps from and likely a partition leader.
    outage = Outage(brokers, node=0)
    try:
        _wait_until_ready(settings, stack.names, 30)
        workers = {w.label: w.process.pid for w in stack.workers}
        with IntakePublisher(settings) as publisher:
            for i, item in enumerate(items):
                if i == KILL_AT:
                    restart = outage.kill_then_restart()
                publisher.submit(item.record, validate=False)
                if i % 10 == 9:
                    time.sleep(0.3)
        restart.join(60)
        assert outage.error is None, outage.error
        recovered = _wait_fully_replicated(brokers, names, 60) - outage.restarted
        follower = StatusFollower(settings)
        follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), 120)
        follower.close()
        finished = time.monotonic() - started
        drained = time.monotonic() - outage.killed
        alive = {w.label: w.process.pid for w in stack.workers if w.process.poll() is None}
    finally:
        stack.stop()
    lost, doubled, rereads = _tally(settings, follower, ids, tmp_path / "logs")
    with capsys.disabled():
        print(
            f"\n[cluster] {SIZE} brokers, dossiers {len(items)}, lost {len(lost)}, doubled "
            f"{len(doubled)}; broker {outage.node + 1} down "
            f"{outage.restarted - outage.killed:.1f} s, "
            f"answering {outage.answering - outage.restarted:.1f} s after its restart, every "
            f"partition fully replicated again {recovered:.1f} s after it; every dossier finished "
            f"{drained:.0f} s after the kill; run {finished:.0f} s, "
            f"worker restarts {len(workers) - len(alive)}, stalled partitions read again {rereads}"
        )
    assert alive == workers, "no worker died or was restarted"
    assert lost == [], f"{len(lost)} dossiers never finished: {lost[:5]}"
    assert doubled == [], doubled[:5]
    _assert_correct_outcomes(items, set(), follower)
    assert [d for _, _, d in read_topic(settings, "deadletter")] == [], "no dead letters"


def _wait_until_ready(settings: Settings, names: tuple[str, ...], timeout: float) -> None:
    """Every deployable's readiness page says it consumes (what Kubernetes waits for)."""
    deadline = time.monotonic() + timeout
    while waiting := [name for name in names if not _ready(settings, name)]:
        assert time.monotonic() < deadline, f"{READY_PATH} never answered 200: {waiting}"
        time.sleep(0.5)


def _ready(settings: Settings, name: str) -> bool:
    url = f"http://127.0.0.1:{settings.web_port(name)}{READY_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(**settings.kafka_client_options(), client_id="cluster-test")


def _topic_names(settings: Settings) -> list[str]:
    admin = _admin(settings)
    try:
        return [t for t in admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        admin.close()


def _replicas(settings: Settings, names: list[str]) -> set[int]:
    admin = _admin(settings)
    try:
        described = admin.describe_topics(names)
    finally:
        admin.close()
    return {len(p["replica_nodes"]) for t in described for p in t["partitions"]}


def _node_config(cluster: LocalCluster) -> set[tuple[str, str]]:
    """The replication settings every node was started with, from its server.properties."""
    keys = ("default.replication.factor", "min.insync.replicas", "offsets.topic.replication.factor")
    found = set()
    for node in cluster.nodes:
        for line in node.properties.read_text().splitlines():
            key, _, value = line.partition("=")
            if key in keys:
                found.add((key, value))
    return found


def _wait_fully_replicated(cluster: LocalCluster, names: list[str], timeout: float) -> float:
    """When every partition of ``names`` had all its replicas in sync again."""
    deadline = time.monotonic() + timeout
    while behind := cluster.under_replicated(names):
        assert time.monotonic() < deadline, f"still under-replicated: {behind[:5]}"
        time.sleep(0.2)
    return time.monotonic()
