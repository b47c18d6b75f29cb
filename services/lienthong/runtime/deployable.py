"""A deployable's wiring: app, topics, metrics and the pipeline, built in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from lienthong import topics
from lienthong.calendar import Clock, WorkingCalendar
from lienthong.clocks import clock_for
from lienthong.contracts.boundary import Boundary
from lienthong.contracts.codec import AvroCodec
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.metrics import Metrics, setup_faust_metrics
from lienthong.runtime.app import contract_topic, make_app
from lienthong.runtime.pipeline import Pipeline
from lienthong.runtime.readiness import add_readiness
from lienthong.settings import Settings


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
