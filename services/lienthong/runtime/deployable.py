"""A deployable's wiring: app, topics, metrics and the pipeline, built in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from prometheus_client import CollectorRegistry

from lienthong import topics
from lienthong.clocks import clock_for
from lienthong.contracts.codec import AvroCodec
from lienthong.domain.calendar import Clock, WorkingCalendar
from lienthong.domain.due_index import DueIndex
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.metrics import Metrics
from lienthong.runtime.app import contract_topic, make_app
from lienthong.runtime.boundary import Boundary
from lienthong.runtime.faust.metrics import setup_faust_metrics
from lienthong.runtime.pipeline import Pipeline
from lienthong.runtime.readiness import add_readiness
from lienthong.runtime.staged import KeptStatesCollector, KeptTable, Parsing, T
from lienthong.settings import Settings

MIB = 1024 * 1024
#: RocksDB's defaults in Faust suit one large database (a 64 MiB write buffer, three of them,
#: and a 2 GiB block cache), but Faust opens one database per table and partition: the hub's
#: three tables on 4 partitions are 12. Small buffers and caches keep a worker's memory flat
#: however many dossiers its tables hold on disk: at most 6 MiB a database.
ROCKSDB_OPTIONS: dict[str, int] = {
    "write_buffer_size": 2 * MIB,
    "max_write_buffer_number": 2,
    "target_file_size_base": 8 * MIB,
    "block_cache_size": 2 * MIB,
}


@dataclass
class Deployable:
    """Everything one deployable runs; tests reach agents and tables through it."""

    name: str
    settings: Settings
    app: faust.App
    pipeline: Pipeline
    metrics: Metrics
    clock: Clock
    calendar: WorkingCalendar
    registry: CollectorRegistry
    agents: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    #: One tick of a timer, callable on its own (tests call it rather than wait for the timer).
    ticks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    #: The tables kept parsed, as the metrics see them (registered with the first of them).
    kept_states: KeptStatesCollector | None = None

    def keep_fresh(self, index: DueIndex) -> None:
        """Have ``index`` rebuilt from its table after each rebalance (the worker's partitions
        changed) and every ``deadline_rescan_seconds``: a safety net that finds again what a
        crashed worker's lost event would have scheduled."""

        async def on_rebalance(sender: Any, *_: Any, signal: Any, **__: Any) -> None:
            index.stale = True

        cast(Any, self.app.on_rebalance_complete).connect(on_rebalance)

        async def rescan() -> None:
            index.stale = True

        self.app.timer(interval=self.settings.deadline_rescan_seconds)(rescan)

    def kept(self, name: str, parsing: Parsing[T]) -> KeptTable[T]:
        """The staged view of table ``name`` whose values stay parsed between accesses
        (``runtime.staged.KeptTable``); a rebalance lets go of them, as another worker may
        have written the partitions meanwhile."""
        view = self.pipeline.keep(self.tables[name], parsing)
        if self.kept_states is None:
            self.kept_states = KeptStatesCollector()
            self.registry.register(self.kept_states)
        self.kept_states.watch(name, view)

        async def on_rebalance(sender: Any, *_: Any, signal: Any, **__: Any) -> None:
            view.forget()

        cast(Any, self.app.on_partitions_revoked).connect(on_rebalance)
        cast(Any, self.app.on_rebalance_complete).connect(on_rebalance)
        return view

    def table(self, name: str, *, as_bytes: bool = False) -> Any:
        """A Faust table of this deployable, partitioned as its input, in the settings' store.

        Its values are JSON objects that faust encodes, or (``as_bytes``) bytes the caller
        encoded, stored and read back as they are."""
        options = ROCKSDB_OPTIONS if self.settings.store.startswith("rocksdb") else None
        extra: dict[str, Any] = {"options": dict(options)} if options else {}
        if as_bytes:
            extra["value_type"] = bytes
        table = self.app.Table(name, default=None, partitions=self.settings.partitions, **extra)
        self.tables[name] = table
        return table


def build(
    name: str,
    settings: Settings,
    writes: tuple[str, ...],
    clock: Clock | None = None,
    *,
    with_web_metrics: bool = True,
    **app_overrides: Any,
) -> Deployable:
    """The common parts of every deployable; the caller adds its agents and tables."""
    clock = clock or clock_for(settings)
    app = make_app(name, settings, **app_overrides)
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    if with_web_metrics:
        setup_faust_metrics(app, registry)
        add_readiness(app)
    out = {role: contract_topic(app, settings, role) for role in writes}
    deadletter = out.get(topics.DEADLETTER) or contract_topic(app, settings, topics.DEADLETTER)
    boundary = Boundary(settings.topic_prefix, MAX_MESSAGE_BYTES, settings.partitions)
    pipeline = Pipeline(name, AvroCodec(), out, deadletter, metrics, clock, boundary)
    pipeline.batch_messages = settings.batch_messages
    pipeline.batch_seconds = settings.batch_seconds
    pipeline.on_handled = app.handled
    pipeline.owns = app.owns
    pipeline.producing = app.producing
    app.on_reread = lambda: metrics.partition_reread(name)
    calendar = WorkingCalendar(**settings.calendar_kwargs())  # type: ignore[arg-type]
    return Deployable(name, settings, app, pipeline, metrics, clock, calendar, registry)
