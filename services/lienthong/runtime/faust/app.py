"""A faust app whose consumer commits only what its handlers did, and whose tables are tracked."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

import faust

from lienthong.runtime.faust.offsets import GuardedConsumer, GuardedTransport
from lienthong.runtime.faust.tables import TrackedTable
from lienthong.runtime.faust.transports import check_transport
from lienthong.runtime.startup import StartupWait

#: Per partition (topic, number): its end offset and committed offset.
Offsets = dict[tuple[str, int], tuple[int, int]]


class GuardedApp(faust.App):
    """A faust app with :class:`GuardedConsumer` and :class:`TrackedTable` tables.

    Private parts of faust's ``App`` read or overridden here, checked on faust-streaming 0.15.3:
    ``_new_transport`` (overridden: the transport whose consumer is :class:`GuardedConsumer`,
    faust issue #606, shown by ``tests/unit/test_offsets.py``), and ``_consumer``,
    ``_producer`` and ``_monitor`` (read: the public properties would create a consumer or a
    producer; shown by ``test_metrics.py::test_faust_metrics_share_one_registry_and_tolerate_
    an_app_not_started`` and the agent tests, which run no producer).
    """

    #: A partition whose floor has not moved for this long, while it has work, is read again.
    stall_seconds: float = 10.0
    #: Called each time a stalled partition is read again (a metric counts them).
    on_reread: Callable[[], None] = staticmethod(lambda: None)
    #: How long the start waits for unreachable brokers (None: the producer's default horizon).
    startup_wait: StartupWait | None = None

    def __init__(self, id: str, **options: Any) -> None:
        options.setdefault("Table", TrackedTable)
        super().__init__(id, **options)

    def _new_transport(self) -> Any:
        """The guarded aiokafka transport; a broker URL of another scheme is refused (faust
        would otherwise load its driver without our offset guard, or we would run aiokafka
        under a URL that names another)."""
        for url in self.conf.broker_consumer:
            check_transport(f"{url.scheme}://")
        return GuardedTransport(self.conf.broker_consumer, self)

    def producing(self) -> bool:
        """Whether a producer runs (not in agent test contexts), so table writes are sent."""
        producer = self._producer  # the property would create one
        return producer is not None and bool(producer.started)

    def owns(self, message: Any) -> bool:
        """Whether no rebalance began since ``message`` was read (its partition is still ours).

        Faust sets ``rebalancing`` as soon as partitions are revoked, before the group is
        joined again, so no other worker can own the partition yet while this says True.
        """
        consumer = self._consumer  # the property would create one
        if not isinstance(consumer, GuardedConsumer):
            return True
        return not self.rebalancing and consumer.of_this_generation(message)

    def handled(self, message: Any) -> None:
        """Tell the consumer (if one runs: not in agent test contexts) a message was handled."""
        consumer = self._consumer  # the property would create one
        if isinstance(consumer, GuardedConsumer):
            consumer.mark_handled(message)

    def offsets(self) -> Offsets:
        """End and committed offsets of the partitions consumed; empty until a consumer runs."""
        return read_offsets(self)


def read_offsets(app: Any) -> Offsets:
    """A faust app's end and committed offsets, without creating its consumer.

    Committed offsets come from the consumer (faust keeps them per assigned partition, seeded
    from Kafka on assignment), else the monitor; end offsets from the consumer's highwater, else
    the monitor's last seen value. Partitions never committed (table changelogs) are left out.
    """
    consumer = getattr(app, "_consumer", None)  # not ``app.consumer``: that creates one
    monitor = getattr(app, "_monitor", None)
    committed: dict[Any, Any] = dict(getattr(monitor, "tp_committed_offsets", None) or {})
    ends: dict[Any, Any] = dict(getattr(monitor, "tp_end_offsets", None) or {})
    if consumer is not None:
        committed = dict(getattr(consumer, "_committed_offset", None) or {})
    offsets: Offsets = {}
    for tp, committed_offset in committed.items():
        end_offset = ends.get(tp)
        if consumer is not None:
            with suppress(Exception):  # not started, or the partition is not assigned yet
                end_offset = consumer.highwater(tp) or end_offset
        if committed_offset is not None and end_offset is not None:
            offsets[(tp.topic, int(tp.partition))] = (int(end_offset), int(committed_offset))
    return offsets
