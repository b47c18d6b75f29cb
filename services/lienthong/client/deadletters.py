"""Dead letters: list them with their reasons, show one decoded, replay selected ones after a fix.

A dead letter keeps the original message whole (key, value, headers, topic, partition, offset), so
a replay (``client.replay``) publishes exactly those bytes again. Every line shown comes through
``terminal.safe``: a message's content cannot drive the operator's terminal.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from kafka import TopicPartition
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.client import connect
from lienthong.client.terminal import safe
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.errors import ClientError, ContractError
from lienthong.settings import Settings

log = logging.getLogger(__name__)

#: A dead letter may be named by the start of its event id; shorter prefixes are too ambiguous.
MIN_ID_PREFIX = 6
PREVIEW_BYTES = 32
TEXT_PREVIEW = 60


@dataclass(frozen=True)
class DeadLetterEntry:
    """One decoded DeadLetter and where it sits in the dead-letter topic."""

    partition: int
    offset: int
    record: records.DeadLetter

    @property
    def position(self) -> str:
        """``partition:offset`` in the dead-letter topic: the id ``show`` and ``replay`` take."""
        return f"{self.partition}:{self.offset}"

    @property
    def event_id(self) -> str:
        return str(self.record["event_id"])

    @property
    def source(self) -> str:
        """Where the original message was read, as ``topic[partition]@offset``."""
        r = self.record
        return f"{r['topic']}[{r['partition']}]@{r['offset']}"

    def original(self, codec: AvroCodec) -> Decoded | ContractError:
        """The original event decoded, or why it cannot be."""
        try:
            return codec.decode(self.record["value"] or b"")
        except ContractError as exc:
            return exc

    def original_event_id(self, codec: AvroCodec) -> str | None:
        decoded = self.original(codec)
        if isinstance(decoded, Decoded):
            meta = decoded.record.get("meta")
            if isinstance(meta, dict) and meta.get("event_id") is not None:
                return str(meta["event_id"])
        return None


def read_dead_letters(settings: Settings, codec: AvroCodec | None = None) -> list[DeadLetterEntry]:
    """Every dead letter from the beginning of the topic to its current end, in topic order."""
    codec = codec or AvroCodec()
    name = settings.topic(topics.DEADLETTER)
    consumer = connect.consumer(settings, "lienthong-deadletters")
    try:
        found = consumer.partitions_for_topic(name)
        if not found:
            return []
        parts = [TopicPartition(name, p) for p in sorted(found)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[DeadLetterEntry] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for tp, batch in consumer.poll(timeout_ms=1000).items():
                for message in batch:
                    if message.offset >= ends[tp]:
                        continue
                    entry = _entry(codec, message)
                    if entry is not None:
                        out.append(entry)
        return sorted(out, key=lambda e: (e.record["failed_at"], e.partition, e.offset))
    except KafkaError as exc:
        raise ClientError(f"cannot read the dead letters from {name}: {exc}") from exc
    finally:
        consumer.close()


def _entry(codec: AvroCodec, message: Any) -> DeadLetterEntry | None:
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    try:
        decoded = codec.decode(message.value or b"")
    except ContractError as exc:
        log.warning("%s: not a DeadLetter (%s)", where, exc)
        return None
    if decoded.name != "DeadLetter":
        log.warning("%s: a %s on the dead-letter topic, skipped", where, decoded.name)
        return None
    # The dispatch point: the codec decoded it with the DeadLetter schema (checked above).
    return DeadLetterEntry(
        message.partition, message.offset, cast(records.DeadLetter, decoded.record)
    )


def select(
    entries: Sequence[DeadLetterEntry], ids: Iterable[str], codec: AvroCodec | None = None
) -> list[DeadLetterEntry]:
    """The dead letters named by ``ids``.

    An id is ``partition:offset`` in the dead-letter topic (or just the offset when that is
    unambiguous), the original's ``topic[partition]@offset``, the dead letter's event id (or its
    first characters), or the original event's event id.
    """
    codec = codec or AvroCodec()
    chosen: list[DeadLetterEntry] = []
    for wanted in ids:
        matches = _matches(entries, wanted.strip().lower(), codec)
        if not matches:
            raise ClientError(f"no dead letter {wanted!r} (see `lienthong deadletters list`)")
        if len(matches) > 1:
            where = ", ".join(m.position for m in matches)
            raise ClientError(f"{wanted!r} names several dead letters ({where}); use one of those")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


def _matches(
    entries: Sequence[DeadLetterEntry], wanted: str, codec: AvroCodec
) -> list[DeadLetterEntry]:
    by_position = [e for e in entries if wanted in (e.position, e.source.lower())]
    if by_position:
        return by_position
    by_offset = [e for e in entries if str(e.offset) == wanted]
    if by_offset:
        return by_offset
    if len(wanted.replace("-", "")) < MIN_ID_PREFIX:
        return []
    return [
        e
        for e in entries
        if e.event_id.startswith(wanted) or (e.original_event_id(codec) or "").startswith(wanted)
    ]


def list_lines(entries: Sequence[DeadLetterEntry], codec: AvroCodec | None = None) -> list[str]:
    """One line per dead letter: id, when, deployable, where it was read, what it was, why."""
    codec = codec or AvroCodec()
    lines = []
    for entry in entries:
        r = entry.record
        original = entry.original(codec)
        what = original.name if isinstance(original, Decoded) else "undecodable"
        lines.append(
            f"{entry.position:>7}  {entry.event_id[:8]}  {_when(r['failed_at'])}  "
            f"{r['deployable']:<16}  {entry.source}  {what}  {r['error_kind']}: {r['reason']}"
        )
    return [safe(line) for line in lines]


def describe(entry: DeadLetterEntry, codec: AvroCodec | None = None) -> list[str]:
    """A dead letter in full: where and why it failed, then its original event decoded."""
    codec = codec or AvroCodec()
    r = entry.record
    key = r["key"]
    lines = [
        f"dead letter {entry.position} (event id {entry.event_id})",
        f"  failed at   {_when(r['failed_at'])} in {r['deployable']}",
        f"  read from   {entry.source}",
        f"  reason      {r['error_kind']}: {r['reason']}",
        f"  key         {_text(key) if key is not None else '(none)'}",
    ]
    for name, value in sorted(r["headers"].items()):
        lines.append(f"  header      {name} = {_text(value)}")
    original = entry.original(codec)
    value = r["value"] or b""
    if isinstance(original, Decoded):
        lines.append(f"  original    {original.name} ({len(value)} bytes)")
        lines += [f"    {line}" for line in summary(original.record)]
    else:
        lines.append(f"  original    {len(value)} bytes, not decodable: {original}")
        lines.append(f"    starts    {value[:PREVIEW_BYTES].hex(' ') or '(empty)'}")
    return [safe(line) for line in lines]


def summary(record: Mapping[str, object]) -> list[str]:
    """The event's metadata and top-level fields; nested parts only by their shape."""
    lines = []
    meta = record.get("meta")
    if isinstance(meta, dict):
        for name in ("event_id", "dossier_id", "occurred_at", "producer", "causation_id"):
            if meta.get(name) is not None:
                lines.append(f"{name:<21} {_short(meta[name])}")
    for name, value in record.items():
        if name != "meta":
            lines.append(f"{name:<21} {_short(value)}")
    return lines


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _text(value: bytes) -> str:
    try:
        text = value.decode()
    except UnicodeDecodeError:
        return value[:PREVIEW_BYTES].hex(" ")
    return text if text.isprintable() else value[:PREVIEW_BYTES].hex(" ")


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} fields}}"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float, bool)) for v in value):
            text = ", ".join(str(v) for v in value)
            return f"[{text[:TEXT_PREVIEW]}]"
        return f"[{len(value)} items]"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    if isinstance(value, dt.datetime):
        return _when(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if not text:
        return "(empty)"
    return text if len(text) <= TEXT_PREVIEW else text[: TEXT_PREVIEW - 1] + "…"
