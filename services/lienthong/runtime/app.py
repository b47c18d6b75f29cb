"""Build a Faust app for one deployable; declare the contract topics; create them on the broker."""

from __future__ import annotations

import logging
import ssl
import time
from typing import Any

import faust
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from lienthong import topics
from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.startup import StartupWait
from lienthong.settings import Settings

log = logging.getLogger(__name__)
#: How old the clients' view of topics and partitions may get before they ask the brokers again.
METADATA_MAX_AGE_MS = 5_000
#: A worker that dies is dropped from its group after this long (heartbeats every fifth of it).
SESSION_TIMEOUT_SECONDS = 10.0


def make_app(deployable: str, settings: Settings, **overrides: Any) -> GuardedApp:
    """One ``faust.App`` per deployable; its id is the consumer group and changelog prefix."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "broker": [
            f"{settings.transport}{server}" for server in settings.bootstrap_servers.split(",")
        ],
        "store": settings.store,
        "datadir": str(
            settings.state_dir / f"{settings.topic_prefix}-{deployable}-{settings.worker_index}"
        ),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "consumer_auto_offset_reset": "earliest",
        "web_host": settings.web_advertised_host or settings.web_host,
        "web_bind": settings.web_host,
        "web_port": settings.web_port(deployable),
        "web_tables_enabled": False,
        # A topic created after a worker subscribed (a deployment's first start, a test's fresh
        # prefix) is seen at the next metadata refresh: seconds, not aiokafka's five minutes.
        "consumer_metadata_max_age_ms": METADATA_MAX_AGE_MS,
        "producer_metadata_max_age_ms": METADATA_MAX_AGE_MS,
        "producer_acks": -1,
        # What a checkpoint hands over in one step goes in few requests, not one per message.
        "producer_linger": settings.producer_linger_ms / 1000,
        "broker_commit_every": 100,
        "broker_commit_interval": 0.5,
        "table_standby_replicas": 0,
        # Waiting for the stream to drain on a rebalance held a partition for good in our chaos
        # test when the broker restarted meanwhile; unhandled events are read again anyway, as
        # only handled ones are committed (see runtime.faust.offsets).
        "stream_wait_empty": False,
        "autodiscover": False,
        # A worker that dies is dropped from its group after 10 s (not Kafka's 45) and its
        # partitions reassigned by a rebalance; with a group instance id (static membership) a
        # restarted worker replaces its dead self at once. Static membership once lost messages
        # under our chaos test, before only handled offsets were committed (runtime.faust.offsets).
        "broker_session_timeout": SESSION_TIMEOUT_SECONDS,
        "broker_heartbeat_interval": SESSION_TIMEOUT_SECONDS / 5,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    if settings.security_protocol != "PLAINTEXT":
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.sasl_username or "",
            password=password,
            mechanism="SCRAM-SHA-512",
            # TLS with the system's trust store (SSL_CERT_FILE points it at the cluster CA).
            ssl_context=ssl.create_default_context()
            if settings.security_protocol == "SASL_SSL"
            else None,
        )
    if settings.group_instance_id:
        options["consumer_group_instance_id"] = settings.group_instance_id
    options.update(overrides)
    app = GuardedApp(app_id(deployable, settings), **options)
    app.stall_seconds = settings.reread_stalled_seconds
    app.startup_wait = StartupWait(settings.startup_wait_seconds, settings.bootstrap_servers)
    return app


def app_id(deployable: str, settings: Settings) -> str:
    """The Faust app id (= consumer group): the deployable, namespaced by a non-default prefix."""
    if settings.topic_prefix == "lienthong":
        return deployable
    return f"{settings.topic_prefix}-{deployable}"


def contract_topic(app: faust.App, settings: Settings, role: str) -> faust.TopicT:
    """A contract topic by role (``intake``, ``handoff.<agency>``...) as raw bytes."""
    return app.topic(
        settings.topic(role),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
        internal=False,
    )


def ensure_topics(
    settings: Settings,
    roles: tuple[str, ...] = topics.ALL_ROLES,
    *,
    names: list[str] | None = None,
    config: dict[str, str] | None = None,
) -> list[str]:
    """Create the topics that are missing (idempotent); return the names created."""
    admin = KafkaAdminClient(**settings.kafka_client_options(), client_id="lienthong-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [settings.topic(role) for role in roles] + list(names or [])
        new = [
            NewTopic(
                name, settings.partitions, settings.replication_factor, topic_configs=config or {}
            )
            for name in wanted
            if name not in existing
        ]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently")
            wait_until_served(admin, [t.name for t in new])
        return [t.name for t in new]
    finally:
        admin.close()


def wait_until_served(admin: KafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Wait until new topics have a leader for every partition in the brokers' metadata.

    A consumer that subscribes to a topic the metadata does not list yet ignores it until its
    next metadata refresh: with aiokafka's default age that held a new hub for five minutes.
    """
    deadline = time.monotonic() + timeout
    waiting = list(names)
    while waiting:
        described = admin.describe_topics(waiting)
        waiting = [
            topic["name"]
            for topic in described
            if topic["error_code"] != 0
            or not topic["partitions"]
            or any(p["leader_id"] < 0 for p in topic["partitions"])
        ]
        if not waiting:
            return
        if time.monotonic() > deadline:
            log.warning("topics not served after %.0f s: %s", timeout, ", ".join(waiting))
            return
        time.sleep(0.2)
