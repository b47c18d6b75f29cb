"""Event metadata and deterministic event ids; the envelope a decision returns."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

#: Namespace of every Lienthong event id (uuid5); changing it would change every id.
EVENT_NAMESPACE = uuid.UUID("6f1c2c8e-6a43-5b8e-9a57-4c69656e7468")


def event_id(kind: str, *parts: object) -> uuid.UUID:
    """The same kind and parts always give the same id (uuid5)."""
    return uuid.uuid5(EVENT_NAMESPACE, "|".join([kind, *(str(p) for p in parts)]))


def metadata(
    kind: str,
    dossier_id: str,
    producer: str,
    at: dt.datetime,
    cause: uuid.UUID | str | None,
    *discriminators: object,
) -> dict[str, Any]:
    """Metadata whose id derives from the kind, the dossier, the cause and any discriminators."""
    return {
        "event_id": event_id(kind, dossier_id, cause or "", *discriminators),
        "dossier_id": dossier_id,
        "occurred_at": at,
        "producer": producer,
        "causation_id": cause,
    }


@dataclass(frozen=True)
class Envelope:
    """An event to publish: which topic (by role), which schema, the record; keyed by dossier."""

    topic: str
    schema: str
    record: dict[str, Any]
    #: Kafka key when it is not the dossier id (an agency's internal re-keying only).
    key_override: str | None = None

    @property
    def key(self) -> str:
        return self.key_override or str(self.record["meta"]["dossier_id"])

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.UUID(str(self.record["meta"]["event_id"]))
