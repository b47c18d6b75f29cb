"""Is a broker there: a TCP port, a metadata request; and what starting or stopping one did."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kafka import KafkaAdminClient

HOST = "127.0.0.1"
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class StartResult:
    """What ``start`` did: ``started`` is False when a broker was already answering."""

    started: bool
    pid: int | None
    bootstrap: str
    seconds: float
    message: str


@dataclass(frozen=True)
class StopResult:
    """What ``stop`` did: ``stopped`` is False when no broker of ours was running."""

    stopped: bool
    pid: int | None
    forced: bool
    message: str


@dataclass(frozen=True)
class BrokerStatus:
    """The local broker's state: its process and whether it answers metadata requests."""

    running: bool
    pid: int | None
    bootstrap: str
    answering: bool
    message: str


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_answering(
    bootstrap: str,
    timeout: float = PROBE_TIMEOUT,
    client_options: Mapping[str, object] | None = None,
) -> bool:
    """True if a Kafka broker at ``bootstrap`` answers a metadata request within ``timeout`` s.

    ``client_options`` adds kafka-python options (SASL credentials for a secured listener).
    """
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if not port_open(int(port), host or HOST):
        return False
    return admin_probe(bootstrap, timeout, client_options, lambda admin: admin.list_topics())


def admin_probe(
    bootstrap: str,
    timeout: float,
    client_options: Mapping[str, object] | None,
    ask: Callable[[KafkaAdminClient], object],
) -> bool:
    """True when an admin client reaches ``bootstrap`` and ``ask`` succeeds within ``timeout``."""
    timeout_ms = max(int(timeout * 1000), 100)
    admin = None
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","),
            client_id="lienthong-broker-probe",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
            reconnect_backoff_max_ms=500,
            **(client_options or {}),
        )
        ask(admin)
    except Exception:
        return False
    finally:
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()
    return True
