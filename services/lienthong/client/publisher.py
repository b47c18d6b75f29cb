"""Publish intake events (kafka-python), after checking them as the hub will."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.client import connect
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import meta_of, metadata
from lienthong.domain.declaration import ProcedureGroup
from lienthong.errors import ClientError, Reason, ValidationFailed
from lienthong.groups.registry import GROUPS
from lienthong.hub.screening import screen_event
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.settings import Settings

#: A record of any event the publisher sends (a submission of any group, ...).
Sent = Mapping[str, object]


def group_of(record: object) -> ProcedureGroup[Any]:
    """The group a dossier names; anything else is the first group's, whose rules refuse it."""
    first = next(iter(GROUPS.values()))
    name = record.get("group") if isinstance(record, dict) else None
    # only a text names a group: a hostile value (a list nested a thousand deep, an integer of
    # ten thousand digits) is never turned into text here; the first group's rules refuse it
    return GROUPS.get(name, first) if isinstance(name, str) else first


class IntakePublisher:
    """Publishes DossierSubmitted, DossierSupplemented and DossierWithdrawn, keyed by dossier id."""

    def __init__(
        self, settings: Settings, producer_name: str = "portal", patience: float = connect.PATIENT
    ) -> None:
        self.settings = settings
        self.patience = patience
        self.producer_name = producer_name
        self.codec = AvroCodec()
        self._producer: KafkaProducer | None = None

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = connect.producer(
                self.settings, f"lienthong-{self.producer_name}", self.patience, linger_ms=5
            )
        return self._producer

    @staticmethod
    def check(data: Sent, now: dt.datetime | None = None) -> Sent:
        """The Avro record of a dossier (JSON or record), or ValidationFailed with reasons.

        The hub's own checks: its group's intake rules, and the size the hub accepts once
        encoded.
        """
        group = group_of(data)
        record: Sent = group.admit(data, now or dt.datetime.now(dt.UTC))
        size = len(AvroCodec().encode(group.submission, record))
        if size > MAX_MESSAGE_BYTES:
            message = (
                f"The dossier is {size:,} bytes once encoded; the hub accepts at most "
                f"{MAX_MESSAGE_BYTES:,} bytes."
            )
            raise ValidationFailed([Reason("dossier", "message_too_large", message)])
        return record

    def submit(self, record: Sent, *, validate: bool = True) -> str:
        """Publish a dossier of any registered group (by its ``group``; the first group's when it
        names none); returns its id. ``validate=False`` lets a test send bad dossiers."""
        if validate:
            record = self.check(record)
        return self._send(group_of(record).submission, record)

    def supplement(
        self,
        dossier_id: str,
        step: str,
        documents: list[str],
        note: str = "",
        *,
        validate: bool = True,
    ) -> str:
        """Publish a supplement; ``ValidationFailed`` when it breaks the limits the hub applies."""
        now = dt.datetime.now(dt.UTC)
        meta = metadata(
            "DossierSupplemented", dossier_id, self.producer_name, now, None, step, *documents
        )
        record: records.DossierSupplemented = {
            "meta": meta,
            "step": step,
            "documents": documents,
            "note": note,
        }
        return self._send("DossierSupplemented", record, validate=validate)

    def withdraw(self, dossier_id: str, reason: str = "", *, validate: bool = True) -> str:
        """Publish a withdrawal; ``ValidationFailed`` when it breaks the limits the hub applies."""
        now = dt.datetime.now(dt.UTC)
        meta = metadata("DossierWithdrawn", dossier_id, self.producer_name, now, None)
        record: records.DossierWithdrawn = {"meta": meta, "reason": reason}
        return self._send("DossierWithdrawn", record, validate=validate)

    def send_raw(self, key: bytes, value: bytes, topic_role: str = topics.INTAKE) -> None:
        """Publish bytes as they are (for replays and tests of bad input)."""
        self.producer.send(self.settings.topic(topic_role), key=key, value=value)

    def _send(self, schema: str, record: Sent, *, validate: bool = False) -> str:
        if validate:
            record = screen_event(schema, record)
        data = self.codec.encode(schema, record)
        dossier_id = str(meta_of(record, schema)["dossier_id"])
        try:
            self.producer.send(
                self.settings.topic(topics.INTAKE), key=dossier_id.encode(), value=data
            )
        except KafkaError as exc:
            raise ClientError(f"could not publish {schema} for {dossier_id}: {exc}") from exc
        return dossier_id

    def flush(self, timeout: float = 30.0) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush()
            self._producer.close()
            self._producer = None

    def __enter__(self) -> IntakePublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: An integrator publishes a dossier again when no receipt came back within this time; the same
#: event id makes the repeat harmless (the hub ignores an event it has seen).
RESUBMIT_AFTER_SECONDS = 30.0


def resubmit_unreceived(
    publisher: IntakePublisher, dossiers: Mapping[str, Sent], received: set[str]
) -> list[str]:
    """Publish again every dossier whose receipt (or rejection) has not come back."""
    again = [dossier_id for dossier_id in dossiers if dossier_id not in received]
    for dossier_id in again:
        publisher.submit(dossiers[dossier_id], validate=False)
    publisher.flush()
    return again
