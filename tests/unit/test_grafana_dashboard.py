"""Grafana dashboard: every query names a metric that exists, on the provisioned datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from lienthong.metrics import FAUST_PREFIX, ConsumerLagCollector, Metrics

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "lienthong.json"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "lienthong.rules.yml"
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")
#: Prometheus's own per-target series, for the "deployables up" panel.
PROMETHEUS_SERIES = {"up"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # collapsed rows hold their panels
    return found


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, labels,
    keywords, strings or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = GROUPING.sub("", text)
    text = re.sub(r"\b\d[\w.]*", "", text)  # numbers and offset durations
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("(") or match.group() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def family_names(registry: CollectorRegistry) -> set[str]:
    return {family.name for family in registry.collect()}


def allowed_names() -> set[str]:
    ours = CollectorRegistry()
    Metrics.create(ours)
    ours.register(ConsumerLagCollector(dict))
    faust = CollectorRegistry()
    FaustMetrics.create(faust, FAUST_PREFIX)  # the names setup_faust_metrics registers
    families = family_names(ours) | family_names(faust)
    recorded = {
        rule["record"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    return (
        {f"{family}{suffix}" for family in families for suffix in SUFFIXES}
        | recorded
        | (PROMETHEUS_SERIES)
    )


def test_metric_name_parser() -> None:
    expr = (
        'histogram_quantile(0.5, sum by (step, le) (rate(lienthong_a_bucket{job=~"x|y"}[1h])))'
        " / on (step) lienthong:b:ratio_1d > bool 0 unless faust_c_total offset 5m"
    )
    assert metric_names(expr) == {"lienthong_a_bucket", "lienthong:b:ratio_1d", "faust_c_total"}


def test_every_query_names_a_known_metric() -> None:
    allowed = allowed_names()
    exprs = expressions()
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names, expr
        assert names <= allowed, f"{expr}: unknown {names - allowed}"


@pytest.mark.parametrize(
    "needed",
    [
        "lienthong_steps_handed_off_total",  # flow per step
        "lienthong_steps_done_total",
        "lienthong:on_time_share:ratio_1d",
        "lienthong:overdue:count",
        "lienthong_steps_in_flight",
        "lienthong_step_oldest_in_flight_age_seconds",
        "lienthong_step_duration_seconds_bucket",  # latency percentiles
        "lienthong:dossier_duration_seconds:median_1d",
        "lienthong_consumer_lag",
        "lienthong_dead_letters_total",
        "lienthong_partitions_reread_total",  # recovery after crashes
        "lienthong_answers_parked_total",
        "lienthong:satisfied_share_by_group:ratio_30d",  # reform measures
        "lienthong:satisfied_share:ratio_30d",
        "lienthong:deadline_cut_share:ratio_30d",
    ],
)
def test_the_operator_sees(needed: str) -> None:
    assert any(needed in metric_names(expr) for expr in expressions())


def test_panels_use_the_provisioned_datasource_and_unique_ids() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]
            assert all(t["datasource"]["uid"] == uid for t in panel["targets"])


def test_dashboard_provider_points_at_the_mounted_folder() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/lienthong.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    path = provider["providers"][0]["options"]["path"]
    assert any(m.endswith(f":{path}") or m.endswith(f":{path}:ro") for m in mounts)
