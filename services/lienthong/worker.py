"""Run one deployable as a Faust worker (what ``lienthong run NAME`` does)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import faust
from kafka import KafkaAdminClient
from kafka.errors import AuthorizationError, KafkaError

from lienthong import topics
from lienthong.agencies import builder as agencies
from lienthong.domain.calendar import Clock
from lienthong.errors import BrokerError, TopicsMissing
from lienthong.hub import app as hub
from lienthong.lookup import keyring
from lienthong.runtime import faults
from lienthong.runtime.app import app_id, ensure_topics
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings

log = logging.getLogger(__name__)

FACTORIES: dict[str, Callable[..., Deployable]] = {"hub": hub.create}
#: Topics a deployable needs besides the contract topics (created up front, same partitions).
INTERNAL_ROLES = topics.INTERNAL_ROLES


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    """The deployable ``name``: the hub, or an agency built from the steps it owns."""
    if name in FACTORIES:
        return FACTORIES[name](settings, clock, **kw)
    if name in topics.AGENCIES:
        return agencies.create(name, settings, clock, **kw)
    raise ValueError(f"unknown deployable {name!r}; choose one of {', '.join(topics.DEPLOYABLES)}")


#: Every table of every deployable: its changelog topic must exist before the first write.
TABLES = {
    "hub": ("dossiers", "early", "archive"),
    **{agency: ("register", "counters") for agency in topics.AGENCIES},
}


def changelog_topics(settings: Settings, names: tuple[str, ...] = topics.DEPLOYABLES) -> list[str]:
    """Faust's changelog topic names (``<app id>-<table>-changelog``) of the deployables' tables."""
    return [
        f"{app_id(name, settings)}-{table}-changelog" for name in names for table in TABLES[name]
    ]


def topics_of(name: str) -> tuple[str, ...]:
    """The contract and internal topic roles a deployable uses: what it reads, writes and owns.

    These are all its principal may see (READ and WRITE imply DESCRIBE): a deployable never
    looks at another's topics, so its KafkaUser needs no grant for them.
    """
    access = topics.ACCESS[name]
    return tuple(dict.fromkeys((*access.reads, *access.writes, *topics.INTERNAL.get(name, ()))))


def prepare_topics(settings: Settings, name: str | None = None) -> list[str]:
    """Create the missing topics of deployable ``name`` (None: of every deployable).

    Changelogs are created here, compacted, with the partition count of their source topics:
    a worker that writes a table before Faust has created its changelog fails its first event.
    Where the cluster's topic operator owns the contract and internal topics
    (``topics_created_by="operator"``), they are only checked.
    """
    names = topics.DEPLOYABLES if name is None else (name,)
    roles = tuple(dict.fromkeys(role for n in names for role in topics_of(n)))
    if settings.topics_created_by == "operator":
        _require(settings, [settings.topic(role) for role in roles], "the topic operator's")
        created = []
    else:
        created = ensure_topics(settings, roles)
    return created + ensure_topics(
        settings, (), names=changelog_topics(settings, names), config={"cleanup.policy": "compact"}
    )


def _require(settings: Settings, wanted: list[str], whose: str) -> None:
    admin = KafkaAdminClient(**settings.kafka_client_options(), client_id="lienthong-admin")
    try:
        missing = sorted(set(wanted) - set(admin.list_topics()))
    finally:
        admin.close()
    if missing:
        raise TopicsMissing(f"{', '.join(missing)}: missing; these are {whose} to create")


def _refused(settings: Settings, name: str | None, exc: KafkaError) -> str:
    """Which topics the principal can neither see nor create, and the two possible causes."""
    names = topics.DEPLOYABLES if name is None else (name,)
    wanted = [settings.topic(role) for n in names for role in topics_of(n)]
    wanted += changelog_topics(settings, names)
    admin = KafkaAdminClient(**settings.kafka_client_options(), client_id="lienthong-admin")
    try:
        hidden = sorted(set(wanted) - set(admin.list_topics()))
    except KafkaError:
        hidden = []
    finally:
        admin.close()
    who = settings.sasl_username or "this client"
    return (
        f"{name or 'the deployables'}: {who} cannot see {', '.join(hidden) or 'a topic it uses'}"
        f" and may not create it ({type(exc).__name__}): the topic is missing (create its "
        "KafkaTopic, deploy/k8s/topics.yaml) or the user lacks READ or WRITE on it (its "
        "KafkaUser, deploy/k8s/users.yaml)"
    )


def wait_for_kafka(settings: Settings, name: str | None = None, timeout: float = 300.0) -> None:
    """Prepare the topics, waiting while the brokers are unreachable (starting, restarting).

    A topic the principal may not create fails at once, in one line: retrying cannot help.
    """
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        try:
            prepare_topics(settings, name)
            return
        except AuthorizationError as exc:
            raise TopicsMissing(_refused(settings, name, exc)) from None
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
    try:
        wait_for_kafka(settings, name)
    except TopicsMissing as exc:  # one line in the pod's log (a console would wrap it), exit 1
        print(f"error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    faults.arm(settings.crash_at)  # None outside tests (the settings refuse it in production)
    deployable = create(name, settings)
    worker = faust.Worker(deployable.app, loglevel=loglevel, quiet=True)
    if not worker.stdout.isatty():  # a log file or a pod's log: no terminal spinner codes
        worker.spinner = None
    worker.execute_from_commandline()
