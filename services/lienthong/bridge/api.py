"""The way back: the completion API on the bridge's web port.

    POST /webhooks/v1/dossiers/{dossier_id}/steps/{step}/answer
         headers: lienthong-agency, webhook-id, webhook-timestamp, webhook-signature
                  (Standard Webhooks, signed with the agency's own secret), Idempotency-Key
         body:    {"type": "<a completion form>", "data": {...the form's fields...}}
    GET  /webhooks/v1/forms/{type}      the JSON Schema of a completion form
    GET  /webhooks/v1/openapi.json      the API, its forms generated from the Avro contracts

The worker that holds the dossier's partition answers: another worker passes the request on to
it unchanged (the agency's signature still holds) and relays its answer.

Checked in this order, each refusal naming the field and the rule and publishing nothing: the
agency and its signature (401: unknown, forged, or a timestamp outside the tolerance), the
step is the agency's and sent to webhooks (403), the dossier was handed to it for that step
(404), the form fits the completion topic's Avro contract (422). An Idempotency-Key seen
before gets the first answer again and publishes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

import aiohttp
from faust.web import Request, Response, View

from lienthong import topics
from lienthong.bridge import ledger
from lienthong.bridge.endpoints import WebhookPlan
from lienthong.bridge.forms import json_schema, to_record
from lienthong.bridge.metrics import BridgeMetrics
from lienthong.bridge.signing import verify
from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.domain.declaration import ANSWERS
from lienthong.errors import CompletionRefused, ContractError
from lienthong.groups.registry import all_steps
from lienthong.hub.pages.routing import Workers
from lienthong.runtime.deployable import Deployable


class Reader(Protocol):
    """The deliveries table, read by dossier id."""

    def get(self, key: str) -> ledger.Entry | None: ...


PREFIX = "/webhooks/v1"
AGENCY = "lienthong-agency"
#: Set on a request one bridge worker passes on to the owner: answered there, never passed on.
ROUTED = "x-lienthong-routed"
FORWARD_SECONDS = 15.0
IDEMPOTENCY = "idempotency-key"
#: A completion is small; a larger body is refused before it is read as JSON.
MAX_BODY_BYTES = 64 * 1024


def forms_of(step: str) -> tuple[str, ...]:
    """The completion forms an agency may send for ``step``: its results, then the answers."""
    return (*all_steps()[step].results, *ANSWERS)


def all_forms() -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for step in all_steps() for f in forms_of(step)))


class CompletionApi:
    """Takes one agency's answer for one step of one dossier (see the module's docstring)."""

    def __init__(
        self, dep: Deployable, webhooks: WebhookPlan, deliveries: Reader, metrics: BridgeMetrics
    ) -> None:
        self.dep = dep
        self.plan = webhooks
        #: The deliveries table as the checkpoint stages it (read only here).
        self.view = deliveries
        self.metrics = metrics
        self.codec = dep.pipeline.codec
        #: Answers published by this worker, until its CompletionAccepted is in the table.
        self.recent: dict[str, tuple[int, str]] = {}
        self.workers = Workers(dep.app, "deliveries", dep.settings.partitions)

    async def routed(
        self, path: str, body: bytes, headers: dict[str, str], dossier_id: str, step: str
    ) -> tuple[int, str]:
        """Answered here if this worker holds the dossier, else by the worker that does."""
        owner = None if ROUTED in {k.lower() for k in headers} else self.workers.owner(dossier_id)
        if owner is None:
            return await self.answer(body, headers, dossier_id, step)
        passed = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        try:
            async with self.dep.app.http_client.post(
                f"{owner}{path}", data=body, headers={**passed, ROUTED: "1"}, timeout=timeout
            ) as answer:
                return answer.status, (await answer.read()).decode()
        except (aiohttp.ClientError, TimeoutError):
            error = {"error": {"field": "dossier_id", "rule": "its bridge worker is unavailable"}}
            return 503, json.dumps(error)

    async def answer(
        self, body: bytes, headers: dict[str, str], dossier_id: str, step: str
    ) -> tuple[int, str]:
        """(status, JSON body) for one request."""
        try:
            return await self.take(body, headers, dossier_id, step)
        except CompletionRefused as exc:
            self.metrics.completion_refused(exc.status)
            error = {"error": {"field": exc.field, "rule": exc.rule}}
            return exc.status, json.dumps(error, ensure_ascii=False)

    async def take(
        self, body: bytes, headers: dict[str, str], dossier_id: str, step: str
    ) -> tuple[int, str]:
        lower = {k.lower(): v for k, v in headers.items()}
        agency = self.agency_of(lower)
        endpoint = self.plan.endpoints[agency]
        now = dt.datetime.now(dt.UTC)
        webhook_id = verify(
            endpoint.secrets, lower, body, now, self.dep.settings.webhook_tolerance_seconds
        )
        idem = f"{agency}:{lower.get(IDEMPOTENCY) or webhook_id}"
        entry = self.view.get(dossier_id)
        first = self.recent.get(idem) or _first(entry, idem)
        if first is not None:
            return first
        handoff = self.handed(entry, agency, step, dossier_id)
        kind, record = self.form(body, step, dossier_id, agency, handoff)
        try:
            data = self.codec.encode(kind, record)
        except ContractError as exc:
            raise CompletionRefused(422, "data", str(exc)) from None
        pipeline = self.dep.pipeline
        await pipeline.publish(pipeline.topics[f"completion.{agency}"], dossier_id.encode(), data)
        answer = json.dumps({"event_id": str(record["meta"]["event_id"]), "type": kind})
        self.recent[idem] = (202, answer)
        await self.remember(dossier_id, agency, idem.split(":", 1)[1], answer)
        return 202, answer

    def agency_of(self, lower: dict[str, str]) -> str:
        agency = lower.get(AGENCY, "")
        if agency not in self.plan.endpoints:
            raise CompletionRefused(401, AGENCY, "must name an agency with a webhook endpoint")
        return agency

    def handed(self, entry: ledger.Entry | None, agency: str, step: str, dossier: str) -> str:
        """The handoff's event id, if ``step`` of ``dossier`` was handed to ``agency``."""
        endpoint = self.plan.endpoint_of(step) if step in all_steps() else None
        if endpoint is None or endpoint.agency != agency:
            raise CompletionRefused(403, "step", f"{step[:40]} is not answered by {agency} here")
        handoff = (entry or {}).get("handed", {}).get(step)
        if handoff is None:
            raise CompletionRefused(
                404, "dossier_id", f"no {step} handoff of this dossier was sent to {agency}"
            )
        return str(handoff)

    def form(
        self, body: bytes, step: str, dossier_id: str, agency: str, handoff: str
    ) -> tuple[str, dict[str, Any]]:
        """The request's form as the Avro record of its completion event."""
        if len(body) > MAX_BODY_BYTES:
            raise CompletionRefused(413, "body", f"at most {MAX_BODY_BYTES:,} bytes")
        try:
            sent = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CompletionRefused(400, "body", "must be JSON") from None
        if not isinstance(sent, dict) or not isinstance(sent.get("data"), dict):
            raise CompletionRefused(422, "data", "must be an object of the form's fields")
        kind = sent.get("type")
        if kind not in forms_of(step):
            raise CompletionRefused(422, "type", f"must be one of {', '.join(forms_of(step))}")
        schema = self.codec.catalogue.get(kind).expanded
        fields = {name: field for name, field in sent["data"].items() if name != "meta"}
        named = "step" in {f["name"] for f in schema["fields"]}
        if named and fields.setdefault("step", step) != step:
            raise CompletionRefused(422, "data.step", f"must be {step}, the step answered")
        now = self.dep.clock.now()
        meta = metadata(kind, dossier_id, agency, now, handoff, step)
        record = to_record(schema, {**fields, "meta": {}}, "data")
        return kind, {**record, "meta": meta}

    async def remember(self, dossier_id: str, agency: str, key: str, answer: str) -> None:
        """Publish the first answer to the key to the bridge's own topic (then the table)."""
        meta = metadata(
            "CompletionAccepted", dossier_id, topics.BRIDGE, self.dep.clock.now(), None, agency, key
        )
        record: records.CompletionAccepted = {
            "meta": meta,
            "agency": agency,
            "idempotency_key": key,
            "status": 202,
            "answer": answer,
        }
        data = self.codec.encode("CompletionAccepted", record)
        pipeline = self.dep.pipeline
        await pipeline.publish(pipeline.topics[topics.BRIDGE_INBOX], dossier_id.encode(), data)


