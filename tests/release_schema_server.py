"""The hub's public web server (its real aiohttp app, no broker) on a free port in a thread of
its own, for subscribers under test that resolve schemas over HTTP (fastavro, Java)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web as aioweb

from lienthong.hub import app as hub_app
from lienthong.settings import Settings


async def _serve(state: Path, ready: list[str], stop: asyncio.Event) -> None:
    settings = Settings(state_dir=state, topic_prefix="schemas", bootstrap_servers="127.0.0.1:9")
    dep = hub_app.create(settings, with_web_metrics=False)
    dep.app.loop = asyncio.get_running_loop()
    dep.app.finalize()
    runner = aioweb.AppRunner(dep.app.web.web_app)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.append(f"http://127.0.0.1:{port}")
    await stop.wait()
    await runner.cleanup()


@contextmanager
def hub_schemas(state: Path) -> Iterator[str]:
    """The base URL of a hub web server answering ``GET /schemas/{fingerprint}``."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready: list[str] = []
    thread = threading.Thread(
        target=loop.run_until_complete, args=(_serve(state, ready, stop),), daemon=True
    )
    thread.start()
    try:
        for _ in range(300):
            if ready or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert ready, "the hub's web server did not start"
        yield ready[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
