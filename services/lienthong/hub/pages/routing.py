"""Which hub worker holds a dossier, and asking it: the pages' side of faust's table router.

Each hub worker holds only its partitions of the ``dossiers`` table. The layout comes from
faust's partition assignor (``app.router.table_metadata``: worker URL -> changelog partitions,
the same map ``app.table_route`` uses). ``app.table_route`` itself does not fit: it routes by
the raw URL parameter (the receipt number, not the dossier id) and relays the owner's answer
as text, which would corrupt a PNG.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import aiohttp
from aiohttp import web as aioweb
from faust.web import Request, Response, View
from yarl import URL

from lienthong.client.status import partition_of

Json = dict[str, Any]
#: Marks a request forwarded by another hub worker: it is answered there, never forwarded again.
ROUTED = "X-Lienthong-Routed"
VIEWER = "X-Lienthong-Viewer"
FORWARD_SECONDS = 5.0


class Workers:
    """The hub workers that share a table, seen from one of them."""

    def __init__(self, app: Any, table_name: str, partitions: int) -> None:
        self.app = app
        self.table_name = table_name
        self.partitions = partitions

    def layout(self) -> dict[str, list[int]]:
        """The table's partitions by worker URL (empty until the app has an assignment)."""
        table = self.app.tables.get(self.table_name)
        if table is None:
            return {}
        changelog = table.changelog_topic.get_topic_name()
        metadata = self.app.router.table_metadata(self.table_name)
        return {str(url).rstrip("/"): list(tps.get(changelog, ())) for url, tps in metadata.items()}

    def me(self) -> str:
        return str(self.app.conf.canonical_url).rstrip("/")

    def owner(self, key: str) -> str | None:
        """The URL of the *other* worker holding ``key``; None when it is this one.

        The table's partition of a key is the partition its events came from: every topic the
        hub reads is keyed by dossier id with Kafka's default partitioner (murmur2).
        """
        layout = self.layout()
        if len(layout) <= 1:
            return None
        partition = partition_of(key, self.partitions)
        for url, partitions in layout.items():
            if partition in partitions:
                return None if url == self.me() else url
        return None  # mid-rebalance: answer from here rather than bounce between workers

    def holding(self) -> Callable[[str], bool]:
        """Whether this worker's partitions hold a key (always, when it is the only worker).

        A worker may keep copies of partitions it lost in a rebalance (faust's memory store
        drops them only after a recovery), so a scan of the table is filtered with this.
        """
        layout = self.layout()
        mine = set(layout.get(self.me(), ()))
        if len(layout) <= 1 or not mine:
            return lambda key: True
        return lambda key: partition_of(key, self.partitions) in mine

    def peers(self) -> list[str]:
        return [url for url in self.layout() if url != self.me()]

    async def forward(
        self, view: View, request: Request, owner: str, headers: dict[str, str]
    ) -> Response:
        """Ask the owning worker the same question and relay its answer byte for byte."""
        target = URL(f"{owner}{request.rel_url}", encoded=True)
        asked = {
            ROUTED: "1",
            "X-Forwarded-For": client_address(request),
            "User-Agent": request.headers.get("User-Agent", ""),
            VIEWER: request.headers.get(VIEWER, ""),
        }
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        try:
            async with self.app.http_client.get(target, headers=asked, timeout=timeout) as answer:
                body = await answer.read()
                kind = answer.headers.get("Content-Type", "application/octet-stream")
                relayed = {**headers, "Content-Type": kind}
                return view.bytes(body, status=answer.status, headers=relayed)
        except (aiohttp.ClientError, TimeoutError):
            return view.text("hub worker unavailable, try again", status=503, headers=headers)

    async def fetch_json(self, url: str) -> Json:
        """GET a JSON document from another worker."""
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        async with self.app.http_client.get(url, timeout=timeout) as answer:
            answer.raise_for_status()
            return cast(Json, json.loads(await answer.read()))


def client_address(request: Request) -> str:
    """The first X-Forwarded-For entry (set by the ingress or a forwarding worker), else the
    peer address. Only its keyed hash is ever recorded."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    first = forwarded.split(",")[0].strip()
    return first or str(cast(aioweb.Request, request).remote or "")
