"""When each dossier got its final status, read from the status topic in a background thread."""

from __future__ import annotations

import time
from collections.abc import Collection

from lienthong.bench.background import Background
from lienthong.client.status import FINAL, StatusFollower
from lienthong.contracts.codec import HEADER_LEN, TOGETHER
from lienthong.errors import ContractError
from lienthong.settings import Settings


class FinalTimes(StatusFollower, Background):
    """The time of each dossier's first final status event (``DossierFinished``/``Rejected``).

    The time is the event's ``occurred_at``: when the hub decided, on its own clock (the
    same machine's as the publisher's). Unlike its parent it keeps no timelines: only final
    events are decoded (picked by their schema fingerprint, or carried in a ``DossierEvents``)
    and one float is kept per dossier, so a soak of 100,000 dossiers costs the load generator
    little.
    """

    def __init__(self, settings: Settings) -> None:
        StatusFollower.__init__(self, settings)
        Background.__init__(self, "final-times", interval=0.0)
        self.fingerprints = {
            fp
            for fp, entry in self.codec.catalogue.by_fingerprint.items()
            if entry.name in FINAL or entry.name == TOGETHER
        }
        self.at: dict[str, float] = {}

    def poll(self) -> int:
        """Read what is there now; returns how many dossiers became final."""
        added = 0
        for batch in self.consumer.poll(timeout_ms=200, max_records=2000).values():
            for message in batch:
                if message.value[2:HEADER_LEN] in self.fingerprints:
                    added += self._note(message.value)
        return added

    def _note(self, value: bytes) -> bool:
        try:
            finals = [d for d in self.codec.decode_all(value) if d.name in FINAL]
        except ContractError:
            self.undecodable += 1
            return False
        if not finals:
            return False
        meta = finals[0].record["meta"]
        dossier_id = str(meta["dossier_id"])
        if dossier_id in self.at:
            return False
        self.at[dossier_id] = meta["occurred_at"].timestamp()
        return True

    def step(self) -> None:
        self.poll()

    def stopped(self) -> None:
        self.close()

    def wait(self, ids: Collection[str], timeout: float) -> bool:
        """Wait until every dossier in ``ids`` is final or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not (done := all(i in self.at for i in ids)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return done
