"""When the legal clock next has something to say about a dossier (indexed by ``DueIndex``).

The timer used to look at every dossier of its partitions every tick: a year of dossiers is 1.5
million looks every 30 s. Each save now tells the index when the dossier next needs a check
(a due date, a supplement's last day, a handoff to send again, or the end of a finished
dossier's stay in the working table); the timer asks only for what is due
(``lienthong.domain.due_index``, shared with the agencies' timers over entries that wait).
"""

from __future__ import annotations

import datetime as dt

from lienthong.hub.state import DossierState


def next_check(
    state: DossierState, resend_after: dt.timedelta, retention: dt.timedelta
) -> dt.datetime | None:
    """The first moment the legal clock has something to say about ``state`` (see needs_check).

    A finished dossier is due when its retention in the working table is over (it moves to the
    archive). The moments are those after which ``needs_check`` turns true.
    """
    if state.phase == "awaiting_family":  # closes unclaimed; asks the database again meanwhile
        again = state.timeline[-1].at + resend_after if state.awaiting and state.timeline else None
        return min((m for m in (state.complete_by, again) if m is not None), default=None)
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
