"""Messages a run added to every topic of its prefix, changelogs and offset commits included.

End offsets of the run's topics are read before and after the burst; their difference is what
the run wrote. Offset commits live in the broker's ``__consumer_offsets``, shared with every
other consumer group: the records added there meanwhile are read and only those whose key names
one of the run's groups are counted (exact attribution, no estimate).
"""

from __future__ import annotations

import struct
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from rich.table import Table

from lienthong.errors import BenchmarkError
from lienthong.runtime.app import app_id
from lienthong.settings import Settings
from lienthong.topics import DEPLOYABLES

CONSUMER_OFFSETS = "__consumer_offsets"
#: How long reading the offsets topic's new records may take.
READ_TIMEOUT = 60.0
#: What the key's leading version says a record of ``__consumer_offsets`` is.
OFFSET_COMMIT = "offset commits"
GROUP_METADATA = "group metadata"
#: Said in the table: how the offset commits were attributed to the run.
ATTRIBUTION = (
    f"{CONSUMER_OFFSETS}: exact, the records added during the run whose key names one of the "
    "run's consumer groups"
)

#: A partition's end offset, by (topic, partition).
Offsets = dict[tuple[str, int], int]


def groups(settings: Settings) -> frozenset[str]:
    """The run's consumer groups: one per deployable (its Faust app id)."""
    return frozenset(app_id(name, settings) for name in DEPLOYABLES)


def run_topics(names: Iterable[str], settings: Settings) -> list[str]:
    """The run's topics among ``names``: ``<prefix>.<role>`` and ``<app id>-...`` (changelogs,
    Faust's own), in name order."""
    starts = (f"{settings.topic_prefix}.", *(f"{group}-" for group in groups(settings)))
    return sorted(name for name in names if name.startswith(starts))


def record_kind(key: bytes) -> tuple[str, str]:
    """The group and the kind of a ``__consumer_offsets`` record, from its key.

    Every key starts with its version (int16) and the group id (an int16 length, UTF-8):
    versions 0 and 1 key an offset commit, later ones the group's metadata.
    """
    if len(key) < 4:
        raise ValueError(f"a {CONSUMER_OFFSETS} key has at least 4 bytes, not {len(key)}")
    version, length = struct.unpack_from(">hh", key)
    if length < 0 or len(key) < 4 + length:
        raise ValueError(f"a {CONSUMER_OFFSETS} key's group id of {length} bytes is cut short")
    group = key[4 : 4 + length].decode()
    return group, OFFSET_COMMIT if version in (0, 1) else GROUP_METADATA


def added(before: Mapping[tuple[str, int], int], after: Offsets) -> dict[str, int]:
    """Messages added to each topic: the growth of its partitions' end offsets.

    A partition absent before (its topic created meanwhile) started at 0; one whose end offset
    went back (the topic deleted and created again) is refused.
    """
    growth: Counter[str] = Counter()
    for (topic, partition), end in after.items():
        start = before.get((topic, partition), 0)
        if end < start:
            raise ValueError(f"{topic}[{partition}]: end offset went back from {start} to {end}")
        growth[topic] += end - start
    return {topic: growth[topic] for topic in sorted({t for t, _ in after})}


def _consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)


def end_offsets(settings: Settings) -> tuple[Offsets, Offsets]:
    """End offsets now: of the run's topics, and of ``__consumer_offsets``."""
    consumer = _consumer(settings)
    try:
        names = run_topics(consumer.topics(), settings)
        topics = _ends(consumer, names)
        return topics, _ends(consumer, [CONSUMER_OFFSETS])
    finally:
        consumer.close()


def _ends(consumer: KafkaConsumer, names: Iterable[str]) -> Offsets:
    parts = [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
    return {(tp.topic, tp.partition): end for tp, end in consumer.end_offsets(parts).items()}


def group_records(
    settings: Settings, before: Offsets, after: Offsets, of: Collection[str]
) -> dict[str, int]:
    """Records added to ``__consumer_offsets`` between two readings whose group is in ``of``,
    by kind (offset commits, group metadata)."""
    counts = {OFFSET_COMMIT: 0, GROUP_METADATA: 0}
    spans = {
        TopicPartition(t, p): (before.get((t, p), 0), end)
        for (t, p), end in after.items()
        if end > before.get((t, p), 0)
    }
    if not spans:
        return counts
    consumer = _consumer(settings)
    try:
        consumer.assign(list(spans))
        for tp, (start, _) in spans.items():
            consumer.seek(tp, start)
        deadline = time.monotonic() + READ_TIMEOUT
        while any(consumer.position(tp) < end for tp, (_, end) in spans.items()):
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{CONSUMER_OFFSETS}: not read to its end in {READ_TIMEOUT} s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for message in batch:
                    group, kind = record_kind(message.key)
                    if message.offset < spans[tp][1] and group in of:
                        counts[kind] += 1
    finally:
        consumer.close()
    return counts


@dataclass(frozen=True)
class Tally:
    """What one run added: messages per topic and its groups' records in ``__consumer_offsets``."""

    dossiers: int
    prefix: str
    topics: dict[str, int]
    commits: dict[str, int]
    #: The bench's own count: the messages of the contract and internal topics, read back.
    own_count: int

    @property
    def rows(self) -> list[tuple[str, int]]:
        """(what, messages): every topic, most messages first, then the group records."""
        ordered = sorted(self.topics.items(), key=lambda row: (-row[1], row[0]))
        return [*ordered, *((f"{CONSUMER_OFFSETS}: {k}", n) for k, n in self.commits.items())]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.rows)

    def per_dossier(self, messages: int) -> float:
        return messages / self.dossiers

    def shown(self, topic: str) -> str:
        """A topic's name without the run's prefix, which the table's title gives once."""
        for start in (f"{self.prefix}.", f"{self.prefix}-"):
            if topic.startswith(start):
                return topic.removeprefix(start)
        return topic


def tally_table(tally: Tally) -> Table:
    """Topic, messages, per dossier; the total; the bench's own count beside it."""
    table = Table(
        title=f"Messages by topic over the burst of {tally.dossiers} dossiers "
        f"(topics of {tally.prefix})",
        caption=f"{ATTRIBUTION}; bench's own count: the contract and internal topics read back",
    )
    table.add_column("topic")
    table.add_column("messages", justify="right")
    table.add_column("per dossier", justify="right")
    for what, messages in tally.rows:
        table.add_row(tally.shown(what), f"{messages}", f"{tally.per_dossier(messages):.2f}")
    for what, messages in (("total", tally.total), ("bench's own count", tally.own_count)):
        table.add_row(what, f"{messages}", f"{tally.per_dossier(messages):.2f}", style="bold")
    return table
