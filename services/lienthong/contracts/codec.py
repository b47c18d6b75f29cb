"""Avro single-object encoding: ``C3 01``, the 8-byte CRC-64-AVRO fingerprint, then the body."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from lienthong.contracts.catalogue import SchemaCatalogue, SchemaEntry, default_catalogue
from lienthong.contracts.conformance import Check, compile_fits, problems
from lienthong.errors import (
    CorruptBody,
    NotSingleObjectEncoded,
    RecordMismatch,
    UnknownFingerprint,
)
from lienthong.limits import MAX_REASONS, clip

#: The Avro specification's single-object marker.
MARKER = b"\xc3\x01"
HEADER_LEN = len(MARKER) + 8
#: The message that carries several events about one dossier, each item a whole single-object
#: encoded event (``schemas/status/DossierEvents.avsc``).
TOGETHER = "DossierEvents"


@dataclass(frozen=True)
class Decoded:
    """A decoded event: its schema (the reader's), the record, and the writer's fingerprint."""

    schema: SchemaEntry
    record: dict[str, Any]
    writer_fingerprint: bytes

    @property
    def name(self) -> str:
        return self.schema.name


class Codec(Protocol):
    """What every wire format offers; a registry-based format can be added behind it."""

    def encode(self, schema_name: str, record: Mapping[str, object]) -> bytes: ...

    def decode(self, data: bytes) -> Decoded: ...


class AvroCodec:
    """Encodes and decodes single-object Avro against a schema catalogue."""

    def __init__(self, catalogue: SchemaCatalogue | None = None) -> None:
        self.catalogue = catalogue or default_catalogue()
        #: Each schema's yes/no check, compiled on first use (the reasons only when it says no).
        self._fits: dict[bytes, Check] = {}
        #: Each schema parsed once for fastavro's reader and writer, marked as parsed: an
        #: unmarked schema is parsed again by every read and write (four times the cost of a
        #: read). The catalogue keeps its own unmarked parse for canonical forms.
        self._ready: dict[bytes, Any] = {}

    def ready(self, entry: SchemaEntry) -> Any:
        """``entry``'s schema as fastavro reads and writes it fastest."""
        ready = self._ready.get(entry.fingerprint)  # a name's versions share the name
        if ready is None:
            ready = self._ready[entry.fingerprint] = parse_schema(entry.expanded)
        return ready

    def encode(self, schema_name: str, record: Mapping[str, object]) -> bytes:
        entry = self.catalogue.get(schema_name)
        fits = self._fits.get(entry.fingerprint)
        if fits is None:
            fits = self._fits[entry.fingerprint] = compile_fits(entry.expanded)
        found = [] if fits(record) else problems(entry.expanded, record)
        if found:
            more = "; and more" if len(found) > MAX_REASONS else ""
            listed = "; ".join(found[:MAX_REASONS])
            raise RecordMismatch(f"{entry.name} does not fit its schema: {listed}{more}")
        buffer = io.BytesIO()
        buffer.write(MARKER)
        buffer.write(entry.fingerprint)
        try:
            schemaless_writer(buffer, self.ready(entry), record)
        except (ValueError, TypeError, AttributeError) as exc:
            raise RecordMismatch(
                f"{entry.name} does not fit its schema: {clip(str(exc), 200)}"
            ) from exc
        return buffer.getvalue()

    def decode(self, data: bytes) -> Decoded:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise NotSingleObjectEncoded(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) < HEADER_LEN or data[:2] != MARKER:
            start = data[:4].hex(" ") or "nothing"
            raise NotSingleObjectEncoded(
                "not an Avro single-object message: it must start with C3 01 and an 8-byte "
                f"schema fingerprint ({len(data)} bytes, starting {start})"
            )
        fingerprint = data[2:HEADER_LEN]
        writer = self.catalogue.by_fingerprint.get(fingerprint)
        if writer is None:
            raise UnknownFingerprint(
                f"unknown schema fingerprint {fingerprint.hex()}: the writer used a schema this "
                "service does not know (publish the schema or upgrade the service)"
            )
        reader = self.catalogue.reader_for(writer)
        body = io.BytesIO(data[HEADER_LEN:])
        try:
            # The same schema on both sides needs no resolution (most messages).
            resolved = None if reader is writer else self.ready(reader)
            record = schemaless_reader(body, self.ready(writer), resolved)
        except (EOFError, StopIteration) as exc:
            raise CorruptBody(f"{writer.name}: the body is truncated") from exc
        except Exception as exc:
            problem = clip(str(exc), 200)
            raise CorruptBody(f"{writer.name}: the body is not valid Avro ({problem})") from exc
        if body.tell() != len(data) - HEADER_LEN:
            extra = len(data) - HEADER_LEN - body.tell()
            raise CorruptBody(f"{writer.name}: {extra} unexpected bytes after the record")
        if not isinstance(record, dict):
            raise CorruptBody(f"{writer.name}: the body is not a record")
        return Decoded(reader, record, fingerprint)

    def decode_all(self, data: bytes) -> list[Decoded]:
        """The events a message carries, in order: the message itself, or each item of a
        ``DossierEvents`` (an item that is not one whole event about that dossier is refused)."""
        decoded = self.decode(data)
        if decoded.name != TOGETHER:
            return [decoded]
        dossier_id = decoded.record["dossier_id"]
        events = []
        for number, item in enumerate(decoded.record["events"], 1):
            event = self.decode(item)
            meta = event.record.get("meta")
            if event.name == TOGETHER or not isinstance(meta, dict):
                raise CorruptBody(f"{TOGETHER}: item {number} is a {event.name}, not one event")
            if meta.get("dossier_id") != dossier_id:
                raise CorruptBody(
                    f"{TOGETHER}: item {number} is about dossier {meta.get('dossier_id')}, "
                    f"not {dossier_id}"
                )
            events.append(event)
        return events

    def together(self, dossier_id: str, events: list[bytes]) -> bytes:
        """Several encoded events about ``dossier_id`` as one ``DossierEvents`` message."""
        return self.encode(TOGETHER, {"dossier_id": dossier_id, "events": events})
