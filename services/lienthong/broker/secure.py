"""The local broker in secured mode: SASL/SCRAM-SHA-512, the KRaft StandardAuthorizer, ACLs.

Nothing is allowed without an ACL. The admin (a super user) gets its SCRAM credentials when the
storage is formatted (``--add-scram``); the other principals, one per deployable plus
``integrator``, are created afterwards with kafka-python's admin client, and their ACLs come from
the least-privilege table ``topics.ACCESS``. Passwords travel as ``SecretStr`` and are never put
in a log line or an exception.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    NewTopic,
    ResourcePattern,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka.errors import TopicAlreadyExistsError
from pydantic import SecretStr

from lienthong import topics
from lienthong.broker.local import LocalBroker
from lienthong.broker.probe import is_answering
from lienthong.errors import BrokerError, SettingsError
from lienthong.places import VAR_DIR
from lienthong.runtime.app import app_id
from lienthong.settings import Settings
from lienthong.worker import INTERNAL_ROLES, create

ADMIN = "admin"
INTEGRATOR = "integrator"
#: Every principal besides the admin: one per deployable, and the integrators.
PRINCIPALS: tuple[str, ...] = tuple(topics.ACCESS)
#: The secured broker never shares the plaintext broker's ports (19092/19093) or data directory.
SECURE_PORT = 19094
SECURE_CONTROLLER_PORT = 19095
SECURE_DATA_DIR = VAR_DIR / "kafka-secure"
MECHANISM = "SCRAM-SHA-512"
#: Passwords go into a JAAS line and a ``--add-scram`` argument: keep them free of quotes,
#: commas, brackets and ``$``.
SAFE_SECRET = re.compile(r"[A-Za-z0-9._~-]{12,200}")
#: Every topic the deployables use (what ``lienthong run`` checks, and creates if missing).
EVERY_TOPIC: tuple[str, ...] = (*topics.ALL_ROLES, *INTERNAL_ROLES)
#: How long provisioning waits for new users and ACLs to take effect on the broker.
EFFECT_TIMEOUT = 20.0

Resource = Literal["TOPIC", "GROUP"]
Pattern = Literal["LITERAL", "PREFIXED"]
#: Kafka's ACL operations (``kafka.admin.ACLOperation`` names) a grant may carry.
Operation = Literal[
    "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"
]


def new_secret() -> SecretStr:
    """A random password that is safe in a JAAS line and on the StorageTool command line."""
    return SecretStr(secrets.token_urlsafe(24))


def new_passwords(principals: Iterable[str] = PRINCIPALS) -> dict[str, SecretStr]:
    """A fresh random password for each principal (for tests and a developer's machine)."""
    return {name: new_secret() for name in principals}


def secure_settings(base: Settings, admin_password: SecretStr, **overrides: object) -> Settings:
    """The admin's settings for the secured broker: its own ports and data dir, SASL, admin."""
    port = int(str(overrides.get("kafka_port", SECURE_PORT)))
    values: dict[str, object] = {
        "kafka_port": port,
        "kafka_controller_port": SECURE_CONTROLLER_PORT,
        "kafka_data_dir": SECURE_DATA_DIR,
        "bootstrap_servers": f"127.0.0.1:{port}",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_username": ADMIN,
        "sasl_password": admin_password,
        **overrides,
    }
    return base.model_copy(update=values)


def as_principal(settings: Settings, principal: str, password: SecretStr) -> Settings:
    """The same connection, authenticated as ``principal`` (what that deployable runs with)."""
    return settings.model_copy(update={"sasl_username": principal, "sasl_password": password})


def worker_env(principal: str, password: SecretStr) -> dict[str, str]:
    """The environment that makes a worker process authenticate as ``principal``."""
    return {
        "LIENTHONG_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "LIENTHONG_SASL_USERNAME": principal,
        "LIENTHONG_SASL_PASSWORD": password.get_secret_value(),
    }


def client_options(settings: Settings) -> dict[str, object]:
    """``settings.kafka_client_options()`` (password redacted) without the bootstrap list."""
    options = settings.kafka_client_options()
    options.pop("bootstrap_servers", None)
    return options


def _check_secret(principal: str, password: SecretStr | None) -> str:
    value = password.get_secret_value() if password is not None else ""
    if SAFE_SECRET.fullmatch(value) is None:
        raise SettingsError(
            f"the password of {principal!r} must be 12-200 characters of letters, digits and "
            "'._~-' (it is written into a JAAS line); generate one with new_secret()"
        )
    return value


def internal_roles(deployable: str) -> tuple[str, ...]:
    """A deployable's internal topics (besides Faust's): named ``<deployable>.<what>``."""
    return tuple(role for role in INTERNAL_ROLES if role.split(".", 1)[0] == deployable)


# -- The ACL table -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW ACL: a principal may do an operation on a topic or group (or a name prefix)."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation

    def __str__(self) -> str:
        star = "*" if self.pattern == "PREFIXED" else ""
        return f"User:{self.principal} {self.operation} {self.resource} {self.name}{star}"

    def to_acl(self) -> ACL:
        return ACL(
            principal=f"User:{self.principal}",
            host="*",
            operation=ACLOperation[self.operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                ResourceType[self.resource],
                self.name,
                ACLResourcePatternType[self.pattern],
            ),
        )


def grants(settings: Settings) -> list[Grant]:
    """The least-privilege ACLs of every principal, from ``topics.ACCESS``.

    Each principal reads and writes only its topics. A deployable also gets what Faust needs (its
    consumer group ``<app id>`` and its own ``<app id>-`` topics: changelogs, ``__assignor``) and
    its internal topics; READ and WRITE imply DESCRIBE, which is all ``lienthong run`` needs to
    check the topics it uses at start-up (``worker.topics_of``). Integrators get a consumer-group
    prefix for following the status topic. ``lienthong manifests`` writes this table into the
    cluster's KafkaUsers (deploy/k8s/users.yaml).
    """
    out: set[Grant] = set()
    for principal, access in topics.ACCESS.items():

        def grant(resource: Resource, name: str, operation: Operation, p: str = principal) -> None:
            pattern: Pattern = "PREFIXED" if name.endswith("-") else "LITERAL"
            out.add(Grant(p, resource, name, pattern, operation))

        for role in access.reads:
            grant("TOPIC", settings.topic(role), "READ")
        for role in access.writes:
            grant("TOPIC", settings.topic(role), "WRITE")
        group = app_id(principal, settings)
        if principal == INTEGRATOR:
            grant("GROUP", f"{group}-", "READ")
            continue
        if principal == topics.OPERATOR:  # its topics only: it reads without a consumer group
            continue
        grant("GROUP", group, "READ")
        for operation in ("CREATE", "READ", "WRITE"):
            grant("TOPIC", f"{group}-", operation)
        for role in internal_roles(principal):
            grant("TOPIC", settings.topic(role), "READ")
            grant("TOPIC", settings.topic(role), "WRITE")
    return sorted(out)


def acl_table(settings: Settings) -> str:
    """The provisioned ACLs as text, one line per grant (for operators and the README)."""
    return "\n".join(str(g) for g in grants(settings))


# -- Topics ------------------------------------------------------------------------------------


def faust_topics(settings: Settings) -> list[NewTopic]:
    """Faust's own topics of every deployable: the table changelogs and the leader topic.

    Created up front by the admin, they exist before a worker asks for them: a fresh worker that
    creates a changelog itself can miss it in its first metadata and crash-loop on
    ``PartitionsMismatch`` until its metadata is refreshed.
    """
    found: list[NewTopic] = []
    for name in topics.DEPLOYABLES:
        leader = f"{app_id(name, settings)}-__assignor-__leader"
        found.append(NewTopic(leader, 1, settings.replication_factor))
        app = create(name, settings, with_web_metrics=False).app
        for table in app.tables.values():
            changelog = table.changelog_topic
            found.append(
                NewTopic(
                    changelog.get_topic_name(),
                    changelog.partitions or settings.partitions,
                    settings.replication_factor,
                    topic_configs={"cleanup.policy": "compact"} if changelog.compacting else {},
                )
            )
    return found


def create_topics(settings: Settings) -> list[str]:
    """Create every contract, internal and Faust topic that is missing; the names created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers.split(","),
        client_id="lienthong-topics",
        **client_options(settings),
    )
    try:
        return _create_topics(admin, settings)
    finally:
        admin.close()


def _create_topics(admin: KafkaAdminClient, settings: Settings) -> list[str]:
    existing = set(admin.list_topics())
    wanted = [
        *(
            NewTopic(settings.topic(r), settings.partitions, settings.replication_factor)
            for r in EVERY_TOPIC
        ),
        *faust_topics(settings),
    ]
    new = [t for t in wanted if t.name not in existing]
    if new:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(new)
    return [t.name for t in new]


# -- The broker ----------------------------------------------------------------------------------


class SecureBroker(LocalBroker):
    """A LocalBroker rendering the secured template; ``settings`` are the admin's (SecretStr)."""

    template = "server-secure.properties.template"

    def __init__(self, settings: Settings) -> None:
        if settings.security_protocol != "SASL_PLAINTEXT":
            raise SettingsError("the secured broker needs security_protocol SASL_PLAINTEXT")
        if re.fullmatch(r"[a-z][a-z0-9-]*", settings.sasl_username or "") is None:
            raise SettingsError("the secured broker needs an admin user name (sasl_username)")
        plaintext = Settings.model_fields
        if (
            settings.kafka_port == plaintext["kafka_port"].default
            or settings.kafka_data_dir == plaintext["kafka_data_dir"].default
        ):
            raise SettingsError(
                "the secured broker needs its own port and data directory, not the plaintext "
                "broker's (see secure_settings())"
            )
        super().__init__(settings)
        self._secret()

    @property
    def admin_user(self) -> str:
        return self.settings.sasl_username or ADMIN

    def _secret(self) -> str:
        return _check_secret(self.admin_user, self.settings.sasl_password)

    def _answering(self) -> bool:
        return is_answering(self.bootstrap, client_options=client_options(self.settings))

    def _probe_options(self) -> dict[str, object]:
        return client_options(self.settings)

    def _template_values(self) -> dict[str, object]:
        return {
            **super()._template_values(),
            "admin_user": self.admin_user,
            "admin_password": self._secret(),
        }

    def _format_args(self) -> list[str]:
        return ["--add-scram", f"{MECHANISM}=[name={self.admin_user},password={self._secret()}]"]

    def _render_properties(self) -> None:
        """The rendered file holds the admin's password: readable by this user only."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties.touch(mode=0o600, exist_ok=True)
        os.chmod(self.properties, 0o600)
        super()._render_properties()

    def _format_storage(self, java: str) -> None:
        try:
            super()._format_storage(java)
        except BrokerError as exc:
            raise BrokerError(str(exc).replace(self._secret(), "**********")) from None

    def provision(
        self, passwords: Mapping[str, SecretStr], table: Sequence[Grant] | None = None
    ) -> list[Grant]:
        """Create the topics (only the admin may), one SCRAM user per principal, and the ACLs:
        ``table``, or the code's own (``grants``) when None; idempotent."""
        missing = [p for p in PRINCIPALS if p not in passwords]
        if missing:
            raise SettingsError(f"no password for {', '.join(missing)}")
        upserts = [
            UserScramCredentialUpsertion(
                name, ScramMechanism.SCRAM_SHA_512, _check_secret(name, passwords[name])
            )
            for name in PRINCIPALS
        ]
        wanted = list(grants(self.settings) if table is None else table)
        admin = KafkaAdminClient(
            bootstrap_servers=[self.bootstrap],
            client_id="lienthong-acl",
            **client_options(self.settings),
        )
        try:
            _create_topics(admin, self.settings)
            failed = {u: e for u, e in admin.alter_user_scram_credentials(upserts).items() if e}
            if failed:
                raise BrokerError(f"could not create SCRAM users: {failed}")
            result = admin.create_acls([g.to_acl() for g in wanted])
            if result["failed"]:
                raise BrokerError(f"could not create {len(result['failed'])} ACLs: {result}")
        finally:
            admin.close()
        for name in PRINCIPALS:
            self._wait_until_accepted(as_principal(self.settings, name, passwords[name]))
        return wanted

    def _wait_until_accepted(self, settings: Settings) -> None:
        """New SCRAM users take effect when the broker applies the metadata: wait for it."""
        deadline = time.monotonic() + EFFECT_TIMEOUT
        while not is_answering(self.bootstrap, client_options=client_options(settings)):
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"{settings.sasl_username} cannot sign in at {self.bootstrap} after "
                    f"provisioning ({EFFECT_TIMEOUT:.0f} s)"
                )
            time.sleep(0.2)
