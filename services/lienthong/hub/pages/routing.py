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
from faust.web import Request, Response, View
from yarl import URL

from lienthong.client.status import partition_of
from lienthong.hub.pages.guard import routed_signature

Json = dict[str, Any]
#: Marks a request forwarded by another hub worker (signed): answered there, never forwarded again.
ROUTED = "X-Lienthong-Routed"
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
        self,
        view: View,
        request: Request,
        owner: str,
        headers: dict[str, str],
        address: str,
        key: bytes,
    ) -> Response:
        """Ask the owning worker the same question and relay its answer byte for byte.

        The owner believes the client ``address`` only because the request is signed with the
        lookup key (``guard.routed_signature``), which clients do not have.
        """
        target = URL(f"{owner}{request.rel_url}", encoded=True)
        asked = {
            ROUTED: routed_signature(key, address, str(request.rel_url)),
            "X-Forwarded-For": address,
            "User-Agent": request.headers.get("User-Agent", ""),
        }
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        try:
            async with self.app.http_client.get(target, headers=asked, timeout=timeout) as answer:
                body = await answer.read()
                kind = answer.headers.get("Content-Type", "application/octet-stream")
                relayed = {**headers, "Content-Type": kind}
                if "Retry-After" in answer.headers:  # the owner locked the lookup out
                    relayed["Retry-After"] = answer.headers["Retry-After"]
                return view.bytes(body, status=answer.status, headers=relayed)
        except (aiohttp.ClientError, TimeoutError):
            return view.text("hub worker unavailable, try again", status=503, headers=headers)

    async def fetch_json(self, url: str, headers: dict[str, str] | None = None) -> Json:
        """GET a JSON document from another worker."""
        timeout = aiohttp.ClientTimeout(total=FORWARD_SECONDS)
        async with self.app.http_client.get(url, headers=headers, timeout=timeout) as answer:
            answer.raise_for_status()
            return cast(Json, json.loads(await answer.read()))


def operator_url(worker_url: str, web_port: int, operator_port: int) -> str:
    """A worker's operators' listener, from its canonical (citizens') URL: the same host, the
    operator port shifted as its web port is (every worker of a deployable shares settings)."""
    url = URL(worker_url)
    port = (url.port or web_port) - web_port + operator_port
    return str(url.with_port(port)).rstrip("/")
