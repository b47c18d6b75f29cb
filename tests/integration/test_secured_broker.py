"""The secured broker: SCRAM users, least-privilege ACLs, real denials, the whole pipeline."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from pydantic import SecretStr
from typer.testing import CliRunner

from lienthong import cli, topics
from lienthong.broker.probe import is_answering
from lienthong.broker.secure import (
    EVERY_TOPIC,
    PRINCIPALS,
    Grant,
    SecureBroker,
    as_principal,
    grants,
    internal_roles,
    new_passwords,
    new_secret,
    secure_settings,
    worker_env,
)
from lienthong.client.batch import push_through
from lienthong.client.deadletters import read_dead_letters
from lienthong.errors import SettingsError, TopicsMissing
from lienthong.groups.birth.synthetic import generate
from lienthong.manifests import read_users
from lienthong.runtime.app import app_id
from lienthong.runtime.stack import LocalStack, settings_env
from lienthong.settings import Settings
from lienthong.worker import prepare_topics, wait_for_kafka
from netports import free_ports

pytestmark = pytest.mark.broker


class _Collect(logging.Handler):
    """Every log record of this process while the broker is set up, formatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Secured:
    admin: Settings
    passwords: dict[str, SecretStr]
    broker: SecureBroker
    log_lines: list[str]

    def as_(self, principal: str) -> Settings:
        return as_principal(self.admin, principal, self.passwords[principal])

    def secrets(self) -> list[str]:
        values = [*self.passwords.values(), self.admin.sasl_password]
        return [v.get_secret_value() for v in values if v is not None]


#: The cluster's KafkaUsers: the ACLs this broker enforces come from them, not from the code, so a
#: manifest that would leave a deployable unable to start fails here.
USERS_MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "users.yaml"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """A secured broker on its own ports and data dir, with the users and ACLs of the cluster's
    manifest (its own broker: the topics carry the cluster's names, as in the manifest)."""
    root = tmp_path_factory.mktemp("secured")
    port, controller, *web = free_ports(7)
    admin = secure_settings(
        Settings(),
        new_secret(),
        kafka_port=port,
        kafka_controller_port=controller,
        kafka_data_dir=root / "kafka",
        topic_prefix="lienthong",
        state_dir=root / "state",
        hub_web_port=web[0],
        civil_registry_web_port=web[1],
        residence_web_port=web[2],
        health_insurance_web_port=web[3],
        hub_operator_port=web[4],
    )
    broker = SecureBroker(admin)
    passwords = new_passwords()
    collect = _Collect()
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.addHandler(collect)
    root_logger.setLevel(logging.DEBUG)
    try:
        broker.start()
        broker.provision(passwords, read_users(USERS_MANIFEST.read_text()))
    finally:
        root_logger.removeHandler(collect)
        root_logger.setLevel(level)
    try:
        yield Secured(admin, passwords, broker, collect.lines)
    finally:
        broker.stop()


