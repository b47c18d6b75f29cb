"""The bridge's timer: POST each dossier's oldest undelivered handoff when due, then publish
the answer (``WebhookAttempted``) to the bridge's own topic, where the checkpoint applies it.

Nothing here changes state: a crash at any moment leaves the delivery in the table, and the
next worker sends it again with the same ``webhook-id``. Each agency has its own limit of
deliveries in flight (``webhook_concurrency``), so a slow or dead endpoint holds only its own
dossiers; a dossier has at most one delivery in flight, so its handoffs arrive in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import ssl
import time
from typing import Any

import aiohttp

from lienthong import topics
from lienthong.bridge import ledger
from lienthong.bridge.endpoints import WebhookPlan
from lienthong.bridge.metrics import BridgeMetrics
from lienthong.bridge.signing import signed_headers
from lienthong.contracts import records
from lienthong.contracts.events import metadata
from lienthong.domain.due_index import DueIndex
from lienthong.runtime.deployable import Deployable

log = logging.getLogger(__name__)
#: How often the timer looks for due deliveries.
TICK_SECONDS = 0.05
#: The endpoint's answer kept for the dead letter and the logs.
ANSWER_CHARS = 300


class Sender:
    """Delivers what is due, within each agency's limit; the table is read, never written."""

    def __init__(
        self, dep: Deployable, plan: WebhookPlan, metrics: BridgeMetrics, deliveries: Any
    ) -> None:
        self.dep = dep
        self.plan = plan
        self.metrics = metrics
        #: The deliveries as the checkpoint stages them: a handoff is sent as soon as it is
        #: queued (a crash before its write is durable makes the bridge read it again and send
        #: it again, under the same webhook-id).
        self.table = deliveries
        #: Set when a delivery becomes due: the loop sends it now, not at its next tick.
        self.wake = asyncio.Event()
        self.index = DueIndex()
        #: Dossier -> the attempt in flight ("<webhook id>#<attempt>").
        self.inflight: dict[str, str] = {}
        #: Dossier -> (agency, arrival) of its head: the oldest-undelivered gauge.
        self.waiting: dict[str, tuple[str, dt.datetime]] = {}
        self.limits = {
            a: asyncio.Semaphore(dep.settings.webhook_concurrency) for a in plan.agencies
        }
        self.tasks: set[asyncio.Task[None]] = set()
        self.session: aiohttp.ClientSession | None = None
        #: The trust store for the endpoints' certificates.
        self.ssl = ssl.create_default_context(cafile=dep.settings.webhook_ca_file)

    def saved(self, key: str, entry: ledger.Entry | None) -> None:
        """A checkpoint saved ``entry``: schedule its head, free the dossier's slot."""
        first = ledger.head(entry)
        due = ledger.due_at(entry)
        self.index.schedule(key, due)
        if due is not None and due <= self.dep.clock.now():
            self.wake.set()
        if first is None:
            self.waiting.pop(key, None)
        else:
            self.waiting[key] = (first["agency"], dt.datetime.fromisoformat(first["arrived"]))
        marker = self.inflight.get(key)
        if marker is not None and (first is None or marker != _marker(first)):
            del self.inflight[key]

    async def run(self) -> None:
        """Tick when a delivery becomes due, and at least every ``TICK_SECONDS``."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), TICK_SECONDS)
            self.wake.clear()
            await self.tick()

    async def tick(self) -> None:
        """Start every delivery that is due and whose dossier has none in flight."""
        now = self.dep.clock.now()
        if self.index.stale:
            self.rebuild()
        for key in self.index.due(now):
            first = ledger.head(self.table.get(key))
            if first is None or key in self.inflight:
                continue
            self.inflight[key] = _marker(first)
            task = asyncio.ensure_future(self.deliver(key, first))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        self.gauge(now)

    def gauge(self, now: dt.datetime) -> None:
        oldest: dict[str, dt.datetime] = {}
        for agency, arrived in self.waiting.values():
            oldest[agency] = min(arrived, oldest.get(agency, arrived))
        for agency in self.plan.agencies:
            seconds = (now - oldest[agency]).total_seconds() if agency in oldest else 0.0
            self.metrics.undelivered_for(agency, seconds)

    def rebuild(self) -> None:
        """Index the deliveries this worker holds now (after a rebalance, at start)."""
        self.index.clear()
        self.index.stale = False
        self.waiting.clear()
        self.inflight.clear()
        for key, entry in self.table.items():
            self.saved(key, entry)

    async def deliver(self, key: str, item: ledger.Delivery) -> None:
        """One attempt; its answer published to the bridge's topic (or the slot freed)."""
        try:
            async with self.limits[item["agency"]]:
                delivered, status, answer, seconds = await self.post(item)
            self.metrics.attempted(item["agency"], delivered, status, seconds)
            await self.answer(key, item, delivered, status, answer, seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "delivery of %s for %s not recorded; tried again", item["webhook_id"], key
            )
            self.inflight.pop(key, None)
            self.index.schedule(key, self.dep.clock.now() + dt.timedelta(seconds=1))

    async def post(self, item: ledger.Delivery) -> tuple[bool, int | None, str, float]:
        """POST the signed body; (accepted, status, the answer in short, seconds)."""
        endpoint = self.plan.endpoints[item["agency"]]
        body = item["body"].encode()
        headers = signed_headers(endpoint.secrets, item["webhook_id"], _wall(), body)
        headers["content-type"] = "application/json"
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.dep.settings.webhook_timeout_seconds)
        try:
            async with self.client().post(
                endpoint.url, data=body, headers=headers, timeout=timeout, ssl=self.ssl
            ) as response:
                text = (await response.content.read(ANSWER_CHARS)).decode(errors="replace")
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return False, None, f"{type(exc).__name__}: {exc}"[:ANSWER_CHARS], _since(started)
        return 200 <= status < 300, status, f"{status} {text}"[:ANSWER_CHARS], _since(started)

    def client(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()
        return self.session

    async def answer(
        self,
        key: str,
        item: ledger.Delivery,
        delivered: bool,
        status: int | None,
        answer: str,
        seconds: float,
    ) -> None:
        attempt = item["attempts"] + 1
        meta = metadata(
            "WebhookAttempted",
            key,
            topics.BRIDGE,
            self.dep.clock.now(),
            item["webhook_id"],
            attempt,
        )
        record: records.WebhookAttempted = {
            "meta": meta,
            "webhook_id": item["webhook_id"],
            "attempt": attempt,
            "delivered": delivered,
            "status": status,
            "answer": answer,
            "latency_ms": int(seconds * 1000),
        }
        data = self.dep.pipeline.codec.encode("WebhookAttempted", record)
        topic = self.dep.pipeline.topics[topics.BRIDGE_INBOX]
        await self.dep.pipeline.publish(topic, key.encode(), data)

    async def close(self) -> Any:
        if self.session is not None:
            await self.session.close()


def _marker(item: ledger.Delivery) -> str:
    return f"{item['webhook_id']}#{item['attempts']}"


def _since(started: float) -> float:
    return time.monotonic() - started


def _wall() -> dt.datetime:
    """The signature's timestamp: the real time the receiver checks, not the legal clock."""
    return dt.datetime.now(dt.UTC)
