"""The manifests against real schemas: Kubernetes' own (kubernetes-validate, strict) and
Strimzi's CRDs, converted at build time from Strimzi's API classes on Maven Central
(deploy/k8s/schemas, `make deps`), with unknown fields refused."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRDS = K8S / "schemas" / "crds"
#: Kinds with no schema this machine can install: the Prometheus operator publishes its CRDs
#: neither on PyPI nor on Maven Central nor as a Debian package (only third-party models
#: generated from them exist on PyPI). PrometheusRule's groups are promtool-checked at their
#: source (test_prometheus_rules.py) and equal it (test_k8s_manifests.py).
UNCHECKED = {"PodMonitor", "PrometheusRule"}
STRIMZI_GROUP = "kafka.strimzi.io"


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def strict(schema: Any) -> Any:
    """The schema refusing fields it does not declare, as `kubectl apply --validate=strict`
    does (the API server would silently drop them: a typo would vanish, not fail)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def crd_schemas() -> dict[tuple[str, str], Any]:
    """The served versions' openAPIV3Schema by (apiVersion, kind)."""
    if not (CRDS / ".generated").exists():
        pytest.fail(f"no Strimzi CRDs in {CRDS.relative_to(ROOT)}: run `make deps`")
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            if version["served"]:
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                schemas[key] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def test_only_the_prometheus_operator_kinds_go_unchecked() -> None:
    """These two are the kinds left unchecked; any other is validated below, where a kind
    without a schema fails (kubernetes-validate's SchemaNotFoundError, or no Strimzi CRD)."""
    unchecked = {
        d["kind"]
        for _, d in manifests()
        if not d["apiVersion"].startswith(STRIMZI_GROUP) and d["kind"] in UNCHECKED
    }
    assert unchecked == UNCHECKED


@pytest.mark.parametrize(
    ("name", "doc"),
    [
        (n, d)
        for n, d in manifests()
        if not d["apiVersion"].startswith(STRIMZI_GROUP) and d["kind"] not in UNCHECKED
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v['kind']}/{v['metadata']['name']}",
)
def test_core_kinds_fit_the_kubernetes_schemas(name: str, doc: dict[str, Any]) -> None:
    version = kubernetes_validate.latest_version()
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize(
    ("name", "doc"),
    [(n, d) for n, d in manifests() if d["apiVersion"].startswith(STRIMZI_GROUP)],
    ids=lambda v: v if isinstance(v, str) else f"{v['kind']}/{v['metadata']['name']}",
)
def test_strimzi_kinds_fit_strimzis_crds(name: str, doc: dict[str, Any]) -> None:
    schemas = crd_schemas()
    key = (doc["apiVersion"], doc["kind"])
    assert key in schemas, f"{name}: Strimzi serves no {key[1]} in {key[0]}"
    jsonschema.validate(doc, schemas[key])


def test_a_misspelt_field_is_caught() -> None:
    """The check has teeth: an unknown field in a KafkaUser and in a Deployment both fail."""
    user = next(d for _, d in manifests() if d["kind"] == "KafkaUser")
    typo = {**user, "spec": {**user["spec"], "authorisation": user["spec"]["authorization"]}}
    with pytest.raises(jsonschema.ValidationError, match="authorisation"):
        jsonschema.validate(typo, crd_schemas()[(user["apiVersion"], "KafkaUser")])
    deployment = next(d for _, d in manifests() if d["kind"] == "Deployment")
    bad = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, kubernetes_validate.latest_version(), strict=True)
