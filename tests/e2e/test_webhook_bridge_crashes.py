"""The bridge killed during deliveries, again and again (SIGKILL at random moments and at each
crash point of its checkpoint): each handoff still reaches the agency under one webhook-id, is
applied once, and each answer is published as one completion event."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_reading import read_topic
from webhook_agency import (
    Agency,
    behind_the_bridge,
    of_webhook_steps,
)

from lienthong.client import IntakePublisher
from lienthong.client.batch import push_through
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.runtime.faults import EXIT_CODES
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.topics import BRIDGE

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261208
#: Crash points of the bridge's checkpoint, then plain kills at random moments.
ROUNDS = ("decided:1", "saved:2", "published:2", None, None, None)
#: New dossiers (each with a residence step) per round.
EACH = 4


@pytest.fixture
def running(isolated: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Agency, LocalStack]]:
    with behind_the_bridge(
        isolated,
        tmp_path,
        {"failing": 0},
        webhook_retry_base_seconds=0.2,
        webhook_retry_max_seconds=1.0,
    ) as running:
        yield running


def test_killing_the_bridge_during_deliveries_loses_and_doubles_nothing(
    running: tuple[Settings, Agency, LocalStack],
) -> None:
    settings, agency, stack = running
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    born = generate(2 * EACH * len(ROUNDS), seed=SEED, start=now, live=True, twins_share=0.0)
    items = [i for i in born if "residence" in i.record["procedures"]][: EACH * len(ROUNDS)]
    assert len(items) == EACH * len(ROUNDS)
    rng = random.Random(SEED)

    def submit(fresh: list[Synthetic]) -> None:
        with IntakePublisher(settings) as publisher:
            for item in fresh:
                publisher.submit(item.record, validate=False)

    for n, spec in enumerate(ROUNDS):  # new dossiers each round: deliveries under way
        fresh = items[EACH * n : EACH * (n + 1)]
        bridge = next(w for w in stack.workers if w.name == BRIDGE)
        if spec is None:  # killed at a random moment of its deliveries
            submit(fresh)
            time.sleep(rng.uniform(0.3, 1.5))
            stack.kill(bridge)
            stack.spawn(BRIDGE)
            continue
        stack.kill(bridge)
        submit(fresh)
        armed = stack.spawn(BRIDGE, extra_env={"LIENTHONG_CRASH_AT": spec})
        deadline = time.monotonic() + 60
        while armed.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert armed.process.poll() == EXIT_CODES[spec.split(":")[0]], spec
        stack.kill(armed)
        stack.spawn(BRIDGE)
    stack.wait_ready(90, (BRIDGE,))

    result = push_through(settings, items, timeout=240)  # the same ids again: ignored
    assert result.still_open() == []

    handoffs = {
        str(d.record["meta"]["event_id"])
        for _, _, d in read_topic(settings, "handoff.residence")
        if d and d.name == "ResidenceHandoff"
    }
    assert handoffs and set(agency.arrivals) == handoffs  # each under its one webhook-id
    assert set(agency.applied) == handoffs and all(n == 1 for n in agency.applied.values())
    completions = [
        d
        for _, _, d in read_topic(settings, "completion.residence")
        if d and of_webhook_steps(d.name, d.record)
    ]
    per_handoff = Counter(str(d.record["meta"]["causation_id"]) for d in completions)
    assert set(per_handoff) == handoffs
    ids = {str(d.record["meta"]["event_id"]) for d in completions}
    assert len(ids) == len(handoffs)  # one completion event per handoff (a resend has its id)
