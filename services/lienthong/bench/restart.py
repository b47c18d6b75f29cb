"""Restart mode: how soon a killed worker processes again, under a steady load.

Dossiers flow at a steady rate on a warmed-up stack. Each deployable's worker in turn is
killed (SIGKILL: no goodbye to its group) and started again at once. The figure is the time
from the kill to the first message that deployable publishes afterwards, read from the record
timestamps of its output topic (the hub's status topic, an agency's completion topic): a
message stamped after the kill can only come from the new worker. It covers the new process's
start, the group's rebalance (the dead member is dropped after the session timeout), the
recovery of its tables and its first decision. At the end every dossier must be final:
nothing was lost on the way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from kafka import TopicPartition

from lienthong import topics
from lienthong.bench.background import Background
from lienthong.bench.paced import running
from lienthong.bench.schedule import Schedule, keep
from lienthong.client import connect
from lienthong.runtime.app import SESSION_TIMEOUT_SECONDS
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings

#: Seconds of steady flow before each kill, so the previous restart's backlog is gone.
STEADY_SECONDS = 8.0
#: How long a restarted worker may take before the run calls it not back.
BACK_TIMEOUT = 120.0


def output_role(deployable: str) -> str:
    """The topic a deployable publishes its decisions on."""
    if deployable == "hub":
        return topics.STATUS
    return topics.completion(topics.STEPS_OF[deployable][0])


class OutputTimes(Background):
    """The timestamps of every record published on the deployables' output topics."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("output-times", interval=0.0)
        self.topic_of = {settings.topic(output_role(d)): d for d in topics.DEPLOYABLES}
        self.consumer = connect.consumer(settings, "bench-outputs", connect.PATIENT)
        parts = [TopicPartition(t, p) for t in self.topic_of for p in range(settings.partitions)]
        self.consumer.assign(parts)
        self.consumer.seek_to_end(*parts)
        self._lock = threading.Lock()
        self.stamps: dict[str, list[float]] = {d: [] for d in topics.DEPLOYABLES}

    def step(self) -> None:
        for tp, batch in self.consumer.poll(timeout_ms=200, max_records=5000).items():
            deployable = self.topic_of[tp.topic]
            with self._lock:
                self.stamps[deployable].extend(m.timestamp / 1000 for m in batch)

    def stopped(self) -> None:
        self.consumer.close()

    def first_after(self, deployable: str, moment: float) -> float | None:
        with self._lock:
            later = [t for t in self.stamps[deployable] if t > moment]
        return min(later, default=None)

    def wait_after(self, deployable: str, moment: float, timeout: float) -> float | None:
        """Seconds from ``moment`` to the deployable's first output after it (None: never)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first_after(deployable, moment)
            if found is not None:
                return round(found - moment, 2)
            time.sleep(0.2)
        return None


@dataclass(frozen=True)
class Restarted:
    deployable: str
    #: Seconds from the kill to its first output after it; None when it never came back.
    back_after_s: float | None


def restart(
    settings: Settings, stack: LocalStack, rate: float, seed: int, drain: float
) -> dict[str, Any]:
    """Kill and restart each deployable's worker in turn under ``rate`` dossiers a second."""
    order = list(topics.DEPLOYABLES)
    seconds = STEADY_SECONDS * (len(order) + 1) + BACK_TIMEOUT
    schedule = Schedule.for_seconds(rate, seconds)
    published: dict[str, float] = {}
    done = threading.Event()
    figures: list[Restarted] = []
    with running(settings, seed, drain) as run, OutputTimes(settings) as outputs:
        warm = run.warm_up()

        def publish(_: int) -> None:
            if not done.is_set():
                run.publish(published)

        feeder = threading.Thread(target=keep, args=(schedule, publish), daemon=True)
        feeder.start()
        try:
            for name in order:
                time.sleep(STEADY_SECONDS)
                worker = next(w for w in stack.workers if w.name == name)
                killed_at = time.time()
                stack.kill(worker)
                stack.spawn(name)
                back = outputs.wait_after(name, killed_at, BACK_TIMEOUT)
                figures.append(Restarted(name, back))
        finally:
            done.set()
            feeder.join()
        run.publisher.flush()
        run.finals.wait(published, drain)
        finished = sum(i in run.finals.at for i in published)
    return {
        "rate": rate,
        "warm_up_s": warm,
        "steady_s": STEADY_SECONDS,
        "session_timeout_s": SESSION_TIMEOUT_SECONDS,
        "restarts": [asdict(f) for f in figures],
        "published": len(published),
        "finished": finished,
    }
