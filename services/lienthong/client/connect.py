"""Kafka clients for the integrator and operator commands: quick to give up, clear when they do."""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from lienthong.errors import ClientError
from lienthong.settings import Settings

#: How long a command waits for the first answer from the broker before it says so: a person at
#: a terminal has given up long before kafka-python's 30 s.
QUICK = 5.0
#: What a program using the client library waits (kafka-python's default), e.g. through a
#: broker's restart.
PATIENT = 30.0


def unreachable(settings: Settings, exc: BaseException) -> ClientError:
    """The one-line error of a broker that does not answer: cause, address, what to try."""
    cause = type(exc).__name__
    return ClientError(
        f"cannot reach Kafka at {settings.bootstrap_servers} ({cause}); is the broker running? "
        "Try `lienthong stack status`, or point LIENTHONG_BOOTSTRAP_SERVERS at your cluster"
    )


def _options(settings: Settings, client_id: str, patience: float) -> dict[str, Any]:
    return {
        **settings.kafka_client_options(),
        "client_id": client_id,
        "bootstrap_timeout_ms": int(patience * 1000),
    }


def consumer(
    settings: Settings, client_id: str, patience: float = QUICK, **options: Any
) -> KafkaConsumer:
    """A consumer without a group (the caller assigns partitions); ClientError if unreachable."""
    try:
        return KafkaConsumer(
            **_options(settings, client_id, patience),
            enable_auto_commit=False,
            allow_auto_create_topics=False,  # reading a mistyped prefix must not create topics
            **options,
        )
    except KafkaError as exc:
        raise unreachable(settings, exc) from exc


def producer(
    settings: Settings, client_id: str, patience: float = QUICK, **options: Any
) -> KafkaProducer:
    try:
        return KafkaProducer(**_options(settings, client_id, patience), **options)
    except KafkaError as exc:
        raise unreachable(settings, exc) from exc


def admin(settings: Settings, client_id: str) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(**_options(settings, client_id, QUICK))
    except KafkaError as exc:
        raise unreachable(settings, exc) from exc
