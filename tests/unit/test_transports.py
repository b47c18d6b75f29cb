"""The workers' transport setting: kafka:// runs; confluent:// is refused with what its driver
lacks, and each of those claims is checked here against the installed faust driver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.drivers import confluent
from faust.types import TP
from pydantic import ValidationError

from lienthong.errors import SettingsError, UnsupportedTransport
from lienthong.runtime.app import make_app
from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.faust.offsets import GuardedTransport
from lienthong.runtime.faust.transports import (
    CONFLUENT,
    CONFLUENT_LACKS,
    KAFKA,
    check_transport,
    installed_faust,
    refusal,
)
from lienthong.settings import Settings

PART = TP("lienthong.intake", 0)


def test_the_default_transport_is_aiokafka_with_the_offset_guard(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    assert settings.transport == KAFKA
    app = make_app("hub", settings, web_enabled=False)
    assert [url.scheme for url in app.conf.broker] == ["kafka"]
    assert isinstance(app.transport, GuardedTransport)


def test_confluent_is_refused_naming_the_setting_and_what_the_driver_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_TRANSPORT", CONFLUENT)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "transport: confluent:// is not supported" in message
    assert f"faust-streaming {installed_faust()}" in message
    for lack in CONFLUENT_LACKS[installed_faust()]:
        assert lack in message
    for words in ("never reads a message", "headers", "seek", "verify_event_path", "SASL"):
        assert words in message
    assert "Use kafka://" in message


def test_a_transport_that_is_neither_is_refused_by_the_setting() -> None:
    with pytest.raises(ValidationError, match="transport"):
        Settings(transport="aiokafka://")  # type: ignore[arg-type]


def test_confluent_on_an_untried_release_is_refused_as_untried() -> None:
    reason = refusal(CONFLUENT, "0.16.0")
    assert reason is not None and "faust-streaming 0.16.0" in reason
    assert "not tried" in reason and "kafka://" in reason
    assert refusal(KAFKA, "0.16.0") is None
    with pytest.raises(UnsupportedTransport) as refused:
        check_transport(CONFLUENT)
    assert isinstance(refused.value, SettingsError)


def test_the_adapter_never_runs_aiokafka_under_a_confluent_url() -> None:
    # Before, any broker URL got the guarded aiokafka transport, whatever its scheme said.
    app = GuardedApp("transport-test", broker="confluent://127.0.0.1:1", web_enabled=False)
    with pytest.raises(UnsupportedTransport, match="confluent://"):
        app.transport  # noqa: B018 (the property builds the transport)


# -- Each claim of CONFLUENT_LACKS, against the installed driver -------------------------------


class Record:
    """What librdkafka hands the driver for one message, with a header."""

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def key(self) -> bytes:
        return b"D1"

    def value(self) -> bytes:
        return b"body"

    def topic(self) -> str:
        return PART.topic

    def partition(self) -> int:
        return PART.partition

    def offset(self) -> int:
        return 7

    def headers(self) -> list[tuple[str, bytes]]:
        return [("lienthong-origin", b"lienthong.intake[0]@3")]


def test_claim_a_message_read_through_the_driver_has_no_headers() -> None:
    message = confluent.Consumer._to_message(None, PART, Record())  # type: ignore[arg-type]
    assert (message.key, message.value, message.offset) == (b"D1", b"body", 7)
    assert list(message.headers) == [], "the driver now keeps headers: look at CONFLUENT_LACKS"


async def test_claim_the_driver_sends_without_the_headers_it_is_given() -> None:
    sent: list[tuple[Any, ...]] = []
    producer = object.__new__(confluent.Producer)
    producer.loop = asyncio.get_running_loop()
    producer._quick_produce = lambda *args, **kwargs: sent.append(args + tuple(kwargs))
    headers = {"lienthong-origin": b"lienthong.intake[0]@3"}
    await producer.send("lienthong.inbox", b"D1", b"body", 0, None, headers)
    assert len(sent) == 1
    assert all(
        headers != arg and b"lienthong.intake[0]@3" not in repr(arg).encode() for arg in sent[0]
    )


class Librdkafka:
    """librdkafka's consumer as the driver uses it: ``seek`` returns None (the integration test
    ``test_librdkafka_seek_returns_nothing_to_await`` shows that on the real client)."""

    def assignment(self) -> list[Any]:
        return [SimpleNamespace(topic=PART.topic, partition=0, offset=3)]

    def committed(self, partitions: list[Any]) -> list[Any]:
        return partitions

    def seek(self, partition: Any) -> None:
        return None


async def test_claim_seeking_to_the_committed_offsets_awaits_none() -> None:
    wrapper = object.__new__(confluent.AsyncConsumer)
    wrapper.consumer = Librdkafka()  # type: ignore[assignment]
    thread = SimpleNamespace(_ensure_consumer=lambda: wrapper)
    with pytest.raises(TypeError, match="can't be used in 'await' expression"):
        await confluent.ConfluentConsumerThread._seek_to_committed(thread)  # type: ignore[arg-type]


async def test_claim_seek_wait_calls_what_the_wrapper_lacks() -> None:
    thread = SimpleNamespace(log=SimpleNamespace(dev=lambda *args: None))
    wrapper = object.__new__(confluent.AsyncConsumer)
    with pytest.raises(AttributeError, match="seek"):
        await confluent.ConfluentConsumerThread._seek_wait(thread, wrapper, {PART: 3})  # type: ignore[arg-type]


def test_claim_the_livelock_detector_meets_a_missing_method() -> None:
    consumer = SimpleNamespace(_thread=object.__new__(confluent.ConfluentConsumerThread))
    with pytest.raises(AttributeError, match="verify_event_path"):
        confluent.Consumer.verify_event_path(consumer, 0.0, PART)  # type: ignore[arg-type]


def test_claim_the_clients_ignore_credentials_acks_and_static_membership(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = SimpleNamespace(
        id="hub",
        broker_client_id="c",
        consumer_max_fetch_size=1,
        broker_request_timeout=1.0,
        broker_check_crcs=True,
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
        broker_credentials=object(),
        producer_acks=-1,
        consumer_group_instance_id="hub-0",
    )
    built: list[dict[str, Any]] = []
    thread = SimpleNamespace(app=SimpleNamespace(conf=conf, assignor=None), logger=None)
    transport = SimpleNamespace(url=[SimpleNamespace(host="127.0.0.1", port=1)], default_port=9092)
    monkeypatch.setattr(confluent, "AsyncConsumer", lambda config, logger: built.append(config))
    confluent.ConfluentConsumerThread._create_worker_consumer(thread, transport, None)  # type: ignore[arg-type]
    keys = set(built[0])
    assert "bootstrap.servers" in keys and "group.id" in keys
    assert not {"security.protocol", "sasl.mechanism", "group.instance.id"} & keys


async def test_claim_the_driver_creates_no_topic() -> None:
    # No broker, no admin client: the driver returns before asking for anything.
    thread = object.__new__(confluent.ConfluentConsumerThread)
    assert await thread.create_topic("lienthong.hub-dossiers-changelog", 4, 1) is None


async def test_claim_the_producer_ignores_acks_and_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(confluent.confluent_kafka, "Producer", built.append)
    conf = SimpleNamespace(broker_client_id="c", producer_acks=-1, broker_credentials=object())
    thread = SimpleNamespace(
        transport=SimpleNamespace(url=[SimpleNamespace(host="127.0.0.1", port=1)], default_port=1),
        app=SimpleNamespace(conf=conf),
    )
    await confluent.ProducerThread.on_start(thread)  # type: ignore[arg-type]
    keys = set(built[0])
    assert "bootstrap.servers" in keys
    assert not {"acks", "request.required.acks", "security.protocol", "sasl.mechanism"} & keys
