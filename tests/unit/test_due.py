"""The legal clock's index: when a dossier next needs a check, and finding only those due."""

from __future__ import annotations

import datetime as dt

import pytest

from lienthong.domain.due_index import DueIndex
from lienthong.hub.detours import needs_check
from lienthong.hub.due import next_check
from lienthong.hub.state import DossierState, StepState

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
RESEND = dt.timedelta(minutes=10)
RETENTION = dt.timedelta(days=7)
H = dt.timedelta(hours=1)


def state(**steps: StepState) -> DossierState:
    return DossierState(dossier_id="D-1", group="birth", steps=steps)


CASES = {
    "handed off, due in a day": state(
        residence=StepState(phase="handed_off", due_at=T0 + 24 * H, sent_at=T0)
    ),
    "handed off, unanswered (to resend)": state(
        residence=StepState(phase="handed_off", due_at=T0 + 24 * H, sent_at=T0, handoff_cause="c")
    ),
    "overdue already told": state(
        residence=StepState(
            phase="handed_off", due_at=T0 + H, overdue_notified_for=T0 + H, sent_at=T0
        )
    ),
    "extended": state(
        residence=StepState(
            phase="handed_off",
            due_at=T0 + H,
            extended_due_at=T0 + 5 * H,
            overdue_notified_for=T0 + H,
        )
    ),
    "supplement": state(
        residence=StepState(phase="supplement", respond_by=T0 + 3 * H, due_at=T0 + H)
    ),
    "all done": state(residence=StepState(phase="completed", due_at=T0 + H)),
}


@pytest.mark.parametrize("name", CASES)
def test_next_check_is_when_needs_check_turns_true(name: str) -> None:
    s = CASES[name]
    when = next_check(s, RESEND, RETENTION)
    for minutes in range(0, 48 * 60, 7):
        now = T0 + dt.timedelta(minutes=minutes)
        if needs_check(s, now, RESEND):
            assert when is not None and when <= now, f"{name}: needed at {now}, index says {when}"
    if when is not None:
        after = when + dt.timedelta(seconds=1)
        assert needs_check(s, after, RESEND), f"{name}: due at {when} but no check needed"


def test_a_finished_dossier_is_due_when_its_retention_ends() -> None:
    s = DossierState(dossier_id="D-1", group="birth", phase="finished", finished_at=T0)
    assert next_check(s, RESEND, RETENTION) == T0 + RETENTION
    assert not needs_check(s, T0 + 2 * RETENTION, RESEND)  # archiving is not the clock's work


def test_the_index_gives_only_what_is_due_once() -> None:
    index = DueIndex()
    index.schedule("A", T0 + H)
    index.schedule("B", T0 + 2 * H)
    index.schedule("A", T0 + 3 * H)  # rescheduled later: the old time is forgotten
    index.schedule("C", T0)
    index.schedule("C", None)  # nothing to check any more
    assert index.due(T0 + H) == []
    assert index.due(T0 + 2 * H) == ["B"]
    assert index.due(T0 + 2 * H) == []
    assert index.due(T0 + 4 * H) == ["A"]
    assert len(index) == 0


def test_an_archived_dossier_keeps_its_page_not_its_submission() -> None:
    s = DossierState(dossier_id="D-1", group="birth", phase="finished", submission="x" * 5000)
    for n in range(64):
        s.remember(f"e{n}")
    kept = DossierState.model_validate(s.archived())
    assert kept.submission == "" and kept.seen == [f"e{n}" for n in range(56, 64)]
    assert kept.model_dump(exclude={"submission", "seen"}) == s.model_dump(
        exclude={"submission", "seen"}
    )


def test_moments_replaced_by_later_schedules_do_not_pile_up() -> None:
    # Each dossier is scheduled again at each step, for a moment days away; the heap kept
    # every replaced moment until it came (a soak's hub grew with it).
    index = DueIndex()
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    for n in range(20_000):
        for step in range(4):
            index.schedule(f"D{n}", start + dt.timedelta(days=10 - step, seconds=n))
    assert len(index) == 20_000
    assert len(index._heap) <= 2 * len(index) + DueIndex.SLACK
    due = index.due(start + dt.timedelta(days=30))
    assert sorted(due) == sorted(f"D{n}" for n in range(20_000)), "each once, at its last moment"
    assert len(index) == 0
