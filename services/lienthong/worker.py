"""Run one deployable as a Faust worker (what ``lienthong run NAME`` does)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.calendar import Clock
from lienthong.civil_registry import app as civil_registry
from lienthong.errors import BrokerError
from lienthong.health_insurance import app as health_insurance
from lienthong.hub import app as hub
from lienthong.lookup import keyring
from lienthong.residence import app as residence
from lienthong.runtime.app import app_id, ensure_topics
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings

log = logging.getLogger(__name__)

FACTORIES: dict[str, Callable[..., Deployable]] = {
    "hub": hub.create,
    "civil-registry": civil_registry.create,
    "residence": residence.create,
    "health-insurance": health_insurance.create,
}
#: Topics a deployable needs besides the contract topics (created up front, same partitions).
INTERNAL_ROLES = topics.INTERNAL_ROLES


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    if name not in FACTORIES:
        raise ValueError(f"unknown deployable {name!r}; choose one of {', '.join(FACTORIES)}")
    return FACTORIES[name](settings, clock, **kw)


#: Every table of every deployable: its changelog topic must exist before the first write.
TABLES = {
    "hub": ("dossiers", "early", "archive"),
    "civil-registry": ("register", "counters"),
    "residence": ("register", "counters"),
    "health-insurance": ("register", "counters"),
}


def changelog_topics(settings: Settings) -> list[str]:
    """Faust's changelog topic names (``<app id>-<table>-changelog``) of every table."""
    return [
        f"{app_id(name, settings)}-{table}-changelog"
        for name, tables in TABLES.items()
        for table in tables
    ]


def prepare_topics(settings: Settings) -> list[str]:
    """Create every contract, internal and changelog topic that is missing.

    Changelogs are created here, compacted, with the partition count of their source topics:
    a worker that writes a table before Faust has created its changelog fails its first event.
    """
    created = ensure_topics(settings, (*topics.ALL_ROLES, *INTERNAL_ROLES))
    return created + ensure_topics(
        settings, (), names=changelog_topics(settings), config={"cleanup.policy": "compact"}
    )


def wait_for_kafka(settings: Settings, timeout: float = 300.0) -> None:
    """Prepare the topics, waiting while the brokers are unreachable (starting, restarting)."""
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        try:
            prepare_topics(settings)
            return
        except KafkaError as exc:
            if time.monotonic() + delay > deadline:
                raise BrokerError(
                    f"Kafka at {settings.bootstrap_servers} did not answer for {timeout:.0f} s"
                ) from exc
            log.warning(
                "waiting for Kafka at %s (%s)", settings.bootstrap_servers, type(exc).__name__
            )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def run(name: str, settings: Settings, loglevel: str = "warning") -> None:
    """Run a deployable until SIGTERM or SIGINT; in-flight work finishes or is redelivered."""
    if name == "hub":
        keyring(settings)  # refuse the development lookup secret before waiting for Kafka
    wait_for_kafka(settings)
    deployable = create(name, settings)
    worker = faust.Worker(deployable.app, loglevel=loglevel, quiet=True)
    if not worker.stdout.isatty():  # a log file or a pod's log: no terminal spinner codes
        worker.spinner = None
    worker.execute_from_commandline()
