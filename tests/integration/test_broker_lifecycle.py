"""The local Kafka broker's start/stop/status on its own ports and data directory."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.broker import LocalBroker, is_answering, running_broker
from lienthong.errors import BrokerError, PrerequisiteMissing
from lienthong.settings import Settings
from netports import free_ports

pytestmark = pytest.mark.broker


def _settings(data_dir: Path, **overrides: object) -> Settings:
    port, controller_port = free_ports(2)
    values: dict[str, object] = {
        "kafka_port": port,
        "kafka_controller_port": controller_port,
        "kafka_data_dir": data_dir,
        "bootstrap_servers": f"127.0.0.1:{port}",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    settings = _settings(tmp_path / "kafka")
    yield settings
    LocalBroker(settings).stop()


def test_start_status_stop_are_idempotent(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = LocalBroker(settings)

    first = broker.start()
    with capsys.disabled():
        print(f"\n[broker] first start (format + launch + ready) took {first.seconds:.2f} s")
    assert first.started
    assert first.pid is not None
    assert is_answering(first.bootstrap)

    second = LocalBroker(settings).start()
    assert not second.started
    assert "already running" in second.message
    assert second.pid == first.pid

    status = broker.status()
    assert status.running and status.answering
    assert status.pid == first.pid
    assert status.bootstrap == f"127.0.0.1:{settings.kafka_port}"

    with running_broker(settings) as shared:
        assert not shared.started
    assert is_answering(first.bootstrap), "running_broker stopped a broker it did not start"

    server_log = settings.kafka_data_dir / "logs" / "server.log"
    assert server_log.stat().st_size > 0
    assert "Kafka Server started" in server_log.read_text()

    stopped = broker.stop()
    assert stopped.stopped and not stopped.forced
    assert stopped.pid == first.pid
    assert not (settings.kafka_data_dir / "kafka.pid").exists()

    again = broker.stop()
    assert not again.stopped
    assert "no Kafka broker running" in again.message

    status = broker.status()
    assert not status.running and not status.answering
    assert status.pid is None


def test_running_broker_stops_what_it_started(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_broker(settings) as result:
        assert result.started
        assert is_answering(result.bootstrap)
    with capsys.disabled():
        print(f"\n[broker] running_broker start took {result.seconds:.2f} s")
    assert not is_answering(result.bootstrap)
    assert not LocalBroker(settings).status().running


def test_port_taken_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        settings = _settings(tmp_path / "kafka", kafka_port=port)
        with pytest.raises(BrokerError, match=f"port {port}.*not a Kafka broker"):
            LocalBroker(settings).start()
    assert not (tmp_path / "kafka" / "kafka.pid").exists()


def test_java_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    settings = _settings(tmp_path / "kafka")
    with pytest.raises(PrerequisiteMissing, match="Java"):
        LocalBroker(settings).start()
