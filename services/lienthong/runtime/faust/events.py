"""faust's current event, read and set for the table writes of a batch."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

from faust import streams as faust_streams


def current_event() -> Any:
    """The event faust's stream is handling now (None outside a stream)."""
    return faust_streams.current_event()


@contextlib.contextmanager
def as_current(event: Any) -> Iterator[None]:
    """Make ``event`` faust's current event while a table is written for it.

    faust picks a table write's changelog partition from the current event (a context variable
    its streams set as they iterate; ``_send_changelog`` refuses a write without one). A batch is
    made durable after the stream has moved on, so each write names the event it belongs to;
    ``None`` leaves the variable as it is.

    Sets faust's private ``faust.streams._current_event`` (checked on faust-streaming 0.15.3; no
    public setter exists, and no upstream issue asks for one: faust PR #522 removed a background
    flush for the same reason, no event in scope); shown by
    ``test_faust_adapter.py::test_a_write_made_as_an_event_goes_to_that_events_partition``.
    """
    if event is None:
        yield
        return
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)
