"""The operators' pages list every metric, recording rule and alert we declare, and say how to
run and grow (once the README's operators section, now docs/operators/)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from lienthong.bench.desk import a_case
from lienthong.domain.calendar import SystemClock, WorkingCalendar
from lienthong.hub.desk.service import DeskMetrics
from lienthong.hub.desk.store import DeskStore
from lienthong.metrics import ConsumerLagCollector, Metrics
from lienthong.runtime.staged import KeptStatesCollector, KeptTable, Parsing

ROOT = Path(__file__).resolve().parents[2]
#: The operators' pages the checks read: the metrics and alerts, and the deployment.
OPERATOR_PAGES = tuple(ROOT / "docs" / "operators" / page for page in ("metrics.md", "deploy.md"))
RULES = ROOT / "deploy" / "prometheus" / "rules" / "lienthong.rules.yml"
#: A metrics table row: | `name` | type | `label`, `label` (or -) | from | meaning |
METRIC_ROW = re.compile(r"^\| `(lienthong_\w+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)
FIRST_CELL = re.compile(r"^\| `([\w:]+)` \|", re.MULTILINE)


def operators_section() -> str:
    missing = [page.name for page in OPERATOR_PAGES if not page.is_file()]
    assert not missing, f"the operators' pages are missing: {missing}"
    return "\n".join(page.read_text(encoding="utf-8") for page in OPERATOR_PAGES)


def declared() -> dict[str, tuple[str, frozenset[str]]]:
    """Exposed name (counters with ``_total``) -> (type, label names) of every lienthong metric."""
    registry = CollectorRegistry()
    Metrics.create(registry)
    registry.register(ConsumerLagCollector(lambda: {("lienthong.intake", 0): (5, 3)}))
    registry.register(DeskMetrics(a_desk(), SystemClock(), WorkingCalendar()))
    kept = KeptStatesCollector()
    kept.watch("dossiers", KeptTable({}, Parsing(dict, dict)))
    registry.register(kept)
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for collector in list(registry._collector_to_names):
        for family in collector.collect():
            labels = getattr(collector, "_labelnames", None)
            if labels is None:  # a custom collector: its samples carry the labels
                labels = {name for sample in family.samples for name in sample.labels}
            exposed = f"{family.name}_total" if family.type == "counter" else family.name
            found[exposed] = (family.type, frozenset(labels) - {"le"})
    assert len(found) > 20, found
    return found


def a_desk() -> DeskStore:
    """A desk with a case waiting, near its deadline, and one decided (every family has samples)."""
    rng, now = random.Random(1), dt.datetime.now(dt.UTC)
    waiting = a_case(0, now, rng)
    waiting["due_at"] = now
    audit = [{"at": now.isoformat(), "official": "an", "action": "approve", "reason": ""}]
    decided = {**a_case(2, now, rng), "state": "approved", "audit": json.dumps(audit)}
    store = DeskStore()
    store.apply([waiting, decided], {0: 2})  # type: ignore[list-item]
    return store


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    rows = METRIC_ROW.findall(operators_section())
    names = [name for name, _, _ in rows]
    assert len(names) == len(set(names)), "a metric is listed twice"
    return {name: (kind, frozenset(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def test_the_pages_list_every_declared_metric() -> None:
    missing = set(declared()) - set(documented())
    assert not missing, f"add these metrics to the operators' metrics table: {sorted(missing)}"


def test_the_pages_list_no_metric_that_does_not_exist() -> None:
    extra = set(documented()) - set(declared())
    assert not extra, f"the pages list metrics metrics.py does not declare: {sorted(extra)}"


def test_the_pages_give_each_metric_its_type_and_labels() -> None:
    listed = documented()
    wrong = {
        name: {"declared": want, "documented": listed[name]}
        for name, want in declared().items()
        if name in listed and listed[name] != want
    }
    assert not wrong, wrong


def rules(key: str) -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule[key] for group in groups for rule in group["rules"] if key in rule}


@pytest.mark.parametrize("key", ["record", "alert"])
def test_the_pages_list_every_recording_rule_and_alert(key: str) -> None:
    listed = set(FIRST_CELL.findall(operators_section()))
    missing = rules(key) - listed
    assert rules(key) and not missing, f"add to the operators' metrics and alerts page: {missing}"


def test_the_pages_explain_how_to_run_and_grow() -> None:
    section = operators_section()
    for needed in (
        "/metrics",
        *(str(port) for port in range(6066, 6070)),
        "docker compose up",
        ":3000",
        "From one machine to a cluster",
        "deploy/k8s",
        "KafkaTopic",
        "KafkaUser",
        "PodMonitor",
        "LIENTHONG_BOOTSTRAP_SERVERS",
        "LIENTHONG_PARTITIONS",
        "LIENTHONG_REPLICATION_FACTOR",
        "LIENTHONG_SECURITY_PROTOCOL",
        "--config.file=deploy/prometheus/prometheus.yml",
    ):
        assert needed in section, needed
