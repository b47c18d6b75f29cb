"""The one place that reads or overrides faust's private parts; it refuses an untested faust.

Our delivery promise (nothing lost, nothing doubled) rests on a few of faust's internals that no
public API exposes. Every one of them is used in this package and nowhere else (a unit test,
``tests/unit/test_faust_adapter.py``, scans the source for them). Each use names, where it is made,
the faust-streaming version it was checked on, the upstream issue it works around and the test
that shows why:

- ``offsets``: the consumer's offset bookkeeping (``_new_offset``, ``_add_gap``, ``_acked``,
  ``_acked_index``, ``_committed_offset``, ``_unacked_messages``, ``_read_offset``, ``_thread``),
  replaced so a commit never passes an unhandled message (faust issue #606);
- ``app``: the app's transport factory (``_new_transport``), its consumer and producer read
  without creating them (``_consumer``, ``_producer``, ``_monitor``);
- ``waiting``: the producer's and the consumer thread's aiokafka clients (``_producer``,
  ``_consumer``, the thread made by ``_new_consumer_thread``), dropped after a start that
  reached no broker, so the start is tried again instead of ending the worker;
- ``tables``: each table's changelog write (``send_changelog``, a public name, overridden) kept
  until the broker acknowledged it;
- ``events``: faust's current event (``faust.streams._current_event``), set while a batch's
  state is written, so each write goes to its own event's changelog partition.

``transports`` says which faust transport the adapter runs on (aiokafka's ``kafka://``) and why
it refuses ``confluent://`` on this release (the ``LIENTHONG_TRANSPORT`` setting).

A faust-streaming release not in :data:`TESTED_VERSIONS` may have renamed or changed any of them
and would break delivery silently: importing this package refuses it. To accept a new release,
run the unit tests named above, the end-to-end and chaos tests against it, then add it here.
"""

from __future__ import annotations

from importlib import metadata

#: The faust-streaming releases the adapter was checked on (unit, end-to-end and chaos tests).
TESTED_VERSIONS: tuple[str, ...] = ("0.15.3",)

#: faust's private names (and the public hook we override) that only this package may touch.
PRIVATE_NAMES: frozenset[str] = frozenset(
    {
        "_acked",
        "_acked_index",
        "_add_gap",
        "_committed_offset",
        "_consumer",
        "_current_event",
        "_monitor",
        "_new_consumer_thread",
        "_new_offset",
        "_new_transport",
        "_producer",
        "_read_offset",
        "_thread",
        "_unacked_messages",
        "send_changelog",
    }
)


class UntestedFaust(RuntimeError):
    """The installed faust-streaming is not one the adapter was checked on."""


def check_version(found: str, tested: tuple[str, ...] = TESTED_VERSIONS) -> None:
    """Refuse a faust-streaming release the adapter was not tested on, saying what to do."""
    if found in tested:
        return
    raise UntestedFaust(
        f"faust-streaming {found} is installed, but lienthong.runtime.faust was tested only on "
        f"{', '.join(tested)}: it relies on faust's private internals "
        f"({', '.join(sorted(PRIVATE_NAMES))}), "
        "which a new release may change without notice, silently breaking delivery. Install a "
        "tested release, or run the unit, end-to-end and chaos tests on this one and add it "
        "to TESTED_VERSIONS."
    )


check_version(metadata.version("faust-streaming"))
