"""Answers that reach the hub before their dossier: kept a while, then applied or dead-lettered.

An agency's answer travels on its completion topic, the submission on intake: two partitions, no
order between them. After a crash the hub may read an answer before it reads again the
submission it had handed off (its state died with it, the offset was not committed). Such an
answer is parked under its dossier id; the submission, when it comes, applies it; if no
submission comes within ``unknown_dossier_wait_seconds`` it goes to the dead-letter topic.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import TypedDict

from lienthong import topics
from lienthong.runtime.types import Received

#: What an integrator publishes on intake: in order with the submission (same key, same partition),
#: so one of them about an unknown dossier is never early, only wrong.
INTAKE_EVENTS = frozenset(topics.INTAKE_EVENTS)


class Entry(TypedDict):
    """A parked message as the hub's ``early`` table keeps it (bytes as base64 text)."""

    event_id: str
    topic: str
    partition: int
    offset: int
    key: str | None
    value: str | None
    headers: dict[str, str | None]
    parked_at: str


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def park(
    parked: list[Entry] | None, received: Received, event_id: str, at: dt.datetime
) -> list[Entry]:
    """The parked list with this message added (once per event id)."""
    entries = list(parked or [])
    if any(entry["event_id"] == event_id for entry in entries):
        return entries
    entries.append(
        {
            "event_id": event_id,
            "topic": received.topic,
            "partition": received.partition,
            "offset": received.offset,
            "key": _b64(received.key),
            "value": _b64(received.value),
            "headers": {name: _b64(value) for name, value in received.headers.items()},
            "parked_at": at.isoformat(),
        }
    )
    return entries


def received_of(entry: Entry) -> Received:
    """Where a parked message came from, as the pipeline knows it (for a dead letter)."""
    return Received(
        topic=entry["topic"],
        partition=int(entry["partition"]),
        offset=int(entry["offset"]),
        key=_bytes(entry["key"]),
        value=_bytes(entry["value"]),
        headers={name: _bytes(value) or b"" for name, value in entry["headers"].items()},
    )


def expired(
    parked: list[Entry] | None, now: dt.datetime, wait: dt.timedelta
) -> tuple[list[Entry], list[Entry]]:
    """Split parked messages into those whose wait is over and those still waiting."""
    over: list[Entry] = []
    waiting: list[Entry] = []
    for entry in parked or []:
        due = dt.datetime.fromisoformat(entry["parked_at"]) + wait
        (over if due <= now else waiting).append(entry)
    return over, waiting
