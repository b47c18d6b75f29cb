"""The desk's feed: every ``DeskCase`` the agencies publish, read into the desk's store.

A kafka-python consumer without a consumer group reads every partition of the desk topic (each
hub worker keeps the whole desk: an official's list spans every partition), from the offsets the
store saved with its rows. It is blocking, so it runs in a thread of its own; the web reads the
store meanwhile.
"""

from __future__ import annotations

import logging
import threading
from typing import cast

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.errors import ContractError
from lienthong.hub.desk.store import DeskStore
from lienthong.settings import Settings

log = logging.getLogger(__name__)
POLL_MS = 200


class DeskFeed:
    """Reads the desk topic into ``store`` until stopped."""

    def __init__(self, settings: Settings, store: DeskStore) -> None:
        self.settings = settings
        self.store = store
        self.codec = AvroCodec()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        #: Set once the feed has read up to where the topic ended when it started.
        self.caught_up = threading.Event()

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="desk-feed", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.follow()
            except KafkaError as exc:
                log.warning("desk feed: %s; reading again in a second", exc)
                self.stopping.wait(1.0)

    def follow(self) -> None:
        topic = self.settings.topic(topics.DESK)
        consumer = KafkaConsumer(
            **self.settings.kafka_client_options(),
            client_id="lienthong-desk",
            group_id=None,
            enable_auto_commit=False,
        )
        try:
            parts = self.assign(consumer, topic)
            ends = consumer.end_offsets(parts) if parts else {}
            while not self.stopping.is_set():
                if not parts:
                    self.stopping.wait(1.0)
                    parts = self.assign(consumer, topic)
                    ends = consumer.end_offsets(parts) if parts else {}
                    continue
                self.read(consumer, parts)
                if all(consumer.position(tp) >= ends[tp] for tp in parts):
                    self.caught_up.set()
        finally:
            consumer.close()

    def assign(self, consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
        found = consumer.partitions_for_topic(topic)
        if not found:
            return []
        parts = [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(parts)
        saved = self.store.offsets()
        begins = consumer.beginning_offsets(parts)
        for tp in parts:
            consumer.seek(tp, max(saved.get(tp.partition, 0), begins[tp]))
        return parts

    def read(self, consumer: KafkaConsumer, parts: list[TopicPartition]) -> None:
        batches = consumer.poll(timeout_ms=POLL_MS, max_records=2000)
        cases: list[records.DeskCase] = []
        reached: dict[int, int] = {}
        for tp, messages in batches.items():
            for message in messages:
                reached[tp.partition] = message.offset + 1
                try:
                    decoded = self.codec.decode(message.value or b"")
                except ContractError as exc:  # the agency's own topic: not expected
                    log.error("desk feed: unreadable case at %s@%s: %s", tp, message.offset, exc)
                    continue
                if decoded.name == "DeskCase":
                    cases.append(cast(records.DeskCase, decoded.record))
        if reached:
            self.store.apply(cases, reached)
