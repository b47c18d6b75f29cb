"""A clock shared by separate processes: system time plus an offset kept in a file.

End-to-end tests run a week of legal time in seconds by moving the offset; every deployable
started with the same ``clock_offset_file`` setting sees the same legal time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lienthong.domain.calendar import Clock, SystemClock
from lienthong.settings import Settings


class OffsetFileClock:
    """System time shifted by the number of seconds written in a file (0 when absent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._offset = 0.0

    def _read(self) -> float:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return 0.0
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            text = self.path.read_text().strip()
            self._offset = float(text) if text else 0.0
            self._stamp = stamp
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._read())

    def advance(self, delta: timedelta) -> datetime:
        """Move legal time forward for every process reading this file."""
        offset = self._read() + delta.total_seconds()
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(f"{offset}\n")
        temporary.replace(self.path)
        return self.now()


def clock_for(settings: Settings) -> Clock:
    """The clock a deployable uses: the shared offset file when configured, else system time."""
    if settings.clock_offset_file is not None:
        return OffsetFileClock(settings.clock_offset_file)
    return SystemClock()
