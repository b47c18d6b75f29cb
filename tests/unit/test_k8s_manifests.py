"""Cluster manifests: every contract topic exists, users and alerts are generated, ports fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong import manifests, topics
from lienthong.broker.jars import KAFKA_VERSION, pinned
from lienthong.broker.secure import Grant, grants
from lienthong.errors import SettingsError
from lienthong.manifests import (
    PROMETHEUS_RULE,
    STRIMZI_API,
    USERS,
    cluster_settings,
    prometheus_rule_yaml,
    read_users,
    users_yaml,
)
from lienthong.runtime.readiness import READY_PATH
from lienthong.settings import Settings
from lienthong.worker import changelog_topics, topics_of

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DEFAULTS = Settings.model_construct()  # field defaults only: no LIENTHONG_* from this shell
DAY_MS = 86_400_000
#: Retention in days by topic role, as the legal clock and replays need them.
RETENTION_DAYS = {topics.STATUS: 30, topics.DEADLETTER: 90}
#: Every Deployment: the pipeline's deployables and the webhook bridge.
DEPLOYED = (*topics.DEPLOYABLES, topics.BRIDGE)


def documents(kind: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == kind]
    return found


def by_name(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents(kind)}


def kafka_topics() -> dict[str, dict[str, Any]]:
    return {d["spec"].get("topicName", d["metadata"]["name"]): d for d in documents("KafkaTopic")}


def topic(role: str) -> str:
    return DEFAULTS.topic(role)


def test_every_resource_is_in_the_namespace_and_cluster() -> None:
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == "lienthong", doc["metadata"]["name"]
                if doc["apiVersion"].startswith("kafka.strimzi.io/") and doc["kind"] != "Kafka":
                    assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "lienthong"


def test_kafka_is_three_kraft_brokers_with_tls_scram_and_acls() -> None:
    (pool,) = documents("KafkaNodePool")
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    (kafka,) = documents("Kafka")
    assert kafka["apiVersion"] == STRIMZI_API  # Strimzi 1.x: KRaft and node pools only
    spec = kafka["spec"]["kafka"]
    assert spec["authorization"]["type"] == "simple"
    assert spec["listeners"], "at least one listener"
    for listener in spec["listeners"]:
        assert listener["tls"] is True
        assert listener["authentication"]["type"] == "scram-sha-512"
    assert spec["config"]["min.insync.replicas"] == 2
    assert spec["config"]["default.replication.factor"] == 3


def test_every_contract_topic_has_a_kafka_topic() -> None:
    declared = kafka_topics()
    expected = {topic(role) for role in (*topics.ALL_ROLES, *topics.INTERNAL_ROLES)}
    assert set(declared) == expected


@pytest.mark.parametrize("role", topics.INTERNAL_ROLES)
def test_internal_topics_are_partitioned_like_what_their_owner_reads(role: str) -> None:
    spec = kafka_topics()[topic(role)]["spec"]
    assert spec["partitions"] == 12 and spec["replicas"] == 3


@pytest.mark.parametrize("role", topics.ALL_ROLES)
def test_topic_durability_and_retention(role: str) -> None:
    spec = kafka_topics()[topic(role)]["spec"]
    assert spec["replicas"] == 3
    assert spec["config"]["min.insync.replicas"] == 2
    days = RETENTION_DAYS.get(role, 14)  # intake, handoff, completion
    assert spec["config"]["retention.ms"] == days * DAY_MS


def test_hub_read_topics_share_one_partition_count() -> None:
    declared = kafka_topics()
    counts = {declared[topic(role)]["spec"]["partitions"] for role in topics.HUB_READS}
    assert counts == {12}


def test_users_are_the_generated_acl_table() -> None:
    """users.yaml is `lienthong manifests`' output: the code's ACL table, nothing else."""
    assert (ROOT / USERS).read_text() == users_yaml(), "run `lienthong manifests`"


def test_the_manifests_grants_read_back_as_the_acl_table() -> None:
    assert read_users(users_yaml()) == grants(cluster_settings())


def test_a_principal_added_to_the_acl_table_gets_its_kafka_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = Grant("auditor", "TOPIC", "lienthong.deadletter", "LITERAL", "READ")
    monkeypatch.setattr(manifests, "grants", lambda settings: [*grants(settings), extra])
    text = manifests.users_yaml()
    assert extra in read_users(text)
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(text) if d]
    assert names == [*topics.ACCESS, "auditor"]


def test_a_user_rule_the_broker_code_cannot_express_is_named() -> None:
    text = users_yaml().replace("- Read\n", "- Fly\n", 1)
    with pytest.raises(SettingsError, match=r"KafkaUser hub: acls\[0\]\.operations: 'FLY'"):
        read_users(text)


@pytest.mark.parametrize("deployable", DEPLOYED)
def test_every_topic_a_deployable_checks_at_start_its_user_may_see(deployable: str) -> None:
    """What `lienthong run` looks up at start-up is visible to its KafkaUser (READ or WRITE imply
    DESCRIBE; Kafka hides a topic a principal may not describe, and the deployable would try to
    create it). Start-up once checked every topic while users.yaml granted each deployable only
    its own, and every pod crash-looped: that mismatch is caught here without a broker."""
    settings = cluster_settings()
    mine = [g for g in read_users((ROOT / USERS).read_text()) if g.principal == deployable]
    literal = {g.name for g in mine if g.pattern == "LITERAL" and g.operation in ("READ", "WRITE")}
    prefixes = [g.name for g in mine if g.pattern == "PREFIXED" and g.operation == "CREATE"]
    contract = {settings.topic(role) for role in topics_of(deployable)}
    assert contract <= literal, contract - literal
    for changelog in changelog_topics(settings, (deployable,)):
        assert any(changelog.startswith(p) for p in prefixes), changelog
    others = {settings.topic(r) for r in topics.ALL_ROLES} - contract
    assert not others & literal, "nothing of another deployable's"


def test_the_prometheus_rule_is_generated_from_the_rule_files() -> None:
    assert (ROOT / PROMETHEUS_RULE).read_text() == prometheus_rule_yaml(ROOT)
    (rule,) = documents("PrometheusRule")
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/lienthong.rules.yml").read_text())
    assert rule["spec"]["groups"] == rules["groups"]


def test_the_strimzi_resources_use_the_v1_api() -> None:
    for kind in ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"):
        assert {d["apiVersion"] for d in documents(kind)} == {STRIMZI_API}, kind


def test_the_local_broker_runs_the_clusters_kafka_version() -> None:
    (kafka,) = documents("Kafka")
    assert f"kafka_2.13-{KAFKA_VERSION}.jar" in {jar.name for jar in pinned()}
    assert kafka["spec"]["kafka"]["version"] == KAFKA_VERSION


def test_there_is_a_user_per_principal_and_no_other() -> None:
    assert set(by_name("KafkaUser")) == set(topics.ACCESS)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = only
    return found


def env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(deployment)["env"]}


@pytest.mark.parametrize("deployable", DEPLOYED)
def test_deployment_runs_its_deployable_on_its_settings_port(deployable: str) -> None:
    deployment = by_name("Deployment")[deployable]
    main = container(deployment)
    assert main["args"] == ["run", deployable]
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    expected = {"web": DEFAULTS.web_port(deployable)}
    if deployable == "hub":
        expected["operators"] = DEFAULTS.hub_operator_port
    assert ports == expected
    for probe in ("livenessProbe", "readinessProbe"):
        check = main[probe].get("httpGet") or main[probe]["tcpSocket"]
        assert check["port"] in ports
        if deployable == "hub" and "httpGet" in main[probe]:
            # its /metrics needs a sign-in; the citizens' port answers /ready and their pages
            assert main[probe]["httpGet"]["path"] == READY_PATH
    for kind in ("requests", "limits"):
        assert set(main["resources"][kind]) == {"cpu", "memory"}


@pytest.mark.parametrize("deployable", DEPLOYED)
def test_a_worker_waiting_for_its_brokers_is_not_restarted_for_it(deployable: str) -> None:
    # A worker started before its brokers waits up to startup_wait_seconds and listens only
    # after: the startup probe (which holds the liveness probe back) must outlast that wait.
    main = container(by_name("Deployment")[deployable])
    startup, liveness = main["startupProbe"], main["livenessProbe"]
    window = startup["periodSeconds"] * startup["failureThreshold"]
    assert window > DEFAULTS.startup_wait_seconds
    assert {k: v for k, v in startup.items() if k in ("httpGet", "tcpSocket")} == {
        k: v for k, v in liveness.items() if k in ("httpGet", "tcpSocket")
    }


@pytest.mark.parametrize("deployable", DEPLOYED)
def test_deployment_authenticates_with_its_own_user(deployable: str) -> None:
    variables = env(by_name("Deployment")[deployable])
    for name in variables:
        if name.startswith("LIENTHONG_"):
            assert name.removeprefix("LIENTHONG_").lower() in Settings.model_fields, name
    assert variables["LIENTHONG_SASL_USERNAME"]["value"] == deployable
    secret = variables["LIENTHONG_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": deployable, "key": "password"}  # the KafkaUser's Secret
    assert variables["LIENTHONG_SECURITY_PROTOCOL"]["value"].startswith("SASL_")
    hub_partitions = kafka_topics()[topic(topics.INTAKE)]["spec"]["partitions"]
    assert int(variables["LIENTHONG_PARTITIONS"]["value"]) == hub_partitions


def test_pod_monitor_scrapes_every_deployment_as_its_own_job() -> None:
    monitors = {m["metadata"]["name"]: m for m in documents("PodMonitor")}
    scraped: dict[str, str] = {}
    for monitor in monitors.values():
        selector = monitor["spec"]["selector"]
        excluded = {
            value
            for rule in selector.get("matchExpressions", [])
            if rule["operator"] == "NotIn"
            for value in rule["values"]
        }
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        for name, deployment in by_name("Deployment").items():
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            if selector["matchLabels"].items() <= labels.items() and name not in excluded:
                assert name not in scraped, f"{name} scraped twice"
                assert labels[monitor["spec"]["jobLabel"]] == name  # job="hub", as rules expect
                scraped[name] = endpoint["port"]
                if endpoint["port"] == "operators":
                    secret = endpoint["basicAuth"]["password"]
                    assert secret == {"name": "lienthong-prometheus", "key": "password"}
    assert scraped == {d: "operators" if d == "hub" else "web" for d in DEPLOYED}


def test_the_hub_takes_its_secrets_from_a_kubernetes_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = env(by_name("Deployment")["hub"])
    for name, key in (
        ("LIENTHONG_LOOKUP_SECRET", "lookup-secret"),
        ("LIENTHONG_OPERATOR_CREDENTIALS", "operator-credentials"),
    ):
        reference = variables[name]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "lienthong-hub", "key": key}, name
    assert "LIENTHONG_DEVELOPMENT" not in variables
    monkeypatch.setenv("LIENTHONG_TRUSTED_PROXIES", variables["LIENTHONG_TRUSTED_PROXIES"]["value"])
    assert Settings().trusted_proxies == ("10.0.0.0/8",)  # read as the pod will


def test_the_hub_links_to_its_public_address() -> None:
    url = env(by_name("Deployment")["hub"])["LIENTHONG_PUBLIC_BASE_URL"]["value"]
    assert url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url


@pytest.mark.parametrize("deployable", DEPLOYED)
def test_ready_means_consuming_and_topics_come_from_the_operator(deployable: str) -> None:
    deployment = by_name("Deployment")[deployable]
    assert container(deployment)["readinessProbe"]["httpGet"]["path"] == READY_PATH
    assert env(deployment)["LIENTHONG_TOPICS_CREATED_BY"]["value"] == "operator"
