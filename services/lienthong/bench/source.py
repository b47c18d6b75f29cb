"""Fresh synthetic dossiers without end, generated ahead in a background thread.

A soak of 100,000 dossiers generated at once would take the load generator a minute and
half a gigabyte; generated in chunks, a little ahead of the schedule, it costs neither.
Each chunk has its own seed; a dossier whose id or birth certificate an earlier chunk
already used is left out, so every dossier is a new birth, as in the burst mode.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterator

from lienthong.groups.birth.synthetic import Synthetic, generate

#: Dossiers per generated chunk: about a quarter of a second of generating.
CHUNK = 500
#: Share of dossiers broken on purpose (refused at intake), as in the burst mode.
INVALID_SHARE = 0.05


def fresh(chunks: Iterator[list[Synthetic]]) -> Iterator[Synthetic]:
    """The dossiers of ``chunks``, leaving out any whose id or certificate was seen before."""
    ids: set[str] = set()
    certificates: set[str] = set()
    for chunk in chunks:
        for item in chunk:
            dossier_id = str(item.record["meta"]["dossier_id"])
            certificate = str(item.record["birth_certificate"]["code"])
            if dossier_id in ids or certificate in certificates:
                continue
            ids.add(dossier_id)
            certificates.add(certificate)
            yield item


def chunks(seed: int) -> Iterator[list[Synthetic]]:
    """Chunks of live dossiers (submitted in the last minutes), seeds ``seed``, ``seed + 1``..."""
    number = 0
    while True:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=CHUNK + 60)
        yield generate(
            CHUNK, seed=seed + number, invalid_share=INVALID_SHARE, start=start, live=True
        )
        number += 1


class DossierSource:
    """Hands out fresh dossiers; a thread keeps a few chunks generated ahead."""

    def __init__(self, seed: int, ahead: int = 3 * CHUNK) -> None:
        self._ready: queue.Queue[Synthetic] = queue.Queue(maxsize=ahead)
        self._thread = threading.Thread(
            target=self._fill, args=(fresh(chunks(seed)),), name="dossiers", daemon=True
        )
        self._thread.start()

    def _fill(self, items: Iterator[Synthetic]) -> None:
        for item in items:
            self._ready.put(item)

    def take(self, count: int) -> list[Synthetic]:
        """The next ``count`` dossiers (waits while they are generated)."""
        return [self._ready.get() for _ in range(count)]

    def next(self) -> Synthetic:
        return self._ready.get()
