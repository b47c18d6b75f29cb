"""docker-compose.yml and the Dockerfile agree with the tree and with the Settings defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lienthong.broker.jars import KAFKA_VERSION, pinned
from lienthong.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOYABLES = ("hub", "civil-registry", "residence", "health-insurance")
DEFAULTS = Settings.model_construct()  # field defaults only: no LIENTHONG_* from this shell


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value form
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command", [])
    return cmd.split() if isinstance(cmd, str) else [str(part) for part in cmd]


def deployable_of(service: dict[str, Any]) -> str | None:
    cmd = command(service)
    if cmd[:1] == ["lienthong"]:  # tolerate the entrypoint spelled out
        cmd = cmd[1:]
    return cmd[1] if cmd[:1] == ["run"] and len(cmd) > 1 else None


def published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    ports = {}
    for port in service.get("ports", []):
        parts = str(port).split(":")
        ports[int(parts[-1])] = int(parts[-2])
    return ports


def test_every_mounted_file_exists() -> None:
    mounts = [m for s in services().values() for m in s.get("volumes", []) if m.startswith(".")]
    assert mounts
    for mount in mounts:
        assert (ROOT / mount.split(":")[0]).exists(), mount


def test_every_lienthong_variable_is_a_setting() -> None:
    fields = set(Settings.model_fields)
    for name, service in services().items():
        for variable in environment(service):
            if variable.startswith("LIENTHONG_"):
                field = variable.removeprefix("LIENTHONG_").lower()
                assert field in fields, f"{name}: {variable} is not a Settings field"


def test_each_deployable_runs_once_by_its_id() -> None:
    commands = {n: deployable_of(s) for n, s in services().items() if "command" in s}
    run = [d for d in commands.values() if d is not None]
    assert sorted(run) == sorted(DEPLOYABLES)
    for name, deployable in commands.items():
        if deployable is not None:
            assert name == deployable


@pytest.mark.parametrize("deployable", DEPLOYABLES)
def test_deployables_reach_kafka_and_publish_their_default_port(deployable: str) -> None:
    service = services()[deployable]
    env = environment(service)
    assert env["LIENTHONG_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["LIENTHONG_WEB_HOST"] == "0.0.0.0"
    port = DEFAULTS.web_port(deployable)
    ports = {port: port}
    if deployable == "hub":  # and the operators' listener, reachable by Prometheus inside
        ports[DEFAULTS.hub_operator_port] = DEFAULTS.hub_operator_port
        assert env["LIENTHONG_OPERATOR_HOST"] == "0.0.0.0"
    assert published(service) == ports


def test_every_published_port_is_on_loopback_only() -> None:
    for name, service in services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_the_hub_takes_its_secrets_from_the_environment_and_stops_without_them() -> None:
    env = environment(services()["hub"])
    for name in ("LIENTHONG_LOOKUP_SECRET", "LIENTHONG_OPERATOR_CREDENTIALS"):
        assert re.fullmatch(rf"\$\{{{name}:\?set {name} .+\}}", env[name]), env[name]
    assert "LIENTHONG_DEVELOPMENT" not in env
    assert compose()["secrets"]["prometheus_password"] == {
        "environment": "LIENTHONG_PROMETHEUS_PASSWORD"
    }
    assert services()["prometheus"]["secrets"] == ["prometheus_password"]


def test_kafka_is_single_node_kraft_and_published_on_the_settings_port() -> None:
    kafka = services()["kafka"]
    # The same Kafka as the local broker's jars and the cluster manifests.
    assert f"kafka_2.13-{KAFKA_VERSION}.jar" in {jar.name for jar in pinned()}
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    env = environment(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "INTERNAL://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert published(kafka) == {DEFAULTS.kafka_port: DEFAULTS.kafka_port}


def test_prometheus_in_compose_scrapes_the_services_by_name() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.compose.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {d: [f"{d}:{DEFAULTS.metrics_port(d)}"] for d in DEPLOYABLES}
    assert signed_in(config) == {"hub": "/run/secrets/prometheus_password"}
    command_line = " ".join(command(services()["prometheus"]))
    assert "/etc/prometheus/prometheus.compose.yml" in command_line


def test_prometheus_on_this_machine_scrapes_the_default_ports() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {d: [f"127.0.0.1:{DEFAULTS.metrics_port(d)}"] for d in DEPLOYABLES}
    assert signed_in(config) == {"hub": "../../var/secrets/prometheus-password"}


def signed_in(config: dict[str, Any]) -> dict[str, str]:
    """Jobs scraped with the `prometheus` operator's credentials -> their password file."""
    found = {}
    for job in config["scrape_configs"]:
        if "basic_auth" in job:
            assert job["basic_auth"]["username"] == "prometheus"
            found[job["job_name"]] = job["basic_auth"]["password_file"]
    return found


def dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_dockerfile_copies_paths_that_exist() -> None:
    copies = [line.split()[1:-1] for line in dockerfile() if line.startswith("COPY ")]
    assert copies
    for sources in copies:
        for source in sources:
            assert not source.startswith("--"), "no --from/--chown: sources are tree paths"
            assert (ROOT / source).exists(), source


def test_dockerfile_installs_the_package_and_runs_the_cli() -> None:
    lines = dockerfile()
    assert lines[0] == "FROM python:3.11-slim"
    assert any(re.match(r"RUN pip install \.(\s|$)", line) for line in lines)
    assert 'ENTRYPOINT ["lienthong"]' in lines
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^lienthong = "lienthong\.cli:main"', pyproject, re.M)
    for line in lines:
        for variable in re.findall(r"\b(LIENTHONG_\w+)=", line):
            assert variable.removeprefix("LIENTHONG_").lower() in Settings.model_fields
