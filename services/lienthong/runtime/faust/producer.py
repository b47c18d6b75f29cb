"""faust's producer, whose start waits for unreachable brokers instead of crashing the worker."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaConnectionError
from faust.transport.drivers import aiokafka as faust_aiokafka

from lienthong.runtime.startup import StartupWait

#: The horizon of an app not given one (``make_app`` gives each the settings' own).
DEFAULT_HORIZON_SECONDS = 300.0


class WaitingProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer whose start is retried while no broker answers.

    faust-streaming 0.15.3 starts its producer first of the app's services and lets aiokafka's
    ``KafkaConnectionError`` ("Unable to bootstrap") end the worker: a worker started while the
    brokers restart died at once (reported against faust 1.10 as robinhood/faust issue #711,
    still so in faust-streaming). Here each failed start drops the half-built aiokafka
    producer (faust's private ``_producer``) and tries again after :class:`StartupWait`'s next
    delay, until its horizon ends in a one-line error. The app's web server starts after the
    producer, so ``/ready`` does not answer 200 while this waits. Shown by
    ``tests/integration/test_startup_wait.py``.
    """

    async def on_start(self) -> None:
        wait = self._startup_wait()
        while True:
            try:
                await super().on_start()
                return
            except KafkaConnectionError as exc:
                await self._drop_failed_start()
                await asyncio.sleep(wait.next_delay(exc))

    def _startup_wait(self) -> StartupWait:
        """The app's wait (``GuardedApp.startup_wait``), else one of the default horizon."""
        wait: Any = getattr(self.app, "startup_wait", None)
        if isinstance(wait, StartupWait):
            return wait
        servers = ",".join(f"{url.host}:{url.port}" for url in self.app.conf.broker)
        return StartupWait(DEFAULT_HORIZON_SECONDS, servers)

    async def _drop_failed_start(self) -> None:
        """Close the aiokafka producer whose start failed (its client may hold a socket)."""
        failed, self._producer = self._producer, None
        if failed is not None:
            await failed.stop()
