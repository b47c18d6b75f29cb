"""Run one deployable as a Faust worker (what ``lienthong run NAME`` does)."""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

import faust
from kafka import KafkaAdminClient
from kafka.errors import AuthorizationError, KafkaError

from lienthong import topics
from lienthong.agencies import builder as agencies
from lienthong.bridge import app as bridge
from lienthong.domain.calendar import Clock
from lienthong.errors import BrokerError, TopicsMissing
from lienthong.hub import app as hub
from lienthong.lookup import keyring
from lienthong.runtime import faults
from lienthong.runtime.app import app_id, ensure_topics
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.startup import StartupWait
from lienthong.settings import Settings

log = logging.getLogger(__name__)

FACTORIES: dict[str, Callable[..., Deployable]] = {"hub": hub.create}
#: Topics a deployable needs besides the contract topics (created up front, same partitions).
INTERNAL_ROLES = topics.INTERNAL_ROLES
#: How long one attempt to reach the brokers at start lasts before the next wait.
REACH_SECONDS = 5.0


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    """The deployable ``name``: the hub, or an agency built from the steps it owns."""
    if name in FACTORIES:
        return FACTORIES[name](settings, clock, **kw)
    if name in topics.AGENCIES:
        return agencies.create(name, settings, clock, **kw)
    if name == topics.BRIDGE:
        return bridge.create(name, settings, clock, **kw)
    raise ValueError(f"unknown deployable {name!r}; choose one of {', '.join(topics.DEPLOYABLES)}")


#: Every table of every deployable: its changelog topic must exist before the first write.
TABLES = {
    "hub": ("dossiers", "early", "archive"),
    **{agency: ("register", "counters") for agency in topics.AGENCIES},
    topics.BRIDGE: ("deliveries",),
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


def wait_for_kafka(
    settings: Settings, name: str | None = None, wait: StartupWait | None = None
) -> None:
    """Prepare the topics, waiting while the brokers are unreachable (starting, restarting).

    The wait ends after ``startup_wait_seconds`` in :class:`BrokerUnreachable` (``wait``: a
    wait already begun, whose horizon the rest of the start shares). A topic the principal may
    not create fails at once, in one line: retrying cannot help.
    """
    wait = wait or StartupWait(settings.startup_wait_seconds, settings.bootstrap_servers)
    while True:
        try:
            _reach(settings, min(REACH_SECONDS, wait.left()))
            prepare_topics(settings, name)
            return
        except AuthorizationError as exc:
            raise TopicsMissing(_refused(settings, name, exc)) from None
        except KafkaError as exc:
            time.sleep(wait.next_delay(exc))


def _reach(settings: Settings, seconds: float) -> None:
    """Connect once, within ``seconds`` (kafka-python's own wait is 30 s): an absent broker is
    told soon, so the start's horizon is spent in waits that say so."""
    admin = KafkaAdminClient(
        **settings.kafka_client_options(),
        client_id="lienthong-admin",
        bootstrap_timeout_ms=max(int(seconds * 1000), 100),
    )
    admin.close()


def run(name: str, settings: Settings, loglevel: str = "warning") -> None:
    """Run a deployable until SIGTERM or SIGINT; in-flight work finishes or is redelivered.

    One horizon (``startup_wait_seconds``) covers the whole start: the topics' preparation,
    then faust's producer and consumer starts (``lienthong.runtime.faust.waiting``).
    A start that fails for good ends in one line on stderr (a pod's log) and exit code 1.
    """
    if name == "hub":
        keyring(settings)  # refuse the development lookup secret before waiting for Kafka
    wait = StartupWait(settings.startup_wait_seconds, settings.bootstrap_servers)
    try:
        wait_for_kafka(settings, name, wait)
    except BrokerError as exc:
        _exit_with(exc)
    faults.arm(settings.crash_at)  # None outside tests (the settings refuse it in production)
    deployable = create(name, settings)
    if isinstance(deployable.app, GuardedApp):  # every deployable's (runtime.app.make_app)
        deployable.app.startup_wait = wait
    worker = faust.Worker(deployable.app, loglevel=loglevel, quiet=True)
    collect_garbage_seldom()
    if not worker.stdout.isatty():  # a log file or a pod's log: no terminal spinner codes
        worker.spinner = None
    try:
        worker.execute_from_commandline()
    except SystemExit:
        if wait.expired is not None:  # faust logged the traceback; end with the reason
            _exit_with(wait.expired)
        raise


#: Allocations (minus deallocations) between two collections of the youngest generation; Python's
#: default is 700. A worker allocates and frees many short-lived objects per message (decoded
#: records, envelopes, futures), so at 700 the collector ran hundreds of times a second, each
#: time walking the young objects: ``make bench`` measured the hub 15-20 % cheaper per dossier
#: at 50,000, side by side, with the same peak RSS. Cycles are still collected.
GC_YOUNG_THRESHOLD = 50_000


def collect_garbage_seldom() -> None:
    """Freeze what start-up built (modules, schemas, the app: never garbage, never walked
    again) and make the collector's young generation large (``GC_YOUNG_THRESHOLD``)."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, max(middle, 50), max(old, 100))


def _exit_with(exc: BrokerError) -> NoReturn:
    """One line in the pod's log (a console would wrap it), exit code 1."""
    print(f"error: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(1) from None
