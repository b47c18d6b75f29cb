"""The webhook bridge deployable: one checkpoint over the handoffs of the steps sent to
webhooks and over the bridge's own topic (delivery answers, completions published).

    handoff.<agency>  --(a step in webhook_steps)-->  deliveries[dossier].queue
    timer (bridge.sender)  --POST, signed-->  the agency's endpoint
                           --WebhookAttempted-->  bridge.attempts  --> queue head: done,
                                                  retried later, or a dead letter
    POST /webhooks/v1/... (bridge.api) --> completion.<agency>, CompletionAccepted --> answers
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any, cast

from lienthong import topics
from lienthong.bridge import ledger
from lienthong.bridge.api import register_api
from lienthong.bridge.backoff import Backoff
from lienthong.bridge.endpoints import WebhookPlan, plan
from lienthong.bridge.forms import to_json
from lienthong.bridge.metrics import BridgeMetrics
from lienthong.bridge.sender import Sender
from lienthong.contracts import records
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope, event_id
from lienthong.domain.calendar import Clock
from lienthong.groups.registry import all_steps
from lienthong.runtime.deployable import Deployable, build
from lienthong.runtime.types import Outcome, Received
from lienthong.settings import Settings

CANCELLED = ledger.CANCELLED
#: The reason a given-up handoff's dead letter names.
GAVE_UP = "DeliveryGaveUp"


def step_of(decoded: Decoded) -> str:
    """The step a handoff-topic event is about: its handoff type's, or the one it names."""
    if decoded.name == CANCELLED:
        return str(decoded.record["step"])
    return next(s for s, spec in all_steps().items() if spec.handoff == decoded.name)


def webhook_body(decoded: Decoded, step: str) -> bytes:
    """What the agency receives: the event's type, its step, the time, and the record as JSON."""
    meta = decoded.record["meta"]
    body = {
        "type": decoded.name,
        "step": step,
        "timestamp": to_json(meta["occurred_at"]),
        "data": to_json(decoded.record),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def dead_letter(item: ledger.Delivery, key: str, at: dt.datetime) -> Envelope:
    """The given-up handoff, whole, with the endpoint's last answer."""
    source = item["source"]
    record: records.DeadLetter = {
        "event_id": event_id("DeadLetter", source["topic"], source["partition"], source["offset"]),
        "topic": source["topic"],
        "partition": source["partition"],
        "offset": source["offset"],
        "key": base64.b64decode(source["key"]),
        "value": base64.b64decode(source["value"]),
        "headers": {"webhook-id": item["webhook_id"].encode()},
        "deployable": topics.BRIDGE,
        "error_kind": GAVE_UP,
        "reason": (
            f"{item['agency']} did not accept the {item['step']} handoff after "
            f"{item['attempts']} attempts; its last answer: {item['last'] or 'none'}"
        )[:1000],
        "failed_at": at.astimezone(dt.UTC),
    }
    return Envelope(topics.DEADLETTER, "DeadLetter", cast(Any, record), key_override=key)


class Handling:
    """The bridge's decisions, by event type (a dispatch table, not a chain of ifs)."""

    def __init__(self, dep: Deployable, webhooks: WebhookPlan, metrics: BridgeMetrics) -> None:
        self.dep = dep
        self.plan = webhooks
        self.metrics = metrics
        self.view = dep.pipeline.stage(dep.tables["deliveries"])
        self.sender = Sender(dep, webhooks, metrics, self.view)
        s = dep.settings
        self.backoff = Backoff(
            s.webhook_retry_base_seconds, s.webhook_retry_max_seconds, s.webhook_give_up_seconds
        )
        self.rng = random.Random()
        self.table: dict[str, Callable[[Decoded, Received], Outcome]] = {
            "WebhookAttempted": self.attempted,
            "CompletionAccepted": self.accepted,
        }

    async def __call__(self, decoded: Decoded, received: Received) -> Outcome:
        decide = self.table.get(decoded.name, self.handoff)
        return decide(decoded, received)

    def saving(self, key: str, entry: ledger.Entry, outputs: list[Envelope]) -> Outcome:
        def save() -> None:
            self.view[key] = entry
            self.sender.saved(key, entry)

        return Outcome(outputs, save)

    def handoff(self, decoded: Decoded, received: Received) -> Outcome:
        """A handoff (or its cancellation) of a step sent to webhooks: queued for delivery."""
        step = step_of(decoded)
        endpoint = self.plan.endpoint_of(step)
        if endpoint is None:  # another step of the agency: its own processor's
            return Outcome()
        meta = decoded.record["meta"]
        key = str(meta["dossier_id"])
        body = webhook_body(decoded, step)
        now = self.dep.clock.now()
        webhook_id = str(meta["event_id"])
        item = ledger.delivery(webhook_id, decoded.name, step, endpoint.agency, body, received, now)
        return self.saving(key, ledger.take(self.view.get(key), item), [])

    def attempted(self, decoded: Decoded, received: Received) -> Outcome:
        """An attempt's answer: the head delivered, retried later, or given up."""
        attempt = cast(records.WebhookAttempted, decoded.record)
        key = str(attempt["meta"]["dossier_id"])
        entry = self.view.get(key)
        if not ledger.current(entry, attempt):
            return Outcome()
        now = self.dep.clock.now()
        new, gave_up = ledger.attempted(entry, attempt, now, self.backoff, self.rng)
        outputs = []
        if gave_up is not None:
            outputs.append(dead_letter(gave_up, key, now))
            self.metrics.given_up(gave_up["agency"])
        return self.saving(key, new, outputs)

    def accepted(self, decoded: Decoded, received: Received) -> Outcome:
        """A completion the API published: its answer kept for its idempotency key."""
        done = cast(records.CompletionAccepted, decoded.record)
        key = str(done["meta"]["dossier_id"])
        idem = f"{done['agency']}:{done['idempotency_key']}"
        new = ledger.answered(self.view.get(key), idem, done["status"], done["answer"])
        return self.saving(key, new, [])


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    """The bridge: reads the handoff topics of the agencies with a step sent to webhooks and its
    own topic; delivers on a timer; serves the completion API on its web port."""
    webhooks = plan(settings)
    completions = tuple(f"completion.{a}" for a in topics.AGENCIES)
    dep = build(name, settings, (*completions, topics.DEADLETTER), clock, **kw)
    app = dep.app
    inbox = app.topic(
        settings.topic(topics.BRIDGE_INBOX),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
    dep.pipeline.topics[topics.BRIDGE_INBOX] = inbox
    dep.table("deliveries")
    metrics = BridgeMetrics(dep.registry)
    handling = Handling(dep, webhooks, metrics)
    sender = handling.sender
    names = [settings.topic(f"handoff.{a}") for a in webhooks.agencies]
    source = app.topic(
        *names, settings.topic(topics.BRIDGE_INBOX), key_serializer="raw", value_serializer="raw"
    )

    @app.agent(source, name=f"{name}-deliver", concurrency=1)
    async def deliver_agent(stream: Any) -> None:
        await dep.pipeline.run(stream, handling)

    dep.agents["deliver"] = deliver_agent
    app.task(sender.run)
    dep.ticks["deliver"] = sender.tick
    dep.keep_fresh(sender.index)
    register_api(dep, webhooks, handling.view, metrics)
    return dep
