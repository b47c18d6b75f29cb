"""A case on the official's desk as the agency's register keeps it, and the ``DeskCase`` event
that tells the desk's store each version of it."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, TypedDict, cast

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import Codec
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.agency import Entry

#: The register outcome of a case waiting for an official (no completion yet).
REVIEW = "review"
#: The states a case passes through on the desk.
WAITING, CLAIMED = "waiting", "claimed"
APPROVED, REFUSED, SUPPLEMENT, CANCELLED = "approved", "refused", "supplement", "cancelled"
FINAL = frozenset({APPROVED, REFUSED, SUPPLEMENT, CANCELLED})


class Audit(TypedDict, total=False):
    """One accepted command: who, when, what, why (and the command's id: seen again, it is
    answered as before and changes nothing)."""

    at: str
    official: str
    action: str
    reason: str
    command: str


class DeskState(TypedDict, total=False):
    """What the register keeps of a case on the desk, beside the entry's own keys."""

    state: str
    version: int
    handoff: str  # the handoff as received, Avro, base64: what an approval decides on
    schema: str
    flags: list[str]
    commune: str
    received_at: str
    due_at: str
    claimed_by: str
    claimed_until: str
    decided_by: str  # the event id of the command that decided the case
    audit: list[Audit]


class DeskEntry(Entry, total=False):
    """A register entry of a case an official reviews (or reviewed)."""

    desk: DeskState


def desk_of(entry: Entry | None) -> DeskState | None:
    """The desk part of an entry (None: the case never went to an official)."""
    found = cast(Mapping[str, Any], entry or {}).get("desk")
    return cast(DeskState, found) if isinstance(found, dict) else None


def with_desk(entry: Entry, desk: DeskState) -> DeskEntry:
    out = cast(DeskEntry, dict(entry))
    out["desk"] = desk
    return out


def kept_handoff(codec: Codec, schema: str, handoff: Mapping[str, object]) -> str:
    return base64.b64encode(codec.encode(schema, handoff)).decode()


def handoff_of(codec: Codec, desk: DeskState) -> records.Event:
    """The handoff the case was queued with, as the step's decision reads it."""
    return cast(records.Event, codec.decode(base64.b64decode(desk["handoff"])).record)


def claim_lapsed(desk: DeskState, now: dt.datetime) -> bool:
    until = desk.get("claimed_until")
    return not until or dt.datetime.fromisoformat(until) <= now


def holder(desk: DeskState, now: dt.datetime) -> str | None:
    """Who holds the case now (a lapsed claim holds nothing: the case is back in the queue)."""
    if desk.get("state") != CLAIMED or claim_lapsed(desk, now):
        return None
    return desk.get("claimed_by")


def projection_json(codec: Codec, desk: DeskState) -> str:
    """The handoff as the agency received it, JSON (dates as ISO text)."""
    record = dict(handoff_of(codec, desk))
    record.pop("meta", None)
    return json.dumps(record, default=str, ensure_ascii=False, sort_keys=True)


def snapshot(
    deployable: str,
    key: str,
    entry: DeskEntry,
    codec: Codec,
    now: dt.datetime,
    answer: tuple[str, str] | None = None,
) -> Envelope:
    """The ``DeskCase`` telling the desk's store this version of the case (``answer``: the
    command it answers and ``ok`` or why it was refused)."""
    desk = entry["desk"]
    version = int(desk.get("version", 1))
    cause = answer[0] if answer else entry.get("handoff_event_id")
    meta = metadata("DeskCase", entry["dossier_id"], deployable, now, cause, key, version)
    until = desk.get("claimed_until")
    record: records.DeskCase = {
        "meta": meta,
        "register_key": key,
        "deployable": deployable,
        "step": str(entry.get("step", "")),
        "version": version,
        "state": str(desk.get("state", WAITING)),
        "commune": desk.get("commune", ""),
        "received_at": dt.datetime.fromisoformat(desk["received_at"]),
        "due_at": dt.datetime.fromisoformat(desk["due_at"]),
        "flags": list(desk.get("flags", [])),
        "projection": projection_json(codec, desk),
        "claimed_by": desk.get("claimed_by"),
        "claimed_until": dt.datetime.fromisoformat(until) if until else None,
        "audit": json.dumps(desk.get("audit", []), ensure_ascii=False),
        "answer_to": answer[0] if answer else None,
        "answer": answer[1] if answer else None,
    }
    return Envelope(topics.DESK, "DeskCase", record, key)
