"""An agency endpoint that refuses everything: past the give-up horizon each handoff becomes a
dead letter with the endpoint's last answer, the alert's counter moves, the agencies on Kafka
are not held up; once the endpoint is back, `webhooks redeliver` sends each again under its
first webhook-id and the dossiers finish."""

from __future__ import annotations

import datetime as dt
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_reading import read_topic
from webhook_agency import Agency, behind_the_bridge

from lienthong.bridge.redelivery import failed, redeliver
from lienthong.client import IntakePublisher
from lienthong.client.batch import push_through
from lienthong.client.deadletters import read_dead_letters
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261209


@pytest.fixture
def refusing(isolated: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Agency, LocalStack]]:
    with behind_the_bridge(
        isolated,
        tmp_path,
        {"failing": 10**9, "slow_seconds": 0.0},
        webhook_retry_base_seconds=0.2,
        webhook_retry_max_seconds=0.5,
        webhook_give_up_seconds=3.0,
    ) as refusing:
        yield refusing


def test_a_refusing_endpoint_ends_in_dead_letters_that_can_be_redelivered(
    refusing: tuple[Settings, Agency, LocalStack],
) -> None:
    settings, agency, _ = refusing
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    items = generate(3, seed=SEED, start=now, live=True, twins_share=0.0)
    with IntakePublisher(settings) as publisher:
        for item in items:
            publisher.submit(item.record, validate=False)
    deadline = time.monotonic() + 90
    letters = []
    while time.monotonic() < deadline:
        letters = failed(read_dead_letters(settings))
        handed = {w for w in agency.arrivals}
        if handed and len(letters) >= len(handed):
            break
        time.sleep(1)
    handed = set(agency.arrivals)
    assert handed and len(letters) == len(handed)
    assert all("last answer: 500" in e.record["reason"] for e in letters)
    assert {e.record["headers"]["webhook-id"].decode() for e in letters} == handed
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{settings.bridge_web_port}/metrics")
    text = metrics.read().decode()
    gave_up = f'lienthong_webhook_gave_up_total{{agency="residence"}} {float(len(handed))}'
    assert gave_up in text
    assert 'lienthong_webhook_failures_total{agency="residence",status="500"}' in text
    # the other agencies, on Kafka, answered meanwhile
    insured = [d for _, _, d in read_topic(settings, "completion.health-insurance") if d]
    asked = [i for i in items if i.record.get("health_insurance")]
    assert asked and len(insured) == len(asked)

    agency.failing = 0  # the endpoint is back
    tried = len(agency.arrivals)
    for entry in letters:
        redeliver(settings, letters, entry.position)
    result = push_through(settings, items, timeout=120)
    assert result.still_open() == []
    assert set(agency.arrivals[tried:]) == handed  # under their first webhook-ids
    assert set(agency.applied) == handed and all(n == 1 for n in agency.applied.values())
