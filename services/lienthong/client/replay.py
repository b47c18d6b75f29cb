"""Replay dead letters: only to the topics a deployable reads, only what would not fail again.

The topic comes from the declared table (``topics.ACCESS``: what each deployable reads, under
this deployment's prefix), never from the dead letter: a record naming any other topic (another
prefix, a made-up name that the broker would auto-create, the dead-letter topic itself) is
skipped, even with ``force``. A dead letter that would fail the same way again (its original
does not decode, breaks the dossier's structure, or answers for a dossier the hub has still not
received) is skipped with the reason, unless ``force``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.client import connect
from lienthong.client.deadletters import DeadLetterEntry
from lienthong.client.status import received_dossiers
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.errors import ClientError, ValidationFailed
from lienthong.groups.birth.model import parse_submission
from lienthong.settings import Settings

log = logging.getLogger(__name__)

#: Header added to a replayed message: the dead letter it came from (the originals are kept).
REPLAY_HEADER = "lienthong-replay-of"
#: The error a hub gives an answer or a request about a dossier it never received.
UNKNOWN_DOSSIER = "UnknownDossier"


def replayable_roles() -> dict[str, frozenset[str]]:
    """Topic role -> the deployables that consume it (the dead-letter topic is nobody's input)."""
    readers: dict[str, set[str]] = {}
    for deployable in topics.DEPLOYABLES:
        for role in topics.ACCESS[deployable].reads:
            if role != topics.DEADLETTER:
                readers.setdefault(role, set()).add(deployable)
    return {role: frozenset(names) for role, names in readers.items()}


@dataclass(frozen=True)
class Skipped:
    """A dead letter not replayed, and why; ``forcible`` when ``--force`` would send it."""

    entry: DeadLetterEntry
    why: str
    forcible: bool


@dataclass(frozen=True)
class Plan:
    """What a replay will send (dead letter, topic) and what it skips."""

    send: list[tuple[DeadLetterEntry, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def dossier_of(decoded: Decoded) -> str | None:
    meta = decoded.record.get("meta")
    return str(meta["dossier_id"]) if isinstance(meta, dict) and "dossier_id" in meta else None


def plan_replay(
    entries: Sequence[DeadLetterEntry],
    settings: Settings,
    received: Collection[str],
    *,
    force: bool = False,
    codec: AvroCodec | None = None,
) -> Plan:
    """Decide, for each dead letter, whether it goes back and where (pure: no broker).

    ``received`` holds the dossier ids the hub has received (a ``DossierReceived`` status).
    """
    codec = codec or AvroCodec()
    by_name = {settings.topic(role): role for role in replayable_roles()}
    readers = replayable_roles()
    plan = Plan()
    for entry in entries:
        record = entry.record
        role = by_name.get(str(record["topic"]))
        if role is None:
            why = f"{record['topic']!r} is not a topic this deployment's deployables read"
            plan.skipped.append(Skipped(entry, why, forcible=False))
            continue
        if record["deployable"] not in readers[role]:
            why = f"{record['deployable']!r} does not read {record['topic']}"
            plan.skipped.append(Skipped(entry, why, forcible=False))
            continue
        why_again = _would_fail_again(entry, codec, received, role)
        if why_again is not None and not force:
            plan.skipped.append(Skipped(entry, why_again, forcible=True))
            continue
        plan.send.append((entry, settings.topic(role)))
    return plan


def _would_fail_again(
    entry: DeadLetterEntry, codec: AvroCodec, received: Collection[str], role: str
) -> str | None:
    original = entry.original(codec)
    if not isinstance(original, Decoded):
        return f"it would fail again: the original does not decode ({original})"
    carried = topics.CARRIES.get(role)
    if carried is not None and original.name not in carried:
        return f"it would fail again: {role} does not carry {original.name}"
    if original.name == "DossierSubmitted":
        try:
            parse_submission(original.record)
        except ValidationFailed as exc:
            return f"it would fail again: {exc}"
    dossier_id = dossier_of(original)
    if entry.record["error_kind"] == UNKNOWN_DOSSIER and dossier_id not in received:
        return f"it would fail again: the hub has still not received dossier {dossier_id}"
    return None


def unknown_dossiers(entries: Sequence[DeadLetterEntry], codec: AvroCodec) -> set[str]:
    """The dossiers that dead letters for an unknown dossier are about."""
    found: set[str] = set()
    for entry in entries:
        original = entry.original(codec)
        if entry.record["error_kind"] == UNKNOWN_DOSSIER and isinstance(original, Decoded):
            found.update(filter(None, [dossier_of(original)]))
    return found


@dataclass(frozen=True)
class Replayed:
    """One replay: which dead letter went back to which topic, at which new offset."""

    entry: DeadLetterEntry
    topic: str
    partition: int
    offset: int


def replay(
    settings: Settings,
    entries: Sequence[DeadLetterEntry],
    *,
    force: bool = False,
    timeout: float = 30.0,
    received: Callable[[Settings, set[str]], set[str]] = received_dossiers,
) -> tuple[list[Replayed], list[Skipped]]:
    """Publish the originals that may go back (bytes, key, headers as they were)."""
    codec = AvroCodec()
    asked = unknown_dossiers(entries, codec)
    plan = plan_replay(
        entries, settings, received(settings, asked) if asked else set(), force=force, codec=codec
    )
    return send_originals(settings, plan.send, timeout), plan.skipped


def send_originals(
    settings: Settings, chosen: list[tuple[DeadLetterEntry, str]], timeout: float = 30.0
) -> list[Replayed]:
    """Publish each dead letter's original to its topic (bytes, key, headers as they were)."""
    if not chosen:
        return []
    producer = connect.producer(settings, "lienthong-replay")
    try:
        futures = []
        for entry, topic in chosen:
            r = entry.record
            headers = [(k, bytes(v)) for k, v in sorted(r["headers"].items()) if k != REPLAY_HEADER]
            headers.append((REPLAY_HEADER, entry.event_id.encode()))
            future = producer.send(topic, key=r["key"], value=r["value"], headers=headers)
            futures.append((entry, future))
        done = []
        for entry, future in futures:
            meta = future.get(timeout=timeout)
            log.info(
                "replayed dead letter %s to %s[%d]", entry.position, meta.topic, meta.partition
            )
            done.append(Replayed(entry, meta.topic, meta.partition, meta.offset))
        return done
    except KafkaError as exc:
        raise ClientError(f"could not replay the dead letters: {exc}") from exc
    finally:
        producer.close()


def wait_until_read(settings: Settings, done: Sequence[Replayed], timeout: float) -> list[Replayed]:
    """Wait until the consumer group of each replay's deployable has committed past it.

    A deployable commits an offset only over messages it handled (answered or dead-lettered
    again), so once this returns the replay's effect is on the broker. Returns those still unread.
    """
    from lienthong.runtime.app import app_id

    waiting = list(done)
    admin = connect.admin(settings, "lienthong-replay")
    deadline = time.monotonic() + timeout
    try:
        while waiting and time.monotonic() < deadline:
            waiting = [
                r for r in waiting if _committed(admin, app_id(_reader(r), settings), r) <= r.offset
            ]
            if waiting:
                time.sleep(0.5)
    finally:
        admin.close()
    return waiting


def _reader(replayed: Replayed) -> str:
    return str(replayed.entry.record["deployable"])


def _committed(admin: KafkaAdminClient, group: str, replayed: Replayed) -> int:
    tp = TopicPartition(replayed.topic, replayed.partition)
    try:
        meta = admin.list_group_offsets({group: [tp]})[group].get(tp)
    except KafkaError:
        return -1
    return -1 if meta is None else int(meta.offset)
