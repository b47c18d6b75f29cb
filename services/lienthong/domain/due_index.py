"""Keys by the moment they next need attention: a heap with lazy deletion.

A timer that looked at every entry of its tables each tick would cost a year of entries every
tick; each save tells the index when its key is next due instead, and the timer takes only what
is due. The index lives in the worker's memory and is rebuilt from the table once after the
worker's partitions change (``stale``).
"""

from __future__ import annotations

import datetime as dt
import heapq


class DueIndex:
    """Keys (dossier ids, certificate codes) by when they next need a check."""

    #: Replaced entries tolerated in the heap beyond twice the live ones.
    SLACK = 1024

    def __init__(self) -> None:
        self._heap: list[tuple[dt.datetime, str]] = []
        self._when: dict[str, dt.datetime] = {}
        #: Set when the worker's partitions change: the next tick rebuilds from the table.
        self.stale = True

    def __len__(self) -> int:
        return len(self._when)

    def schedule(self, key: str, when: dt.datetime | None) -> None:
        """The key's next check (``None``: nothing to check any more)."""
        if when is None:
            self._when.pop(key, None)
            return
        if self._when.get(key) == when:
            return
        self._when[key] = when
        heapq.heappush(self._heap, (when, key))
        if len(self._heap) > 2 * len(self._when) + self.SLACK:
            self._compact()

    def _compact(self) -> None:
        """Drop the entries a later schedule replaced (amortised: at most once per ``SLACK``).

        A dossier is scheduled anew at each step (a due date days away, then its retention);
        without this, each replaced moment would stay in the heap until that moment came.
        """
        self._heap = [(when, key) for key, when in self._when.items()]
        heapq.heapify(self._heap)

    def due(self, now: dt.datetime) -> list[str]:
        """Keys whose check is due, taken out of the index (their next save puts them back)."""
        found: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            when, key = heapq.heappop(self._heap)
            if self._when.get(key) == when:
                del self._when[key]
                found.append(key)
        return found

    def clear(self) -> None:
        self._heap.clear()
        self._when.clear()
