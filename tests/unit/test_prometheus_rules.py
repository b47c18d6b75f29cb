"""Prometheus rules: promtool accepts and unit-tests them, and they only name metrics we declare."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from lienthong.bridge.metrics import BridgeMetrics
from lienthong.domain.calendar import SystemClock, WorkingCalendar
from lienthong.hub.desk.service import DeskMetrics
from lienthong.hub.desk.store import DeskStore
from lienthong.metrics import ConsumerLagCollector, Metrics
from lienthong.settings import Settings
from lienthong.topics import DEPLOYABLES

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules" / "lienthong.rules.yml"
RULE_TESTS = PROMETHEUS / "tests" / "lienthong.rules.test.yml"
#: Series a counter or histogram family exposes besides its own name.
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")
METRIC_NAME = re.compile(r"\blienthong_\w+")


def declared_metric_names() -> set[str]:
    """Family names in a registry holding every lienthong metric (counters without _total)."""
    registry = CollectorRegistry()
    Metrics.create(registry)
    BridgeMetrics(registry)  # the webhook bridge's own series (lienthong.bridge.metrics)
    registry.register(ConsumerLagCollector(dict))
    registry.register(DeskMetrics(DeskStore(), SystemClock(), WorkingCalendar()))
    return {family.name for family in registry.collect()}


def is_declared(name: str, declared: set[str]) -> bool:
    return any(name.removesuffix(s) in declared for s in SUFFIXES if name.endswith(s))


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail("promtool is missing: run `make deps` (Debian package `prometheus`)")
    return subprocess.run(
        [executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_both_configs() -> None:
    for config in ("prometheus.yml", "prometheus.compose.yml"):
        result = promtool("check", "config", str(PROMETHEUS / config))
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    fired = {case["alertname"] for case in cases if case.get("exp_alerts")}
    silent = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert alerts <= fired, f"never tested firing: {alerts - fired}"
    assert alerts <= silent, f"never tested silent: {alerts - silent}"


def test_every_alert_says_how_bad_and_what_to_look_at() -> None:
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
                assert {"summary", "runbook"} <= set(rule["annotations"]), rule["alert"]


def test_rules_name_only_declared_metrics() -> None:
    declared = declared_metric_names()
    used = {name for expr in rule_expressions() for name in METRIC_NAME.findall(expr)}
    assert used, "the rules should use lienthong metrics"
    assert not is_declared("lienthong_undeclared_total", declared)  # the check can fail
    assert {name for name in used if not is_declared(name, declared)} == set()


def test_rule_tests_feed_only_declared_metrics() -> None:
    declared = declared_metric_names()
    series = [
        item["series"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for item in test.get("input_series", [])
    ]
    used = {name for text in series for name in METRIC_NAME.findall(text)}
    assert {name for name in used if not is_declared(name, declared)} == set()


def test_local_config_runs_from_the_repository_root() -> None:
    """`prometheus --config.file=deploy/prometheus/prometheus.yml` from the root finds the rules
    (paths in rule_files are relative to the config file; a glob that matched nothing would
    still be a valid config, so the rules file must be named in promtool's output)."""
    result = promtool("check", "config", "deploy/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout, result.stdout
    assert "deploy/prometheus/rules/lienthong.rules.yml" in result.stdout, result.stdout
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"]
        for job in yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())["scrape_configs"]
    }
    fields = Settings.model_construct()  # defaults only
    defaults = {name: fields.metrics_port(name) for name in DEPLOYABLES}  # hub: operators'
    assert jobs == {name: [f"127.0.0.1:{port}"] for name, port in defaults.items()}
