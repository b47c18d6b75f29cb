"""A bare faust worker that notes each message it reads in a file: run with a transport scheme.

Usage: python faust_reader.py <scheme> <bootstrap servers> <topic> <app id> <web port> <datadir>
(each message read adds a line ``<partition> <offset>`` to ``<datadir>.reads``)
"""

from __future__ import annotations

import sys
from pathlib import Path

import faust


def main(scheme: str, servers: str, topic: str, app_id: str, port: str, datadir: str) -> None:
    reads = Path(f"{datadir}.reads")
    reads.touch()
    app = faust.App(
        app_id,
        broker=f"{scheme}://{servers}",
        store="memory://",
        datadir=datadir,
        web_port=int(port),
        autodiscover=False,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
    )

    @app.agent(app.topic(topic, key_type=bytes, value_type=bytes))
    async def read(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            with reads.open("a") as noted:  # faust sends a worker's stdout to its log
                noted.write(f"{event.message.partition} {event.message.offset}\n")

    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()


if __name__ == "__main__":
    main(*sys.argv[1:7])