def _first(entry: ledger.Entry | None, idem: str) -> tuple[int, str] | None:
    kept = (entry or {}).get("answers", {}).get(idem)
    return None if kept is None else (int(kept["status"]), str(kept["answer"]))


def openapi() -> dict[str, Any]:
    """The API's OpenAPI document; each form's schema generated from its Avro schema."""
    from lienthong.contracts.catalogue import default_catalogue

    catalogue = default_catalogue()
    forms = {}
    for kind in all_forms():
        schema = json_schema(catalogue.get(kind).expanded)
        schema["properties"].pop("meta", None)
        schema["required"] = [r for r in schema["required"] if r != "meta"]
        forms[kind] = schema
    answer = {
        "type": "object",
        "required": ["type", "data"],
        "properties": {"type": {"enum": list(forms)}, "data": {"type": "object"}},
    }
    path = {
        "post": {
            "summary": "An agency's answer for its step of a dossier handed to it",
            "parameters": [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in ("dossier_id", "step")
            ],
            "requestBody": {"content": {"application/json": {"schema": answer}}},
            "responses": {
                str(code): {"description": text}
                for code, text in (
                    (202, "published (or the first answer to this Idempotency-Key)"),
                    (401, "unknown agency, bad signature, or timestamp outside the tolerance"),
                    (403, "the step is not the agency's or not answered through webhooks"),
                    (404, "the dossier was not handed to the agency for this step"),
                    (422, "the form breaks its contract: the field and the rule are named"),
                )
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lienthong webhook bridge: completion API", "version": "1"},
        "paths": {f"{PREFIX}/dossiers/{{dossier_id}}/steps/{{step}}/answer": path},
        "components": {"schemas": forms},
    }


def register_api(
    dep: Deployable, webhooks: WebhookPlan, deliveries: Reader, metrics: BridgeMetrics
) -> CompletionApi:
    """Add the completion API's views to the bridge's web server."""
    api = CompletionApi(dep, webhooks, deliveries, metrics)
    document = openapi()

    @dep.app.page(PREFIX + "/dossiers/{dossier_id}/steps/{step}/answer")
    class Answer(View):
        async def post(self, request: Request, **_: Any) -> Response:
            body = await request.read()
            info = request.match_info
            headers = dict(request.headers)
            path = str(request.rel_url)
            status, text = await api.routed(path, body, headers, info["dossier_id"], info["step"])
            return self.bytes(text.encode(), content_type="application/json", status=status)

    @dep.app.page(PREFIX + "/forms/{kind}")
    async def form(view: View, request: Request, **_: Any) -> Response:
        kind = request.match_info["kind"]
        if kind not in document["components"]["schemas"]:
            return view.json(
                {"error": {"field": "kind", "rule": "not a completion form"}}, status=404
            )
        return view.json(document["components"]["schemas"][kind])

    @dep.app.page(PREFIX + "/openapi.json")
    async def described(view: View, request: Request, **_: Any) -> Response:
        return view.json(document)

    return api
