"""faust's metrics on a deployable's registry: its sensors, and the consumer lag read from its
offset bookkeeping (the only reading of those private parts, ``read_offsets``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry

from lienthong.metrics import FAUST_PREFIX, ConsumerLagCollector, OffsetSource
from lienthong.runtime.faust.app import read_offsets


def faust_offsets(app: Any) -> OffsetSource:
    """Reads a faust app's end and committed offsets; empty until its consumer has started.

    The reading needs faust's private parts: it lives in ``read_offsets``, beside them.
    """
    return partial(read_offsets, app)


def setup_faust_metrics(app: Any, registry: CollectorRegistry) -> ConsumerLagCollector:
    """Adds faust's sensors and the lag collector to ``registry``, served on ``/metrics``."""
    from faust.sensors.prometheus import setup_prometheus_sensors

    setup_prometheus_sensors(app, pattern="/metrics", registry=registry, name_prefix=FAUST_PREFIX)
    collector = ConsumerLagCollector(faust_offsets(app))
    registry.register(collector)
    return collector
