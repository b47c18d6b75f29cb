"""Follow dossiers through the status topic: one timeline per dossier, duplicates ignored."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from kafka import TopicPartition
from kafka.partitioner.default import murmur2

from lienthong import topics
from lienthong.client import connect
from lienthong.client.terminal import safe
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.errors import ClientError, ContractError
from lienthong.settings import Settings

T = TypeVar("T")
FINAL = frozenset({"DossierFinished", "DossierRejected"})


@dataclass
class Timeline:
    """Status events of one dossier in the order they were published."""

    dossier_id: str
    events: list[tuple[str, records.Event]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, name: str, record: records.Event) -> bool:
        event_id = str(record["meta"]["event_id"])
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        self.events.append((name, record))
        return True

    @property
    def final(self) -> tuple[str, records.Event] | None:
        finals = [(n, r) for n, r in self.events if n in FINAL]
        return finals[-1] if finals else None

    def of(self, name: str) -> list[records.Event]:
        return [r for n, r in self.events if n == name]

    def receipts(self) -> list[records.DossierReceived]:
        """The dossier's receipts (``DossierReceived``; one, unless repeated)."""
        # The codec decoded each with the schema it names: these are DossierReceived records.
        return [cast(records.DossierReceived, r) for r in self.of("DossierReceived")]


