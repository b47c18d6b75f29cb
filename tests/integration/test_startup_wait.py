"""A worker started before its broker waits for it; with no broker its horizon ends in one line.

The shared broker is never stopped: each test points its worker at free ports where nothing
listens yet and, where a broker is wanted, starts a private one there (its own data directory)
a few seconds later, then stops it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mode.threads import WorkerThread

from lienthong.broker import LocalBroker
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.errors import BrokerUnreachable
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.app import make_app
from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.stack import LocalStack
from lienthong.runtime.startup import StartupWait
from lienthong.settings import Settings
from netports import free_ports, fresh_settings

pytestmark = pytest.mark.broker
#: How long the worker runs with no broker before the private broker starts.
ALONE_SECONDS = 4.0


@pytest.fixture
def absent(tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at a port where no broker listens yet (a private broker's, later)."""
    port, controller_port = free_ports(2)
    base = Settings(
        bootstrap_servers=f"127.0.0.1:{port}",
        kafka_port=port,
        kafka_controller_port=controller_port,
        kafka_data_dir=tmp_path / "kafka",
        kafka_heap="384m",
        partitions=2,
    )
    yield fresh_settings(base, tmp_path / "state", "sw")
    LocalBroker(base).stop()


def _ready(port: int) -> int | None:
    """The status of ``/ready`` (None: nothing answers on the port)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError:
        return None


def test_a_worker_started_before_its_broker_consumes_once_the_broker_is_up(
    absent: Settings, tmp_path: Path
) -> None:
    stack = LocalStack(absent, tmp_path / "logs", names=("hub",))
    try:
        hub = stack.spawn("hub")
        deadline = time.monotonic() + 30
        while "not reachable, retrying in" not in hub.log.read_text():
            assert time.monotonic() < deadline, f"the hub never said it waits: {hub.log}"
            time.sleep(0.2)
        time.sleep(ALONE_SECONDS)
        assert hub.process.poll() is None, hub.log.read_text()
        assert _ready(absent.hub_web_port) != 200
        LocalBroker(absent).start()
        stack.wait_ready(120)
        deadline = time.monotonic() + 60
        while _ready(absent.hub_web_port) != 200:
            assert time.monotonic() < deadline, "the hub never became ready"
            time.sleep(0.5)
        record = next(iter(generate(1, seed=23, twins_share=0.0, live=True))).record
        with IntakePublisher(absent) as publisher:
            dossier_id = publisher.submit(record)
            publisher.flush()
        follower = StatusFollower(absent).only(dossier_id)
        try:
            received = follower.wait_until(
                lambda t: dossier_id in t and bool(t[dossier_id].of("DossierReceived")), 60
            )
        finally:
            follower.close()
        assert received, f"the hub did not receive dossier {dossier_id}; log: {hub.log}"
    finally:
        stack.stop()


def _service(app: GuardedApp, kind: str) -> Any:
    """faust's producer, or its consumer (which starts its aiokafka client in a thread)."""
    app.loop = asyncio.get_running_loop()
    return app.producer if kind == "producer" else app.consumer


@pytest.mark.parametrize("kind", ["producer", "consumer"])
async def test_faust_start_waits_for_a_broker_started_later(absent: Settings, kind: str) -> None:
    """The starts that died in aiokafka's bootstrap (issue 23) are tried again until they work."""
    app = make_app("residence", absent)
    service = _service(app, kind)
    starting = asyncio.ensure_future(service.start())
    await asyncio.sleep(ALONE_SECONDS)
    assert not starting.done(), f"the {kind}'s start ended with no broker to reach"
    await asyncio.to_thread(LocalBroker(absent).start)
    try:
        await asyncio.wait_for(starting, 60)
        assert service.started
        if kind == "producer":
            topic = absent.topic("startup-probe")
            sent = await service.send_and_wait(topic, b"key", b"value", None, None, None)
            assert sent.topic == topic
    finally:
        await service.stop()


#: faust's consumer thread reports its crash (the clear error) as its thread's exception too.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("kind", ["producer", "consumer"])
async def test_faust_start_ends_in_one_clear_error_after_the_horizon(
    absent: Settings, kind: str
) -> None:
    app = make_app("residence", absent)
    app.startup_wait = StartupWait(2.0, absent.bootstrap_servers)
    service = _service(app, kind)
    before = set(threading.enumerate())
    began = time.monotonic()
    with pytest.raises(BrokerUnreachable) as ended:
        await asyncio.wait_for(service.start(), 30)
    assert time.monotonic() - began < 10
    assert absent.bootstrap_servers in str(ended.value)
    assert "startup_wait_seconds" in str(ended.value)
    assert app.startup_wait.expired is ended.value
    await service.stop()
    # The consumer's thread ends with the same error: it must end within this test, whose
    # filter expects it, not surface in the next one's.
    for thread in set(threading.enumerate()) - before:
        if not isinstance(thread, WorkerThread):  # not a service's (an executor's, say)
            continue
        await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive(), f"{thread.name} still runs after the service stopped"


def test_a_worker_with_no_broker_exits_after_its_horizon_in_one_line(
    absent: Settings, tmp_path: Path
) -> None:
    short = absent.model_copy(update={"startup_wait_seconds": 8.0})
    stack = LocalStack(short, tmp_path / "logs", names=("residence",))
    try:
        worker = stack.spawn("residence")
        code = worker.process.wait(60)
    finally:
        stack.stop()
    lines = [line for line in worker.log.read_text().splitlines() if line.strip()]
    assert code == 1
    assert lines[-1].startswith(f"error: Kafka at {short.bootstrap_servers} not reachable for 8 s")
    assert "startup_wait_seconds (LIENTHONG_STARTUP_WAIT_SECONDS)" in lines[-1]
    waits = [line for line in lines if "not reachable, retrying in" in line]
    assert waits, "each wait is logged once, as it begins"
    assert all(short.bootstrap_servers in line for line in waits)
