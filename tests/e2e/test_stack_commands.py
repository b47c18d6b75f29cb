"""``lienthong stack start|status|stop`` with a broker of its own: what it started, it stops.

The stack gets its own broker (free ports, its own data directory), so ``stack start`` starts
the broker too and ``stack stop`` must stop it, by the PID it recorded, along with the four
deployables; a second ``stack start`` is refused while the first runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_walkthrough import _processes_with_prefix

from lienthong.broker import LocalBroker, is_answering
from lienthong.runtime import detached
from lienthong.runtime.stack import settings_env
from lienthong.settings import SOURCE_ROOT, Settings
from netports import free_ports

pytestmark = [pytest.mark.broker, pytest.mark.e2e]


@pytest.fixture
def own(isolated: Settings, tmp_path: Path) -> Iterator[Settings]:
    port, controller = free_ports(2)
    settings = isolated.model_copy(
        update={
            "kafka_port": port,
            "kafka_controller_port": controller,
            "kafka_data_dir": tmp_path / "kafka",
            "bootstrap_servers": f"127.0.0.1:{port}",
        }
    )
    try:
        yield settings
    finally:  # whatever happened: the recorded workers, then the broker, by their PIDs
        recorded = detached.load(settings)
        if recorded is not None:
            detached.stop(recorded)
        LocalBroker(settings).stop()


def _lienthong(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")},
        **settings_env(settings),
        "PYTHONPATH": str(SOURCE_ROOT / "services"),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "lienthong", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_stack_starts_its_broker_and_stops_exactly_what_it_started(own: Settings) -> None:
    started = _lienthong(own, "stack", "start")
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"Kafka broker started at 127.0.0.1:{own.kafka_port}" in started.stdout
    assert len(_processes_with_prefix(own.topic_prefix)) == 5  # the broker and 4 workers

    status = _lienthong(own, "stack", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count(" running\n") == 4 and "warning" not in status.stderr
    assert "Kafka broker running at" in status.stdout

    again = _lienthong(own, "stack", "start")
    assert again.returncode == 1
    assert "stop it first with `lienthong stack stop`" in again.stderr

    stopped = _lienthong(own, "stack", "stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert stopped.stdout.count(") stopped") == 5, stopped.stdout  # 4 workers and the broker
    assert not _processes_with_prefix(own.topic_prefix)
    assert not is_answering(own.bootstrap_servers)
    assert detached.load(own) is None

    after = _lienthong(own, "stack", "status")
    assert after.returncode == 1
    assert "no stack recorded" in after.stdout


def test_a_failed_start_says_why_in_one_line_and_leaves_nothing_running(own: Settings) -> None:
    with socket.socket() as taken:  # the hub's web port is taken: the hub cannot start
        taken.bind(("127.0.0.1", own.hub_web_port))
        taken.listen()
        failed = _lienthong(own, "stack", "start")
    assert failed.returncode == 1
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith("error: hub#0 exited with code 1: OSError"), line
    assert "address already in use" in line and "(log: " in line
    assert "Traceback" not in failed.stdout + failed.stderr
    assert not _processes_with_prefix(own.topic_prefix), "the workers it started were stopped"
    assert not is_answering(own.bootstrap_servers), "so was the broker it started"
    assert detached.load(own) is None
