"""Event metadata and deterministic event ids; the envelope a decision returns."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from lienthong.contracts.records import EventMetadata

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
) -> EventMetadata:
    """Metadata whose id derives from the kind, the dossier, the cause and any discriminators."""
    return {
        "event_id": event_id(kind, dossier_id, cause or "", *discriminators),
        "dossier_id": dossier_id,
        "occurred_at": at,
        "producer": producer,
        "causation_id": cause,
    }


def meta_of(record: Mapping[str, object], schema: str = "event") -> dict[str, object]:
    """The metadata of a record read generically (every event has it)."""
    meta = record.get("meta")
    if not isinstance(meta, dict):
        raise TypeError(f"a {schema} record must carry its meta, not {meta!r}")
    return meta


@dataclass(frozen=True)
class Envelope:
    """An event to publish: which topic (by role), which schema, the record; keyed by dossier.

    The record is a ``Mapping[str, object]``: every precise record type (a ``TypedDict`` of
    ``contracts.records``) is one, and so is what a generic helper builds from keyword fields
    (``domain.agency.completion``), which mypy could not check as a ``TypedDict`` without a
    cast; the codec checks it against ``schema`` when it encodes it."""

    topic: str
    schema: str
    record: Mapping[str, object]
    #: Kafka key when it is not the dossier id (an agency's internal re-keying only).
    key_override: str | None = None

    @property
    def meta(self) -> dict[str, object]:
        """The record's metadata (every event has it)."""
        return meta_of(self.record, self.schema)

    @property
    def key(self) -> str:
        return self.key_override or str(self.meta["dossier_id"])

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.UUID(str(self.meta["event_id"]))