def _read(settings: Settings, role: str, timeout: float = 5.0) -> list[bytes]:
    """Everything on a topic so far (reads until ``timeout`` s pass with nothing new)."""
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    try:
        parts = [TopicPartition(settings.topic(role), p) for p in range(settings.partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(consumer.position(p) < ends[p] for p in parts):
            values += [m.value for batch in consumer.poll(500).values() for m in batch]
        return values
    finally:
        consumer.close()


#: What these tests publish by hand; the deployables dead-letter them, and nothing else.
PROBES = {b"probe", b"for civil-registry only", b"from the portal", b"for residence"}


def _write(settings: Settings, role: str, value: bytes = b"probe") -> int:
    producer = KafkaProducer(**settings.kafka_client_options(), max_block_ms=10_000)
    try:
        meta = producer.send(settings.topic(role), key=b"k", value=value).get(timeout=10)
        return int(meta.offset)
    finally:
        producer.close()


# -- The table, without a broker -----------------------------------------------------------------


def test_every_agency_reads_only_its_handoff_and_writes_its_completion() -> None:
    settings = Settings(topic_prefix="x")
    table = grants(settings)
    for step, agency in topics.STEP_TOPIC_NAMES.items():
        mine = [g for g in table if g.principal == agency and g.resource == "TOPIC"]
        reads = {g.name for g in mine if g.operation == "READ" and g.pattern == "LITERAL"}
        writes = {g.name for g in mine if g.operation == "WRITE" and g.pattern == "LITERAL"}
        own = {settings.topic(role) for role in internal_roles(agency)}
        assert reads == {settings.topic(topics.handoff(step)), *own}
        # Besides its answers: dead letters, and each case it puts on an official's desk.
        assert writes == {settings.topic(topics.completion(step)), "x.deadletter", "x.desk", *own}
        prefixed = {g.name for g in mine if g.pattern == "PREFIXED" and g.operation != "DESCRIBE"}
        assert prefixed == {f"{app_id(agency, settings)}-"}, "only Faust's own topics"
        foreign = [g for g in mine if g.operation != "DESCRIBE" and not _own(g, agency, settings)]
        assert foreign == [], "nothing but DESCRIBE on what is not the agency's own"
    integrator = {(g.operation, g.name) for g in table if g.principal == "integrator"}
    assert integrator == {("WRITE", "x.intake"), ("READ", "x.status"), ("READ", "x-integrator-")}
    hub = {(g.operation, g.name) for g in table if g.principal == "hub" and g.resource == "TOPIC"}
    assert ("READ", "x.intake") in hub and ("WRITE", "x.status") in hub
    readers = {g.principal for g in table if g.operation == "READ" and g.name == "x.deadletter"}
    # Dead letters hold personal data: only the hub's board and the operators' CLI read them.
    assert readers == {"hub", topics.OPERATOR}


def _own(grant: Grant, agency: str, settings: Settings) -> bool:
    step = next(s for s, name in topics.STEP_TOPIC_NAMES.items() if name == agency)
    mine = {
        topics.handoff(step),
        topics.completion(step),
        topics.DEADLETTER,
        topics.DESK,
        *internal_roles(agency),
    }
    return (
        grant.name in {settings.topic(r) for r in mine}
        or grant.name == f"{app_id(agency, settings)}-"
    )


def test_every_internal_topic_belongs_to_a_deployable() -> None:
    """Internal topics are named ``<deployable>.<what>``: that is how their ACLs are found (the
    webhook bridge's too, a deployable outside the local stack's four)."""
    runnable = (*topics.DEPLOYABLES, topics.BRIDGE)
    owned = {role for name in runnable for role in internal_roles(name)}
    assert owned == set(EVERY_TOPIC) - set(topics.ALL_ROLES)


def test_the_secured_broker_refuses_the_plaintext_ports_and_weak_passwords(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError, match="its own port"):
        SecureBroker(secure_settings(Settings(), new_secret(), kafka_port=19092))
    weak = secure_settings(Settings(), SecretStr('pass"word'), kafka_data_dir=tmp_path)
    with pytest.raises(SettingsError, match="password") as caught:
        SecureBroker(weak)
    assert 'pass"word' not in str(caught.value)


# -- Real clients against the secured broker ----------------------------------------------------


def test_only_known_users_get_in(secured: Secured) -> None:
    assert is_answering(secured.admin.bootstrap_servers) is False, "no credentials, no answer"
    wrong = secured.as_("residence").model_copy(update={"sasl_password": new_secret()})
    options = wrong.kafka_client_options()
    options.pop("bootstrap_servers")
    assert not is_answering(wrong.bootstrap_servers, client_options=options)
    for principal in PRINCIPALS:
        options = secured.as_(principal).kafka_client_options()
        options.pop("bootstrap_servers")
        assert is_answering(secured.admin.bootstrap_servers, client_options=options), principal


def test_an_agency_cannot_read_another_agencys_handoff(secured: Secured) -> None:
    _write(secured.admin, topics.handoff("civil_registry"), b"for civil-registry only")
    with pytest.raises(TopicAuthorizationFailedError):
        _read(secured.as_("residence"), topics.handoff("civil_registry"))


def test_an_integrator_cannot_write_a_handoff(secured: Secured) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        _write(secured.as_("integrator"), topics.handoff("residence"))


def test_nobody_writes_a_completion_topic_that_is_not_theirs(secured: Secured) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        _write(secured.as_("civil-registry"), topics.completion("residence"))
    with pytest.raises(TopicAuthorizationFailedError):
        _write(secured.as_("hub"), topics.completion("health_insurance"))


def test_the_allowed_paths_work(secured: Secured) -> None:
    assert _write(secured.as_("integrator"), topics.INTAKE, b"from the portal") >= 0
    _write(secured.admin, topics.handoff("residence"), b"for residence")
    assert b"for residence" in _read(secured.as_("residence"), topics.handoff("residence"))
    with pytest.raises(TopicAuthorizationFailedError):
        _read(secured.as_("integrator"), topics.INTAKE)


def test_an_integrator_follows_status_in_its_own_consumer_groups_only(secured: Secured) -> None:
    integrator = secured.as_("integrator")
    _write(secured.admin, topics.STATUS, b"a status")
    own = f"{app_id('integrator', integrator)}-portal"
    assert b"a status" in _consume_in_group(integrator, topics.STATUS, own)
    with pytest.raises(GroupAuthorizationFailedError):
        _consume_in_group(integrator, topics.STATUS, app_id("hub", integrator))


def test_the_operator_reads_dead_letters_and_replays_into_what_deployables_read(
    secured: Secured,
) -> None:
    """The principal of `lienthong deadletters list|replay`, and nothing more (README)."""
    operator = secured.as_(topics.OPERATOR)
    assert isinstance(_read(operator, topics.DEADLETTER, timeout=1.0), list)
    replay_into = (*topics.HUB_READS, *(topics.handoff(s) for s in topics.STEP_TOPIC_NAMES))
    for role in replay_into:
        assert _write(operator, role) >= 0, role
    for role in (topics.STATUS, topics.AUDIT, topics.INTAKE, topics.handoff("residence")):
        with pytest.raises(TopicAuthorizationFailedError):
            _read(operator, role, timeout=1.0)
    for role in (topics.STATUS, topics.AUDIT, topics.DEADLETTER):
        with pytest.raises(TopicAuthorizationFailedError):
            _write(operator, role)
    with pytest.raises(GroupAuthorizationFailedError):
        _consume_in_group(operator, topics.DEADLETTER, "operator")
    # The CLI, as an operator runs it: `--secure`, the password from the environment.
    env = {k: v for k, v in settings_env(operator).items() if k != "LIENTHONG_SASL_USERNAME"}
    listed = CliRunner().invoke(cli.app, ["--secure", "deadletters", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"dead letters in {operator.topic(topics.DEADLETTER)}" in listed.output


def _consume_in_group(settings: Settings, role: str, group: str) -> list[bytes]:
    consumer = KafkaConsumer(
        settings.topic(role),
        **settings.kafka_client_options(),
        group_id=group,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        return [message.value for message in consumer]
    finally:
        consumer.close()


def test_the_whole_pipeline_runs_with_one_principal_per_deployable(
    secured: Secured, tmp_path: Path
) -> None:
    stack = LocalStack(secured.admin, tmp_path / "logs")
    stack.log_dir.mkdir(parents=True)
    try:
        for name in stack.names:
            stack.spawn(name, extra_env=worker_env(name, secured.passwords[name]))
        stack.wait_ready(90)
        now = dt.datetime.now(dt.UTC)
        items = generate(
            20, seed=7, invalid_share=0.1, start=now - dt.timedelta(minutes=1), live=True
        )
        result = push_through(secured.as_("integrator"), items, timeout=90)
    finally:
        stack.stop()
    assert result.still_open() == []
    finals = {t.final[0] for t in result.timelines.values() if t.final}
    assert "DossierFinished" in finals
    dead = {e.record["value"] for e in read_dead_letters(secured.admin)}
    assert dead <= PROBES, "only the hand-written probes are dead letters"

    logs = [*stack.log_dir.iterdir(), *secured.broker.logs_dir.iterdir()]
    logs.append(secured.broker.console_log)
    assert len(logs) >= 5
    for path in logs:
        text = path.read_text(errors="replace")
        for secret in secured.secrets():
            assert secret not in text, f"a password is in {path}"
    assert secured.log_lines, "the set-up logged nothing to check"
    for line in secured.log_lines:
        assert not any(secret in line for secret in secured.secrets()), line
    assert secured.broker.properties.stat().st_mode & 0o077 == 0, "server.properties is private"


def test_a_topic_a_deployable_may_not_create_fails_at_once_in_one_line(secured: Secured) -> None:
    """A principal without CREATE meets a missing topic: one clear error, no minutes of retry."""
    elsewhere = secured.as_("residence").model_copy(update={"topic_prefix": "nowhere"})
    began = time.monotonic()
    with pytest.raises(TopicsMissing) as caught:
        wait_for_kafka(elsewhere, "residence")
    assert time.monotonic() - began < 15, "refused at once, not retried"
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("residence: residence cannot see nowhere")
    assert "may not create it (TopicAuthorizationFailedError)" in message
    assert "nowhere.handoff.residence" in message and "users.yaml" in message


def test_where_the_topic_operator_owns_the_topics_a_missing_one_is_named(
    secured: Secured,
) -> None:
    operator = {"topics_created_by": "operator"}
    residence = secured.as_("residence").model_copy(update=operator)
    assert prepare_topics(residence, "residence") == [], "its topics exist: nothing to create"
    elsewhere = residence.model_copy(update={"topic_prefix": "nowhere"})
    with pytest.raises(TopicsMissing, match=r"nowhere\.handoff\.residence.*topic operator"):
        prepare_topics(elsewhere, "residence")


def test_a_facility_only_notifies_and_the_broker_refuses_it_a_completion(
    secured: Secured,
) -> None:
    """A health facility's system (Civil Status Law 2026) writes its notices on intake and
    nothing else: a completion event it publishes never reaches an agency's topic."""
    from lienthong.contracts.codec import AvroCodec
    from lienthong.contracts.events import metadata

    facility = secured.as_(topics.FACILITY)
    at = dt.datetime(2027, 3, 2, 2, tzinfo=dt.UTC)
    meta = metadata("BirthRegistered", "KS-00001.GCS.01234.27", "facility:01234", at, None)
    forged = AvroCodec().encode(
        "BirthRegistered",
        {
            "meta": meta,
            "step": "civil_registry",
            "registration_number": "000001/2027/KS-00001",
            "registered_on": at.date(),
            "child": {
                "full_name": "Nguyễn An",
                "born_at": at,
                "sex": "MALE",
                "personal_id": "001227000001",
            },
            "extract_ref": "TLKS-000001",
        },
    )
    for role in {topics.completion(step) for step in topics.STEP_TOPIC_NAMES}:
        with pytest.raises(TopicAuthorizationFailedError):
            _write(facility, role, forged)
    for role in (topics.STATUS, topics.DEADLETTER, *topics.HANDOFFS):
        with pytest.raises(TopicAuthorizationFailedError):
            _write(facility, role)
    with pytest.raises(TopicAuthorizationFailedError):
        _read(facility, topics.INTAKE, timeout=1.0)
    assert _write(facility, topics.INTAKE, b"a notice") >= 0
