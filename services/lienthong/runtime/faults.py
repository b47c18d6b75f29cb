"""Crash points: a worker that exits at a named step of the checkpoint, for tests only.

The crash-point test matrix makes one worker die at each step of the delivery order
(``runtime.checkpoint``) and checks that the restarted worker loses and doubles nothing. The
steps are named by what has just happened:

- ``decided``: a batch was handled; its state changes are staged, nothing written or sent;
- ``published``: the batch's outputs were sent and acknowledged;
- ``saved``: its staged state was written and each changelog write acknowledged;
- ``committed``: the consumer committed input offsets to the group.

The hub publishes, then saves; the agencies save, then publish: the same names, in the order
each runs them. Only batches of the deployable's own state count (a re-keying step's do not):
the nth reach is the seam of the deployable's decisions, whichever agent runs first.

The hook is armed only by the ``crash_at`` setting (``LIENTHONG_CRASH_AT=<point>:<nth>``), which
the settings refuse outside development mode. Armed, the worker exits with the point's own code
(:data:`EXIT_CODES`) the ``nth`` time it reaches that point, at once: no clean-up, no flush,
as if the machine had stopped. Unarmed, :func:`reached` costs one comparison.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: The crash points, in the order the hub reaches them (the agencies swap the middle two).
POINTS = ("decided", "published", "saved", "committed")
#: The exit code of a worker stopped at each point: distinct from each other and from the
#: codes a worker exits with otherwise (0, 1, 2, signals), so a test knows where it died.
EXIT_CODES = {point: 80 + index for index, point in enumerate(POINTS)}
#: What ``crash_at`` accepts: ``<point>:<nth>``, nth counted from 1.
SPEC = re.compile(rf"^({'|'.join(POINTS)}):([1-9][0-9]*)$")


@dataclass
class Armed:
    """Exit the ``nth`` time ``point`` is reached; ``seen`` counts the reaches so far."""

    point: str
    nth: int
    seen: int = 0


_armed: Armed | None = None


def parse(spec: str) -> Armed:
    """``"saved:2"`` -> Armed("saved", 2); a clear error naming the setting otherwise."""
    match = SPEC.match(spec.strip())
    if match is None:
        raise ValueError(
            f"crash_at: {spec!r} is not <point>:<nth> with a point among "
            f"{', '.join(POINTS)} and nth a whole number from 1"
        )
    return Armed(match.group(1), int(match.group(2)))


def arm(spec: str | None) -> None:
    """Arm the hook from the ``crash_at`` setting (None: disarm)."""
    global _armed
    _armed = None if spec is None else parse(spec)
    if _armed is not None:
        log.warning("crash point armed: exit at the %s reach of %r", _armed.nth, _armed.point)


def armed() -> Armed | None:
    return _armed


def reached(point: str, *, keeps_state: bool = True) -> None:
    """The worker just did ``point``; exit here if armed for it and this is the nth time.

    ``keeps_state=False``: a batch of a stateless step (a re-keying agent) did it; it is not
    counted, so the nth reach is always the deployable's own decisions, whichever agent runs
    first.
    """
    if _armed is None or not keeps_state:
        return
    if point not in EXIT_CODES:
        raise ValueError(f"unknown crash point {point!r}; one of {', '.join(POINTS)}")
    if point != _armed.point:
        return
    _armed.seen += 1
    if _armed.seen == _armed.nth:
        print(f"crash point {point} reached ({_armed.nth}): exiting", file=sys.stderr, flush=True)
        os._exit(EXIT_CODES[point])
