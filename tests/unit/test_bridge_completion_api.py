"""The completion API's checks: who may answer what, the form against its Avro contract, and the
idempotency key; a refused request publishes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from lienthong import topics
from lienthong.bridge import ledger
from lienthong.bridge.api import CompletionApi, openapi
from lienthong.bridge.endpoints import plan
from lienthong.bridge.metrics import BridgeMetrics
from lienthong.bridge.signing import signed_headers
from lienthong.contracts.codec import AvroCodec
from lienthong.errors import SettingsError
from lienthong.settings import Settings

RESIDENCE = "whsec_" + base64.b64encode(b"r" * 32).decode()
INSURANCE = "whsec_" + base64.b64encode(b"h" * 32).decode()
HANDOFF = str(uuid.uuid4())
ADDRESS = {"province_code": "01", "commune_code": "00001", "street": "1 Hang Bac"}
FORM = {
    "type": "ResidenceRegistered",
    "data": {
        "confirmation_ref": "CR-1",
        "registered_on": "2026-12-07",
        "address": ADDRESS,
        "head_of_household": "Nguyen Van A",
    },
}


class Publishing:
    """The pipeline's publishing side, recording what would reach the broker."""

    def __init__(self) -> None:
        self.codec = AvroCodec()
        self.topics = {"completion.residence": "completion", topics.BRIDGE_INBOX: "inbox"}
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))


def settings() -> Settings:
    endpoints = {
        "residence": {"url": "https://r.example/h", "secrets": [RESIDENCE]},
        "health-insurance": {"url": "https://h.example/h", "secrets": [INSURANCE]},
    }
    return Settings(
        webhook_steps=("residence", "health_insurance"),
        webhook_endpoints=SecretStr(json.dumps(endpoints)),
    )


def api(entry: ledger.Entry | None = None) -> tuple[CompletionApi, Publishing]:
    s = settings()
    pipeline = Publishing()
    clock = SimpleNamespace(now=lambda: dt.datetime.now(dt.UTC))
    dep: Any = SimpleNamespace(settings=s, clock=clock, pipeline=pipeline, app=None)
    handed = entry or {"queue": [], "handed": {"residence": HANDOFF}, "answers": {}}
    deliveries = {"D1": handed}
    return CompletionApi(dep, plan(s), deliveries, BridgeMetrics(CollectorRegistry())), pipeline


def request(
    form: object = FORM,
    *,
    agency: str = "residence",
    secret: str = RESIDENCE,
    key: str = "k1",
    at: float | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(form).encode()
    moment = dt.datetime.fromtimestamp(at or time.time(), dt.UTC)
    headers = signed_headers(secret, key, moment, body)
    return body, {**headers, "Lienthong-Agency": agency, "Idempotency-Key": key}


async def answer(
    target: CompletionApi, step: str = "residence", dossier: str = "D1", **kw: Any
) -> tuple[int, dict[str, Any]]:
    body, headers = request(**kw)
    status, text = await target.answer(body, headers, dossier, step)
    return status, json.loads(text)


async def test_an_agency_answers_its_step_once_per_idempotency_key() -> None:
    target, pipeline = api()
    status, first = await answer(target)
    assert status == 202 and first["type"] == "ResidenceRegistered"
    assert [t for t, _, _ in pipeline.sent] == ["completion", "inbox"]
    event = pipeline.codec.decode(pipeline.sent[0][2])
    assert event.record["meta"]["producer"] == "residence"
    assert str(event.record["meta"]["causation_id"]) == HANDOFF
    assert event.record["registered_on"] == dt.date(2026, 12, 7)
    again = await answer(target)
    assert again == (202, first) and len(pipeline.sent) == 2  # nothing new

    kept = pipeline.codec.decode(pipeline.sent[1][2]).record
    remembered = ledger.answered(
        {"queue": [], "handed": {"residence": HANDOFF}, "answers": {}},
        f"residence:{kept['idempotency_key']}",
        kept["status"],
        kept["answer"],
    )
    restarted, published = api(remembered)  # another worker, after the table has it
    assert await answer(restarted) == (202, first) and published.sent == []


@pytest.mark.parametrize(
    ("kw", "status", "field"),
    [
        ({"secret": INSURANCE}, 401, "webhook-signature"),  # forged: not residence's secret
        ({"at": time.time() - 3600}, 401, "webhook-timestamp"),  # replayed
        ({"agency": "nobody"}, 401, "lienthong-agency"),
        ({"agency": "health-insurance", "secret": INSURANCE}, 403, "step"),  # cross-agency
        ({"dossier": "D2"}, 404, "dossier_id"),  # never handed to it
        ({"step": "civil_registry"}, 403, "step"),  # not sent to webhooks
        ({"form": {"type": "CardIssued", "data": {}}}, 422, "type"),
        ({"form": {"type": "ResidenceRegistered", "data": {"confirmation_ref": "x"}}}, 422, "data"),
        (
            {"form": {**FORM, "data": {**FORM["data"], "registered_on": "7/12"}}},
            422,
            "data.registered_on",
        ),  # type: ignore[dict-item]
        ({"form": {"type": "StepRejected", "data": {"step": "civil_registry"}}}, 422, "data.step"),
    ],
)
async def test_refused_requests_name_the_field_and_rule_and_publish_nothing(
    kw: dict[str, Any], status: int, field: str
) -> None:
    target, pipeline = api()
    call = {k: kw.pop(k) for k in ("step", "dossier") if k in kw}
    got, body = await answer(target, **call, **kw)
    assert (got, body["error"]["field"]) == (status, field), body
    assert body["error"]["rule"]
    assert pipeline.sent == []


async def test_a_missing_field_is_named_with_its_rule() -> None:
    target, _ = api()
    form = {"type": "ResidenceRegistered", "data": {"confirmation_ref": "x"}}
    _, body = await answer(target, form=form)
    assert "registered_on" in body["error"]["rule"]


def test_the_openapi_document_carries_each_form_generated_from_avro() -> None:
    document = openapi()
    forms = document["components"]["schemas"]
    assert {"ResidenceRegistered", "StepRejected", "CardIssued"} <= set(forms)
    assert "meta" not in forms["StepRejected"]["properties"]
    assert forms["ResidenceRegistered"]["properties"]["registered_on"]["format"] == "date"


def test_webhook_settings_are_refused_naming_the_setting() -> None:
    with pytest.raises(SettingsError, match="webhook_steps"):
        plan(Settings(webhook_steps=("nope",)))
    with pytest.raises(SettingsError, match="webhook_endpoints: step 'residence'"):
        plan(Settings(webhook_steps=("residence",)))
    bad = SecretStr(json.dumps({"residence": {"url": "http://x", "secrets": [RESIDENCE]}}))
    with pytest.raises(SettingsError, match=r"webhook_endpoints\.residence\.url"):
        plan(Settings(webhook_steps=("residence",), webhook_endpoints=bad))
    three = SecretStr(json.dumps({"residence": {"url": "https://x", "secrets": [RESIDENCE] * 3}}))
    with pytest.raises(SettingsError, match="secrets"):
        plan(Settings(webhook_steps=("residence",), webhook_endpoints=three))
