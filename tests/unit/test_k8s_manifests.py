"""Cluster manifests: every contract topic exists, ACLs are least privilege, ports fit Settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong import topics
from lienthong.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DEFAULTS = Settings.model_construct()  # field defaults only: no LIENTHONG_* from this shell
DAY_MS = 86_400_000
#: Retention in days by topic role, as the legal clock and replays need them.
RETENTION_DAYS = {topics.STATUS: 30, topics.DEADLETTER: 90}


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
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    spec = kafka["spec"]["kafka"]
    assert spec["authorization"]["type"] == "simple"
    assert spec["listeners"], "at least one listener"
    for listener in spec["listeners"]:
        assert listener["tls"] is True
        assert listener["authentication"]["type"] == "scram-sha-512"
    assert spec["config"]["min.insync.replicas"] == 2


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


def granted(user: dict[str, Any]) -> tuple[set[str], set[str], list[dict[str, Any]]]:
    """Contract topics a user may read, may write, and every other ACL it holds."""
    reads, writes, others = set(), set(), []
    for acl in user["spec"]["authorization"]["acls"]:
        resource, operations = acl["resource"], set(acl["operations"])
        contract = resource["type"] == "topic" and resource["name"].startswith(
            f"{DEFAULTS.topic_prefix}."
        )
        if contract and resource.get("patternType", "literal") == "literal":
            assert operations in ({"Read", "Describe"}, {"Write", "Describe"}), acl
            (reads if "Read" in operations else writes).add(resource["name"])
        else:
            others.append(acl)
    return reads, writes, others


@pytest.mark.parametrize("principal", sorted(topics.ACCESS))
def test_user_acls_match_the_least_privilege_table(principal: str) -> None:
    user = by_name("KafkaUser")[principal]
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    reads, writes, others = granted(user)
    access = topics.ACCESS[principal]
    own = {topic(role) for role in topics.INTERNAL.get(principal, ())}
    assert reads == {topic(role) for role in access.reads} | own
    assert writes == {topic(role) for role in access.writes} | own
    for acl in others:  # only the principal's own groups and (apps) changelog topics
        resource = acl["resource"]
        assert resource["name"] not in {"*", ""}, acl
        if resource["type"] == "group":
            assert resource["name"] == principal and set(acl["operations"]) == {"Read"}, acl
        else:
            assert principal in topics.DEPLOYABLES, acl
            assert resource == {"type": "topic", "name": f"{principal}-", "patternType": "prefix"}


def test_there_is_a_user_per_principal_and_no_other() -> None:
    assert set(by_name("KafkaUser")) == set(topics.ACCESS)


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = only
    return found


def env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(deployment)["env"]}


@pytest.mark.parametrize("deployable", topics.DEPLOYABLES)
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
        if deployable == "hub":  # its /metrics needs a sign-in; the citizens' port has none
            assert "httpGet" not in main[probe]
    for kind in ("requests", "limits"):
        assert set(main["resources"][kind]) == {"cpu", "memory"}


@pytest.mark.parametrize("deployable", topics.DEPLOYABLES)
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
    assert scraped == {d: "operators" if d == "hub" else "web" for d in topics.DEPLOYABLES}


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
