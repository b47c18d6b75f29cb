"""The crash-point matrix: a worker dies at each step of the checkpoint; nothing lost or doubled.

For each store (memory, RocksDB), each of the hub and civil registry (the agency that numbers
registrations), and each crash point of ``runtime.faults``: the deployable's worker is restarted
armed to exit at the point's first reach, a batch of dossiers is published, the worker must die
there (with the point's exit code: a point never reached fails the cell), it is restarted
unarmed, and every dossier must finish once, with no registration number given twice and no
event id announced with two different payloads.

The four deployables run once per store; a cell restarts only the deployable it crashes. Each
cell counts its own dossiers, so a cell that fails does not fail the ones after it, except for a
number given twice, which is checked over every registration the store's stack announced.

The matrix notices a change of order: with save and publish swapped in the checkpoint (the hub
saving first, the agencies publishing first), hub-saved loses dossiers and
civil-registry-published announces a registration two ways, on both stores. (The swapped code
must be the code the workers import: a branch's checkout with its own ``services`` on the
workers' path.) Beyond finishing, each finished dossier's receipt and the handing off of each of
its steps must have been announced.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import defaultdict
from collections.abc import Iterator

import pytest
from kafka_reading import read_topic
from test_reliability import _assert_one_registration_per_child, _tally

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime import faults
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from netports import fresh_settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

#: Dossiers a cell publishes: enough for several batches on every deployable.
DOSSIERS = 12
#: Seconds a worker has to reach its crash point, and the dossiers to finish after its restart.
#: A restarted worker recovers its tables first (RocksDB: longer on a loaded machine); a cell
#: whose dossiers never finish still fails, only later.
DIE_WITHIN, FINISH_WITHIN = 60.0, 240.0
CRASHED = ("hub", "civil-registry")
CELLS = [(name, point) for name in CRASHED for point in faults.POINTS]


@pytest.fixture(scope="module", params=["memory://", "rocksdb://"])
def stack(
    request: pytest.FixtureRequest, broker: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The four deployables on one store, shared by the cells of that store."""
    tmp = tmp_path_factory.mktemp("crash")
    # A worker's first batches after it starts are dropped as if revoked (its recovery still
    # counts as a rebalance) and read again once the partition is found stalled: soon here.
    settings = fresh_settings(
        broker, tmp / "state", "cp", store=request.param, reread_stalled_seconds=1.0
    )
    prepare_topics(settings)
    with LocalStack(settings, tmp / "logs") as running:
        yield running


@pytest.mark.parametrize(("name", "point"), CELLS, ids=[f"{n}-{p}" for n, p in CELLS])
def test_a_worker_dying_at_a_crash_point_loses_and_doubles_nothing(
    stack: LocalStack, name: str, point: str
) -> None:
    settings = stack.settings
    records = {
        str(item.record["meta"]["dossier_id"]): item.record
        for item in generate(
            DOSSIERS,
            seed=1000 + CELLS.index((name, point)),
            twins_share=0.1,
            start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            live=True,
        )
    }
    ids = list(records)
    for worker in [w for w in stack.workers if w.name == name]:
        stack.terminate(worker)
    armed = stack.spawn(name, extra_env={"LIENTHONG_CRASH_AT": f"{point}:1"})
    stack.wait_ready(90, (name,))
    with IntakePublisher(settings) as publisher:
        for record in records.values():
            publisher.submit(record, validate=False)
        publisher.flush()
    code = _exit_code(armed.process, DIE_WITHIN)
    stack.kill(armed)  # dead already (or killed here, the cell failed): forgotten by the stack
    assert code == faults.EXIT_CODES[point], (
        f"{name} was to exit at {point} with {faults.EXIT_CODES[point]}, not {code} "
        f"(None: still running after {DIE_WITHIN:.0f} s, the point never reached)"
    )
    stack.spawn(name)
    follower = StatusFollower(settings)
    try:
        follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), FINISH_WITHIN)
        lost, doubled, _ = _tally(settings, follower, ids, stack.log_dir)
        untold = _untold(follower, ids)
    finally:
        follower.close()
    assert lost == [], f"{len(lost)} of {len(ids)} dossiers never finished: {lost[:5]}"
    assert untold == [], f"announcements lost: {untold[:5]}"
    assert [d for d in doubled if d.split(":")[0] in records] == []
    assert _told_two_ways(settings, set(ids)) == []
    _assert_one_registration_per_child(settings)


#: Steps that finished without being handed off (decided at intake, or never started).
NOT_HANDED = {"NOT_STARTED", "NOT_APPLICABLE"}


def _untold(follower: StatusFollower, ids: list[str]) -> list[str]:
    """What a finished dossier's status story lacks: its receipt, or the handing off of a step
    that finished. A state saved before its announcements were acknowledged loses them for
    good: the input read again finds them done and announces nothing."""
    untold: list[str] = []
    for dossier_id in ids:
        timeline = follower.timelines.get(dossier_id)
        if timeline is None or timeline.final is None or timeline.final[0] != "DossierFinished":
            continue
        if not timeline.of("DossierReceived"):
            untold.append(f"{dossier_id}: DossierReceived")
        handed = {str(r["step"]) for r in timeline.of("StepHandedOff")}
        for outcome in timeline.final[1]["procedures"]:  # type: ignore[typeddict-item]
            if outcome["outcome"] not in NOT_HANDED and outcome["step"] not in handed:
                untold.append(f"{dossier_id}: StepHandedOff {outcome['step']}")
    return untold


def _exit_code(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The worker's exit code once it exits; None if it still runs after ``timeout``."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


#: The announcements whose every repeat must be the same message: (topic role, event names;
#: None: every event of the topic).
ANNOUNCED: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("completion.civil-registry", None),
    ("status", ("DossierFinished", "DossierRejected")),
)


def _told_two_ways(settings: Settings, ids: set[str]) -> list[str]:
    """Event ids of these dossiers published with more than one payload."""
    told: list[str] = []
    for role, names in ANNOUNCED:
        payloads: dict[str, set[bytes]] = defaultdict(set)
        for key, value, decoded in read_topic(settings, role):
            if decoded and (names is None or decoded.name in names) and key.decode() in ids:
                payloads[str(decoded.record["meta"]["event_id"])].add(value)
        told += [f"{role} {e}: {len(p)} payloads" for e, p in payloads.items() if len(p) > 1]
    return told
