"""Settings: one typed, frozen object read from ``LIENTHONG_*`` environment variables."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.domain.review import parse_policies
from lienthong.errors import SettingsError
from lienthong.places import DEPLOY_DIR, VAR_DIR
from lienthong.places import SOURCE_ROOT as SOURCE_ROOT  # where the modules that ask find it
from lienthong.runtime import faults
from lienthong.runtime.faust.transports import KAFKA, Transport, installed_faust, refusal

#: Procedure groups outside the package (a province's own, a test's made-up one): importable
#: package names, comma-separated, the same in every process of the pipeline. Each package has a
#: ``declaration`` module (its ``GROUP``) and may carry its Avro schemas in ``schemas/``.
EXTRA_GROUPS_ENV = "LIENTHONG_GROUPS"


def extra_group_packages() -> list[str]:
    """The extra group packages this process is told of (``LIENTHONG_GROUPS``)."""
    listed = os.environ.get(EXTRA_GROUPS_ENV, "")
    return [name.strip() for name in listed.split(",") if name.strip()]


class RedactedPassword(str):
    """A password that shows as stars in a repr: Kafka clients log their configuration at DEBUG."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**********'"


class Settings(BaseSettings):
    """Everything a deployable, the CLI or a test can tune. Override with LIENTHONG_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", frozen=True, extra="ignore")

    # -- Kafka connection ---------------------------------------------------------------
    bootstrap_servers: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers")
    transport: Transport = Field(
        KAFKA,
        description="The workers' faust transport: kafka:// (aiokafka) or confluent:// "
        "(librdkafka); refused, with what it lacks, where the faust adapter does not run on it",
    )
    topic_prefix: str = Field("lienthong", description="Prefix of every topic name")
    partitions: int = Field(4, ge=1, description="Partitions of every topic the hub reads")
    replication_factor: int = Field(1, ge=1)
    security_protocol: str = Field(
        "PLAINTEXT",
        description="PLAINTEXT, SASL_PLAINTEXT or SASL_SSL (the cluster's TLS listener)",
    )
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    topics_created_by: Literal["deployables", "operator"] = Field(
        "deployables",
        description="Who creates the contract and internal topics: each deployable the ones it "
        "uses, or the cluster's topic operator (KafkaTopic); Faust's own topics: the deployable",
    )

    producer_linger_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        description="How long a worker's producer waits to fill a request before sending it: "
        "fewer, larger requests (less CPU for the workers and the broker) for a few "
        "milliseconds per step",
    )
    startup_wait_seconds: float = Field(
        300.0,
        gt=0,
        description="How long a starting worker waits for unreachable brokers (starting, "
        "restarting), retrying with backoff, before it exits with an error",
    )

    # -- The local broker (deploy/kafka) --------------------------------------------------
    kafka_dir: Path = Field(
        DEPLOY_DIR / "kafka", description="The broker's server.properties templates and log4j2"
    )
    kafka_jars_dir: Path | None = Field(
        None,
        description="Where the broker's jars are fetched on first use; None: the user cache's "
        "kafka-<version> folder",
    )
    maven_repository: str = Field(
        "https://repo1.maven.org/maven2",
        description="Maven repository the broker's jars are fetched from (a mirror, file://)",
    )
    kafka_data_dir: Path = Field(VAR_DIR / "kafka", description="log.dirs and logs")
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_heap: str = Field("512m", description="Broker heap (-Xmx); 512m at most is plenty")
    kafka_start_timeout: float = 90.0

    # -- Processes -------------------------------------------------------------------------
    web_host: str = Field("127.0.0.1", description="Address the web server binds to")
    web_advertised_host: str | None = Field(
        None, description="Address other workers reach this one at (a pod's IP); default web_host"
    )
    hub_web_port: int = 6066
    civil_registry_web_port: int = 6067
    residence_web_port: int = 6068
    health_insurance_web_port: int = 6069
    #: The web (metrics) ports of agency deployables of groups declared outside the package,
    #: by deployable name (JSON: ``{"land-office": 6071}``).
    extra_web_ports: dict[str, int] = Field(default_factory=dict)
    worker_index: int = Field(0, ge=0, description="Nth worker of a deployable on this host")
    group_instance_id: str | None = Field(
        None,
        description="Static group membership: a name unique to this worker and kept across its "
        "restarts (a StatefulSet pod's name); a restarted worker takes its partitions back at "
        "once instead of after the session timeout. Never give two live workers the same one",
    )
    store: str = Field("memory://", description="Faust table store: memory:// or rocksdb://")
    batch_messages: int = Field(
        500, ge=1, description="Group commit: messages handled per batch (1: one at a time)"
    )
    batch_seconds: float = Field(
        0.01, gt=0, description="Group commit: how long a batch waits to fill"
    )
    state_dir: Path = Field(VAR_DIR / "state", description="Faust data directories")
    public_base_url: str = Field("http://127.0.0.1:6066", description="Base of status links")
    lookup_secret: SecretStr = Field(
        SecretStr("local-development-only"),
        description="Key of the receipts' lookup codes; the hub refuses this default unless "
        "development is true",
    )

    # -- Security (see docs/operators/security.md) -----------------------------------------
    development: bool = Field(
        False, description="A local run (demo, tests): allows the public development secret"
    )
    crash_at: str | None = Field(
        None,
        description="Tests only: exit at the nth reach of a step of the checkpoint "
        "(<point>:<nth>, runtime.faults); refused unless development is true",
    )
    lookup_key_id: str = Field(
        "A", pattern=r"^[A-Z2-7]$", description="Id of lookup_secret, the first letter of codes"
    )
    lookup_retired_secrets: SecretStr | None = Field(
        None, description="Older lookup keys that still verify printed receipts: ID=secret,..."
    )
    hub_operator_port: int = Field(6070, description="The hub's operators' listener")
    operator_host: str = Field(
        "127.0.0.1", description="Address the operators' listener binds to (loopback by default)"
    )
    operator_credentials: SecretStr | None = Field(
        None,
        description="Who may sign in to the operators' listener: name:pbkdf2_sha256$... lines "
        "(made by `python -m lienthong.passwords NAME`), separated by commas or new lines",
    )
    trusted_proxies: tuple[str, ...] = Field(
        (), description="Addresses or networks whose X-Forwarded-For is believed (the ingress)"
    )
    lookup_failures_per_client: int = Field(
        20, ge=1, description="Failed lookups from one client within the window before lockout"
    )
    lookup_failures_per_receipt: int = Field(
        10, ge=1, description="Failed lookups of one receipt within the window before lockout"
    )
    lookup_window_seconds: float = Field(600.0, gt=0, description="Window failures count in")
    lookup_lockout_seconds: float = Field(900.0, gt=0, description="How long a lockout lasts")

    # -- The legal clock -----------------------------------------------------------------
    timezone: str = "Asia/Ho_Chi_Minh"
    cutoff_hour: int = Field(15, ge=0, le=23, description="Received after this hour: next day")
    extra_days_off: tuple[dt.date, ...] = Field((), description="Days off the government adds")
    extra_working_days: tuple[dt.date, ...] = Field((), description="Weekend days made working")
    supplement_days: int = Field(7, ge=1, description="Working days to answer a supplement")
    supplement_clock: Literal["restart", "pause"] = Field(
        "restart", description="On a supplement: restart the deadline, or resume it paused"
    )
    deadline_cuts_file: Path | None = Field(
        None,
        description="YAML of the province's approved deadline cuts (deploy/deadline-cuts.yaml); "
        "None: the statutory deadlines",
    )
    #: Where the law gives no verified deadline for a group (the death group), the whole-group
    #: target in working days, by group name (``<group>_verification`` when verification is
    #: needed); a group not named keeps its declaration's. See docs/explanation/groups.md.
    group_deadline_days: dict[str, int] = Field(
        {"death": 6, "death_verification": 18},
        description="Whole-group working days by group (JSON), overriding the declaration",
    )
    clock_offset_file: Path | None = Field(
        None, description="Shared legal-time offset (seconds) for tests; None: system time"
    )
    deadline_check_seconds: float = Field(30.0, gt=0, description="How often deadlines are checked")
    deadline_rescan_seconds: float = Field(
        600.0, gt=0, description="How often the legal clock's index is rebuilt from the table"
    )
    finished_retention_seconds: float = Field(
        7 * 86400.0,
        gt=0,
        description="How long a finished dossier stays in the hub's working table (then: archive)",
    )
    resend_after_seconds: float = Field(
        600.0, gt=0, description="Send an unanswered handoff again after this long"
    )
    unknown_dossier_wait_seconds: float = Field(
        600.0,
        ge=0,
        description="Keep an agency's answer for a dossier the hub has not received this long "
        "(it may arrive first after a crash) before dead-lettering it",
    )
    # -- Registration on the commune's initiative (Civil Status Law 2026) ---------------------
    notice_in_force: dt.date = Field(
        dt.date(2027, 3, 1),
        description="From when a facility's notice opens a dossier (by the hub's receipt time)",
    )
    notice_completion_days: float = Field(
        30.0,
        gt=0,
        description="Days the family has to complete a dossier opened from a facility's notice "
        "(an assumption: the law's figure was not read); then it closes, counted",
    )
    reread_stalled_seconds: float = Field(
        10.0,
        gt=0,
        description="Read a partition again from its committed offset after no progress this long",
    )

    # -- The population database (civil-registry's port) ---------------------------------
    population_db_plan: Path | None = Field(
        None, description="JSON telling the embedded population database to fail (tests, drills)"
    )
    id_retry_base_seconds: float = Field(2.0, gt=0, description="First retry delay")
    id_retry_max_seconds: float = Field(120.0, gt=0, description="Longest retry delay")

    # -- The webhook bridge (bridge/; README "Agencies without Kafka") -------------------------
    webhook_steps: tuple[str, ...] = Field(
        (),
        description="Steps an agency answers through the webhook bridge (JSON list of step "
        "names): the bridge delivers their handoffs, our processor leaves them",
    )
    webhook_endpoints: SecretStr | None = Field(
        None,
        description='Per agency (JSON): {"<agency>": {"url": "https://...", "secrets": '
        '["whsec_...", "whsec_..."]}}; two secrets are valid at once during a rotation',
    )
    bridge_web_port: int = Field(6072, description="The bridge's web port: its completion API")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="One delivery's time limit")
    webhook_concurrency: int = Field(
        8, ge=1, description="Deliveries in flight at once per agency endpoint"
    )
    webhook_retry_base_seconds: float = Field(1.0, gt=0, description="First delay after a failure")
    webhook_retry_max_seconds: float = Field(300.0, gt=0, description="Longest delay between tries")
    webhook_give_up_seconds: float = Field(
        86400.0,
        gt=0,
        description="How long a handoff is tried before it goes to the dead-letter topic",
    )
    webhook_ca_file: Path | None = Field(
        None,
        description="CA bundle the agencies' endpoint certificates are checked against; None: "
        "the system's (which SSL_CERT_FILE replaces, e.g. by the Kafka cluster's CA)",
    )
    webhook_tolerance_seconds: float = Field(
        300.0, gt=0, description="How far a signed completion request's timestamp may be off"
    )

    # -- The agency official's desk ---------------------------------------------------------
    review: str = Field(
        "",
        description="Review policy per step: STEP=auto|review|flagged, comma-separated "
        "(civil_registry=flagged,residence=review); a step not named: its declared default",
    )
    desk_claim_seconds: float = Field(
        1800.0, gt=0, description="A claim not decided this long returns the case to the queue"
    )
    desk_officials: dict[str, str] = Field(
        default_factory=dict,
        description="Which agency deployable each official decides for, by operator name "
        '(JSON: {"an.nguyen": "civil-registry"}); their password is an operator credential',
    )
    desk_db: str = Field(
        ":memory:", description="The desk's SQLite file (fed from the agencies' desk events)"
    )

    @field_validator("review")
    @classmethod
    def _review_policies(cls, value: str) -> str:
        parse_policies(value)
        return value

    def review_policies(self) -> dict[str, str]:
        """The configured review policy by step."""
        return dict(parse_policies(self.review))

    @field_validator("crash_at")
    @classmethod
    def _crash_only_in_development(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        faults.parse(value)
        if not info.data.get("development"):
            raise ValueError(
                "crash_at: LIENTHONG_CRASH_AT makes the worker exit on purpose; it is for tests "
                "and needs LIENTHONG_DEVELOPMENT=true"
            )
        return value

    @field_validator("transport")
    @classmethod
    def _transport_the_adapter_runs_on(cls, value: Transport) -> Transport:
        reason = refusal(value, installed_faust())
        if reason is not None:
            raise ValueError(reason)
        return value

    def calendar_kwargs(self) -> dict[str, object]:
        """What a WorkingCalendar needs from the settings."""
        return {
            "timezone": self.timezone,
            "cutoff_hour": self.cutoff_hour,
            "extra_days_off": self.extra_days_off,
            "extra_working_days": self.extra_working_days,
        }

    def topic(self, name: str) -> str:
        """The full name of a topic, e.g. ``topic("intake")`` -> ``lienthong.intake``."""
        return f"{self.topic_prefix}.{name}"

    def web_port(self, deployable: str) -> int:
        """The web (metrics) port of a deployable by its id."""
        ports = {
            "hub": self.hub_web_port,
            "civil-registry": self.civil_registry_web_port,
            "residence": self.residence_web_port,
            "health-insurance": self.health_insurance_web_port,
            "bridge": self.bridge_web_port,
            **self.extra_web_ports,
        }
        if deployable not in ports:
            raise SettingsError(
                f"extra_web_ports: no web port for deployable {deployable!r}; give it one "
                "(LIENTHONG_EXTRA_WEB_PORTS, JSON by deployable name)"
            )
        #: Extra workers of one deployable on one host each need their own port.
        return ports[deployable] + 100 * self.worker_index

    def operator_port(self) -> int:
        """The port of the hub's operators' listener (shifted like the web port)."""
        return self.hub_operator_port + 100 * self.worker_index

    def metrics_port(self, deployable: str) -> int:
        """Where Prometheus scrapes a deployable: the hub's operators' listener (with sign-in),
        an agency's web port."""
        return self.operator_port() if deployable == "hub" else self.web_port(deployable)

    def kafka_client_options(self) -> dict[str, object]:
        """Connection options shared by kafka-python clients."""
        options: dict[str, object] = {"bootstrap_servers": self.bootstrap_servers.split(",")}
        if self.security_protocol != "PLAINTEXT":
            options["security_protocol"] = self.security_protocol
            options["sasl_mechanism"] = "SCRAM-SHA-512"
            options["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                password = self.sasl_password.get_secret_value()
                options["sasl_plain_password"] = RedactedPassword(password)
        return options


#: The principal operators use for the dead-letter commands (``topics.OPERATOR``).
OPERATOR_PRINCIPAL = "operator"


def secure_environment(env: MutableMapping[str, str]) -> None:
    """What ``lienthong --secure`` does: SASL/SCRAM-SHA-512 (over TLS unless
    LIENTHONG_SECURITY_PROTOCOL says otherwise) as LIENTHONG_SASL_USERNAME (the operators'
    principal by default) with LIENTHONG_SASL_PASSWORD, which must be set."""
    if not env.get("LIENTHONG_SASL_PASSWORD"):
        raise SettingsError(
            "sasl_password: --secure needs LIENTHONG_SASL_PASSWORD (the password of "
            f"LIENTHONG_SASL_USERNAME, by default the {OPERATOR_PRINCIPAL!r} principal)"
        )
    if env.get("LIENTHONG_SECURITY_PROTOCOL", "PLAINTEXT") == "PLAINTEXT":
        env["LIENTHONG_SECURITY_PROTOCOL"] = "SASL_SSL"
    env.setdefault("LIENTHONG_SASL_USERNAME", OPERATOR_PRINCIPAL)
