"""When the legal clock next has something to say about a dossier, and an index by that time.

The timer used to look at every dossier of its partitions every tick: a year of dossiers is 1.5
million looks every 30 s. Each save now tells the index when the dossier next needs a check
(a due date, a supplement's last day, a handoff to send again, or the end of a finished
dossier's stay in the working table); the timer asks only for what is due. The index lives in
the worker's memory: it is rebuilt from the table, once, after the worker's partitions change.
"""

from __future__ import annotations

import datetime as dt
import heapq

from lienthong.hub.state import DossierState


def next_check(
    state: DossierState, resend_after: dt.timedelta, retention: dt.timedelta
) -> dt.datetime | None:
    """The first moment the legal clock has something to say about ``state`` (see needs_check).

    A finished dossier is due when its retention in the working table is over (it moves to the
    archive). The moments are those after which ``needs_check`` turns true.
    """
    if state.phase != "open":
        finished = state.finished_at
        return finished + retention if finished is not None else None
    moments: list[dt.datetime] = []
    for step_state in state.steps.values():
        if step_state.phase == "supplement" and step_state.respond_by:
            moments.append(step_state.respond_by)
        if step_state.phase != "handed_off":
            continue
        if step_state.handoff_cause and step_state.sent_at and not step_state.awaiting:
            moments.append(step_state.sent_at + resend_after)
        due = step_state.effective_due
        if due is not None and step_state.overdue_notified_for != due:
            moments.append(due)
    return min(moments) if moments else None


class DueIndex:
    """Dossier ids by the time they next need a check (a heap with lazy deletion)."""

    def __init__(self) -> None:
        self._heap: list[tuple[dt.datetime, str]] = []
        self._when: dict[str, dt.datetime] = {}
        #: Set when the worker's partitions change: the next tick rebuilds from the table.
        self.stale = True

    def __len__(self) -> int:
        return len(self._when)

    def schedule(self, dossier_id: str, when: dt.datetime | None) -> None:
        """The dossier's next check (``None``: nothing to check any more)."""
        if when is None:
            self._when.pop(dossier_id, None)
            return
        if self._when.get(dossier_id) == when:
            return
        self._when[dossier_id] = when
        heapq.heappush(self._heap, (when, dossier_id))

    def due(self, now: dt.datetime) -> list[str]:
        """Dossiers whose check is due, taken out of the index (their next save puts them back)."""
        found: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            when, dossier_id = heapq.heappop(self._heap)
            if self._when.get(dossier_id) == when:
                del self._when[dossier_id]
                found.append(dossier_id)
        return found

    def clear(self) -> None:
        self._heap.clear()
        self._when.clear()
