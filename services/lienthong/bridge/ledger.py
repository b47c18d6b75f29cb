"""The bridge's decisions over one dossier's deliveries: pure functions of (entry, event).

An entry (the ``deliveries`` table's value, JSON, keyed by dossier id) holds the dossier's
undelivered handoffs in arrival order (``queue``: only the head is ever in flight, so an agency
receives a dossier's handoffs in order), the steps handed to each agency (``handed``: what its
completion API lets it answer) and the first answer to each idempotency key (``answers``).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from typing import Any

from lienthong.bridge.backoff import Backoff
from lienthong.contracts import records
from lienthong.runtime.types import Received

Entry = dict[str, Any]
Delivery = dict[str, Any]
#: Idempotency keys remembered per dossier (the oldest are forgotten first).
MAX_ANSWERS = 64


def empty() -> Entry:
    return {"queue": [], "handed": {}, "answers": {}}


#: The event that withdraws a handoff: delivered too, but it hands nothing to answer.
CANCELLED = "HandoffCancelled"


def delivery(
    webhook_id: str,
    kind: str,
    step: str,
    agency: str,
    body: bytes,
    received: Received,
    now: dt.datetime,
) -> Delivery:
    """A handoff (or its cancellation) to deliver; it keeps where it came from, whole, for its
    dead letter."""
    return {
        "webhook_id": webhook_id,
        "kind": kind,
        "step": step,
        "agency": agency,
        "body": body.decode(),
        "arrived": now.isoformat(),
        "attempts": 0,
        "next_at": now.isoformat(),
        "last": "",
        "source": {
            "topic": received.topic,
            "partition": received.partition,
            "offset": received.offset,
            "key": base64.b64encode(received.key or b"").decode(),
            "value": base64.b64encode(received.value or b"").decode(),
        },
    }


def take(entry: Entry | None, item: Delivery) -> Entry:
    """A handoff read: queued behind the dossier's earlier ones (once, whatever the rereads)."""
    new = _copy(entry)
    if any(d["webhook_id"] == item["webhook_id"] for d in new["queue"]):
        return new
    new["queue"].append(item)
    if item.get("kind") != CANCELLED:
        new["handed"][item["step"]] = item["webhook_id"]
    return new


def head(entry: Entry | None) -> Delivery | None:
    """The delivery in flight or next due: the oldest undelivered handoff."""
    return entry["queue"][0] if entry and entry["queue"] else None


def due_at(entry: Entry | None) -> dt.datetime | None:
    first = head(entry)
    return dt.datetime.fromisoformat(first["next_at"]) if first else None


def current(entry: Entry | None, attempt: records.WebhookAttempted) -> bool:
    """Whether ``attempt`` answers the head's next attempt (a redelivered answer does not)."""
    first = head(entry)
    return (
        first is not None
        and first["webhook_id"] == attempt["webhook_id"]
        and first["attempts"] + 1 == attempt["attempt"]
    )


def attempted(
    entry: Entry,
    attempt: records.WebhookAttempted,
    now: dt.datetime,
    backoff: Backoff,
    rng: random.Random | None = None,
) -> tuple[Entry, Delivery | None]:
    """The head after an attempt: gone if delivered; else retried later, or given up (returned,
    for its dead letter) once the horizon has passed. Call only if :func:`current`."""
    new = _copy(entry)
    first = dict(new["queue"][0])
    first["attempts"] = attempt["attempt"]
    first["last"] = attempt["answer"]
    if attempt["delivered"]:
        new["queue"].pop(0)
        return new, None
    if backoff.gives_up(dt.datetime.fromisoformat(first["arrived"]), now):
        new["queue"].pop(0)
        return new, first
    first["next_at"] = backoff.next_at(attempt["attempt"], now, rng).isoformat()
    new["queue"][0] = first
    return new, None


def answered(entry: Entry | None, key: str, status: int, answer: str) -> Entry:
    """The first answer to an idempotency key, kept (a later one never replaces it)."""
    new = _copy(entry)
    if key not in new["answers"]:
        new["answers"][key] = {"status": status, "answer": answer}
        while len(new["answers"]) > MAX_ANSWERS:
            new["answers"].pop(next(iter(new["answers"])))
    return new


def _copy(entry: Entry | None) -> Entry:
    base = entry or empty()
    return {
        "queue": list(base.get("queue", [])),
        "handed": dict(base.get("handed", {})),
        "answers": dict(base.get("answers", {})),
    }
