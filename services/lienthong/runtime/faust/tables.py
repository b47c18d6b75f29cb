"""A faust table that tells who listens of each changelog write it hands to the producer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust

#: Told of each changelog write: the future the broker's acknowledgement resolves.
ChangelogListener = Callable[["asyncio.Future[Any]"], None]


class TrackedTable(faust.Table[Any, Any]):
    """faust's table, whose changelog writes can be awaited by who staged them.

    faust hands a table write to its producer's buffer and forgets it; its flush returns while a
    write is still being handed to the client, or after 0.1 s of waiting. A counter whose write was
    lost that way, after its number was announced and its offset committed, gives the number
    again. ``runtime.staged.StagedTable`` listens here and awaits every write before it lets a
    batch's outputs or offsets go.

    Overrides ``Collection.send_changelog`` (public, but a hook faust calls for each write),
    checked on faust-streaming 0.15.3. No upstream issue names the early flush (faust PR #273
    added a flush before commits, which is the part that returns early); why: the tests
    ``test_checkpoint.py::test_agencies_announce_only_what_the_broker_acknowledged_saving`` and
    ``test_faust_adapter.py::test_a_tracked_table_tells_its_listener_of_each_changelog_write``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changelog_listener: ChangelogListener | None = None

    def track_changelog(self, listener: ChangelogListener) -> None:
        """Tell ``listener`` of each changelog write from now on."""
        self.changelog_listener = listener

    def send_changelog(self, *args: Any, **kwargs: Any) -> Any:
        sent = super().send_changelog(*args, **kwargs)
        if self.changelog_listener is not None and isinstance(sent, asyncio.Future):
            self.changelog_listener(sent)
        return sent
