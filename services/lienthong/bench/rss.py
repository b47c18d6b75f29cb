"""Resident memory of the stack's worker processes over time, sampled in a background thread."""

from __future__ import annotations

import time
from pathlib import Path

from lienthong.bench.background import Background
from lienthong.bench.measure import resident_mib


def rss_mib(pid: int) -> float | None:
    """The process's resident memory now (MiB); ``None`` when it no longer runs."""
    try:
        return resident_mib(Path(f"/proc/{pid}/status").read_text())
    except (OSError, ValueError):
        return None


class RssSampler(Background):
    """Every ``interval`` seconds, the RSS of each process in ``pids`` (label -> pid)."""

    def __init__(self, pids: dict[str, int], interval: float) -> None:
        super().__init__("rss", interval)
        self.pids = pids
        #: ``(seconds since the first sample, {label: MiB})``; a process that is gone is absent.
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._start: float | None = None

    def step(self) -> None:
        now = time.monotonic()
        self._start = now if self._start is None else self._start
        sizes = {label: rss_mib(pid) for label, pid in self.pids.items()}
        seen = {label: round(mib, 1) for label, mib in sizes.items() if mib is not None}
        self.samples.append((round(now - self._start, 2), seen))

    def series(self, label: str) -> list[tuple[float, float]]:
        """``(seconds, MiB)`` of one process."""
        return [(t, m[label]) for t, m in self.samples if label in m]
