"""faust's producer and consumer, whose starts wait for unreachable brokers instead of crashing.

faust-streaming 0.15.3 starts its producer first of the app's services, its consumer (in a
thread of its own) a moment later, and lets aiokafka's ``KafkaConnectionError`` ("Unable to
bootstrap") from either end the worker: a worker started while the brokers restart died at
once (reported against faust 1.10 as robinhood/faust issue #711, still so in faust-streaming).
Here each failed start drops the half-built aiokafka client (faust's private ``_producer`` and
``_consumer``) and tries again after the app's :class:`StartupWait` says, until its horizon
ends in a one-line error. The app's web server starts after the producer and ``/ready`` answers
200 only once the consumer consumes, so neither is ready while this waits. Shown by
``tests/integration/test_startup_wait.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaConnectionError
from faust.transport.drivers import aiokafka as faust_aiokafka

from lienthong.runtime.startup import StartupWait

#: The horizon of an app not given one (``make_app`` gives each the settings' own).
DEFAULT_HORIZON_SECONDS = 300.0


def startup_wait_of(app: Any) -> StartupWait:
    """The app's wait (``GuardedApp.startup_wait``), else one of the default horizon."""
    wait: Any = getattr(app, "startup_wait", None)
    if isinstance(wait, StartupWait):
        return wait
    servers = ",".join(f"{url.host}:{url.port}" for url in app.conf.broker)
    return StartupWait(DEFAULT_HORIZON_SECONDS, servers)


async def start_waiting(
    start: Callable[[], Awaitable[None]], drop: Callable[[], Awaitable[None]], wait: StartupWait
) -> None:
    """``start`` until it reaches a broker; after each failure ``drop`` what it half built."""
    while True:
        try:
            await start()
            return
        except KafkaConnectionError as exc:
            await drop()
            await asyncio.sleep(wait.next_delay(exc))


class WaitingProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer whose start is retried while no broker answers."""

    async def on_start(self) -> None:
        await start_waiting(super().on_start, self._drop_failed_start, startup_wait_of(self.app))

    async def _drop_failed_start(self) -> None:
        failed, self._producer = self._producer, None
        if failed is not None:
            await failed.stop()


class WaitingConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread whose aiokafka consumer start is retried while no broker answers."""

    async def on_start(self) -> None:
        await start_waiting(super().on_start, self._drop_failed_start, startup_wait_of(self.app))

    async def _drop_failed_start(self) -> None:
        failed, self._consumer = self._consumer, None
        if failed is not None:
            await failed.stop()
