"""No stall on new topics: workers started at once with the topics' creation, under load.

Before, a consumer that subscribed to topics created an instant earlier ignored them until its
next metadata refresh (five minutes): every dossier waited, then finished all at once.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from netports import fresh_settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
DOSSIERS = 100
#: The first dossier is final this soon after the workers consume.
FIRST_FINAL_SECONDS = 15.0


def test_fresh_topics_do_not_stall_the_first_dossier(broker: Settings, tmp_path: Path) -> None:
    settings = fresh_settings(
        broker,
        tmp_path / "state",
        "st",
    )
    records = [
        item.record
        for item in generate(
            DOSSIERS,
            seed=7,
            twins_share=0.0,
            start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            live=True,
        )
    ]
    ids = {str(r["meta"]["dossier_id"]) for r in records}
    # No topic exists: each worker creates what is missing as it starts, all at the same time.
    with LocalStack(settings, tmp_path / "logs", names=()) as stack:
        for name in ("hub", "civil-registry", "residence", "health-insurance"):
            stack.spawn(name)
        _wait_for_intake(settings)
        with IntakePublisher(settings) as publisher:
            for record in records:
                publisher.submit(record, validate=False)
            publisher.flush()
        stack.wait_ready(120)
        ready = time.monotonic()
        follower = StatusFollower(settings)
        try:
            first = None
            while time.monotonic() - ready < 60:
                follower.poll()
                done = {i for i in ids if (t := follower.timelines.get(i)) and t.final}
                if done and first is None:
                    first = time.monotonic() - ready
                if done == ids:
                    break
                time.sleep(0.2)
        finally:
            follower.close()
        assert first is not None, "no dossier finished within 60 s of the workers consuming"
        assert first <= FIRST_FINAL_SECONDS, f"the first dossier took {first:.1f} s"
        assert done == ids, f"{len(ids - done)} of {DOSSIERS} not final after 60 s"


def _wait_for_intake(settings: Settings) -> None:
    """Publish only into the topic the workers created (else the broker makes its own)."""
    consumer = KafkaConsumer(**settings.kafka_client_options())
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(settings.topic("intake"))
            if parts and len(parts) == settings.partitions:
                return
            time.sleep(0.1)
    finally:
        consumer.close()
    raise AssertionError("no worker created the intake topic")
