"""Pure arithmetic of the benchmark: latency percentiles, memory growth, /proc parsing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The percentiles every mode reports.
QUANTILES = (50, 95, 99)


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) by nearest rank: a value that was observed.

    Nearest rank, not interpolation, so that a dossier that never finished (``inf``) makes
    the percentiles it reaches infinite instead of being averaged away.
    """
    if not 0 < q <= 100:
        raise ValueError(f"the percentile must be above 0 and at most 100, not {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Latencies:
    """Publish-to-final seconds of one run; ``None`` where the dossier never finished.

    Percentiles are over every published dossier, an unfinished one counting as infinitely
    late: a run that leaves 2 % of its dossiers open has no finite p99.
    """

    published: int
    finished: int
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None

    @classmethod
    def of(cls, seconds: Sequence[float | None]) -> Latencies:
        done = [s for s in seconds if s is not None]
        padded = [math.inf if s is None else s for s in seconds]
        p50, p95, p99 = (_finite(nearest_rank(padded, q)) for q in QUANTILES)
        mean = sum(done) / len(done) if done else None
        return cls(len(seconds), len(done), p50, p95, p99, mean)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def growth_share(samples: Sequence[tuple[float, float]], last: float = 0.2) -> float:
    """By which share a measure grew over the ``last`` fraction of the run's time.

    ``samples`` are ``(seconds, value)`` in time order. The share compares the last sample
    with the first one taken at or after the start of the last fraction: 0.03 means 3 %.
    """
    if len(samples) < 2:
        raise ValueError("growth needs at least two samples")
    if not 0 < last < 1:
        raise ValueError(f"the last fraction must be between 0 and 1, not {last}")
    first_t, end_t = samples[0][0], samples[-1][0]
    since = end_t - last * (end_t - first_t)
    start = next(v for t, v in samples if t >= since)
    return (samples[-1][1] - start) / start


def resident_mib(proc_status: str) -> float:
    """The resident set size (``VmRSS``) in MiB, from the text of ``/proc/<pid>/status``."""
    for line in proc_status.splitlines():
        if line.startswith("VmRSS:"):
            size, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"VmRSS in unexpected unit {unit!r}")
            return int(size) / 1024
    raise ValueError("no VmRSS line: the process has exited or is a kernel thread")


def rate_of(times: Sequence[float]) -> float:
    """Events per second achieved by events at ``times`` (seconds, in order)."""
    if len(times) < 2 or times[-1] <= times[0]:
        return math.nan
    return (len(times) - 1) / (times[-1] - times[0])