def partition_of(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner puts ``key`` in."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class StatusFollower:
    """Reads the status topic from the beginning and groups events by dossier."""

    def __init__(
        self, settings: Settings, *, must_exist: bool = False, patience: float = connect.PATIENT
    ) -> None:
        """``must_exist``: fail when the status topic does not exist (a mistyped prefix), rather
        than wait for it (a topic just created whose metadata is on its way). ``patience``:
        seconds to wait for the broker's first answer (``connect.QUICK`` at a terminal)."""
        self.settings = settings
        self.codec = AvroCodec()
        self.timelines: dict[str, Timeline] = {}
        self.undecodable = 0
        self.consumer = connect.consumer(
            settings,
            "lienthong-status",
            patience,
            auto_offset_reset="earliest",
            consumer_timeout_ms=500,
        )
        topic = settings.topic(topics.STATUS)
        found = self.consumer.partitions_for_topic(topic)
        if not found and must_exist:
            self.consumer.close()
            raise ClientError(
                f"there is no topic {topic}: nothing runs with topic prefix "
                f"{settings.topic_prefix!r}. See `lienthong stack status`; for a stack started "
                'by `lienthong stack start` or the demo, run: eval "$(lienthong env)"'
            )
        found = found or set(range(settings.partitions))
        self.partitions = [TopicPartition(topic, p) for p in sorted(found)]
        self.consumer.assign(self.partitions)
        self.consumer.seek_to_beginning(*self.partitions)

    def only(self, *dossier_ids: str) -> StatusFollower:
        """Read only the partitions that hold ``dossier_ids``."""
        wanted = {partition_of(d, len(self.partitions)) for d in dossier_ids}
        chosen = [self.partitions[p] for p in sorted(wanted)]
        self.consumer.assign(chosen)
        self.consumer.seek_to_beginning(*chosen)
        return self

    def read_to_end(self, timeout: float = 30.0) -> None:
        """Read every event published so far on the assigned partitions."""
        assigned = list(self.consumer.assignment())
        ends = self.consumer.end_offsets(assigned)
        deadline = time.monotonic() + timeout
        while any(self.consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise ClientError(f"the status topic was not read to its end in {timeout:.0f} s")
            self.poll()

    def poll(self) -> int:
        """Read what is there now; returns how many new events were added."""
        added = 0
        for batch in self.consumer.poll(timeout_ms=500, max_records=5000).values():
            for message in batch:
                try:
                    events = self.codec.decode_all(message.value)
                except ContractError:
                    self.undecodable += 1
                    continue
                for decoded in events:
                    # Decoded with the schema it names; every status event has meta.
                    event = cast(records.Event, decoded.record)
                    dossier_id = event["meta"]["dossier_id"]
                    timeline = self.timelines.setdefault(dossier_id, Timeline(dossier_id))
                    added += timeline.add(decoded.name, event)
        return added

    def wait_until(
        self,
        done: Callable[[dict[str, Timeline]], bool],
        timeout: float,
        on_progress: Callable[[dict[str, Timeline]], None] | None = None,
    ) -> bool:
        """Poll until ``done`` holds or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if on_progress:
                on_progress(self.timelines)
            if done(self.timelines):
                return True
        return False

    def finished(self, ids: Iterable[str]) -> list[str]:
        return [i for i in ids if i in self.timelines and self.timelines[i].final is not None]

    def close(self) -> None:
        self.consumer.close()


def _local(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m-%d %H:%M")


def _received(r: records.DossierReceived) -> str:
    return f"received, receipt {r['receipt_number']}, due {_local(r['due_at'])}"


def _handed_off(r: records.StepHandedOff) -> str:
    return f"{r['step']}: handed to {r['agency']}"


def _step_finished(r: records.StepFinished) -> str:
    ref, reason = r.get("result_ref"), r.get("reason")
    return (
        f"{r['step']}: {r['outcome'].lower()}"
        + (f" ({ref})" if ref else "")
        + (f": {reason}" if reason else "")
    )


def _finished(r: records.DossierFinished) -> str:
    return f"finished: {r['outcome'].lower()}, " + ("on time" if r["on_time"] else "late")


def _rejected(r: records.DossierRejected) -> str:
    return "rejected: " + "; ".join(x["message"] for x in r["reasons"])


def _rated(r: records.SatisfactionRecorded) -> str:
    return "citizen satisfied" if r["satisfied"] else f"citizen not satisfied ({r.get('reason')})"


def _withdrawal(r: records.WithdrawalAnswered) -> str:
    return "withdrawn" if r["accepted"] else f"withdrawal refused: {r.get('reason')}"


def _reads(words: Callable[[T], str]) -> Callable[[records.Event], str]:
    def read(record: records.Event) -> str:
        # The dispatch point: the codec decoded ``record`` with the schema this reader is
        # registered under (``WORDS``), whose record type ``words`` reads.
        return words(cast(T, record))

    return read


#: The words of each status event a person reads (the others are named only).
WORDS: dict[str, Callable[[records.Event], str]] = {
    "DossierReceived": _reads(_received),
    "StepHandedOff": _reads(_handed_off),
    "StepFinished": _reads(_step_finished),
    "DossierFinished": _reads(_finished),
    "DossierRejected": _reads(_rejected),
    "SatisfactionRecorded": _reads(_rated),
    "WithdrawalAnswered": _reads(_withdrawal),
}


def describe(name: str, record: records.Event) -> str:
    """One readable line for a status event."""
    words = WORDS.get(name)
    text = words(record) if words is not None else name
    return safe(f"{_local(record['meta']['occurred_at'])}  {text}")


def receipt_lines(timeline: Timeline) -> list[str]:
    """What an integrator gives the citizen: receipt number, lookup code, status page link."""
    received = timeline.receipts()
    if not received:
        return []
    r = received[-1]
    return [
        f"receipt      {r['receipt_number']}",
        f"lookup code  {r['lookup_code']}",
        f"status page  {r['status_url']}",
    ]


def received_event(settings: Settings, dossier_id: str) -> records.DossierReceived | None:
    """The dossier's DossierReceived status event, if the hub has received it."""
    follower = StatusFollower(settings, must_exist=True, patience=connect.QUICK).only(dossier_id)
    try:
        follower.read_to_end()
    finally:
        follower.close()
    timeline = follower.timelines.get(dossier_id)
    received = timeline.receipts() if timeline else []
    return received[-1] if received else None


def received_dossiers(settings: Settings, dossier_ids: set[str]) -> set[str]:
    """Which of ``dossier_ids`` the hub has received (answered with a DossierReceived)."""
    follower = StatusFollower(settings, patience=connect.QUICK).only(*dossier_ids)
    try:
        follower.read_to_end()
    finally:
        follower.close()
    return {
        d for d, t in follower.timelines.items() if d in dossier_ids and t.of("DossierReceived")
    }
