"""One step of each group (birth: residence; death: residence deregistration) answered by an
agency without Kafka: the bridge delivers each handoff over HTTPS to a real receiver that
verifies the signatures with its own code, fails (500, then too slow) for a while, then takes
them; its answers come back through the completion API. Every dossier finishes, each handoff
is applied once, and the webhook answers (not our residence processor) decided the step."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_reading import read_topic
from webhook_agency import (
    SECRET,
    STEPS,
    Agency,
    behind_the_bridge,
    of_webhook_steps,
)
from webhook_receiver import answer_step

from lienthong.client.batch import push_through
from lienthong.contracts.codec import Decoded
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.groups.death.synthetic import COMBINATIONS, death_dossier
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.topics import BRIDGE

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
SEED = 20261207
DELIVERED = 'lienthong_webhook_deliveries_total{agency="residence"}'


@pytest.fixture
def agency_and_stack(
    isolated: Settings, tmp_path: Path
) -> Iterator[tuple[Settings, Agency, LocalStack]]:
    with behind_the_bridge(
        isolated,
        tmp_path,
        {},
        webhook_timeout_seconds=1.0,
        webhook_retry_base_seconds=0.2,
        webhook_retry_max_seconds=1.0,
    ) as (settings, agency, stack):
        # a second bridge worker: the completion API passes requests to the dossier's owner
        stack.spawn(BRIDGE, 1)
        for worker in (0, 1):
            consuming(settings.bridge_web_port + 100 * worker)
        yield settings, agency, stack


def consuming(port: int, timeout: float = 120.0) -> None:
    """Wait until the bridge worker on ``port`` is in its group with its partitions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/ready").status == 200:
                return
        except OSError:  # not listening yet, or 503: not consuming yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"the bridge worker on port {port} is not consuming")


def answers_through_webhooks(settings: Settings) -> list[Decoded]:
    """The completions of the steps the agency answers through the bridge (the residence
    deployable's other steps are answered by our processor)."""
    read = read_topic(settings, "completion.residence")
    return [d for _, _, d in read if d and of_webhook_steps(d.name, d.record)]


def test_an_agency_without_kafka_answers_its_steps_through_webhooks(
    agency_and_stack: tuple[Settings, Agency, LocalStack],
) -> None:
    settings, agency, _ = agency_and_stack
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    births = generate(4, seed=SEED, start=now, live=True, twins_share=0.0)
    deaths = [
        death_dossier(i, procedures=COMBINATIONS[0], submitted_at=now, seed=SEED) for i in range(3)
    ]
    items = [*births, *(Synthetic(d) for d in deaths)]
    result = push_through(settings, items, timeout=180)
    assert result.still_open() == []

    # the receiver failed first (500, then timed out), and was sent the same ids again
    assert len(agency.arrivals) > len(agency.applied) >= 1
    assert all(count == 1 for count in agency.applied.values()), agency.applied
    assert set(agency.arrivals) == set(agency.applied)  # nothing given up, nothing lost
    assert all(status == 202 for status, _ in agency.answers), agency.answers

    completions = answers_through_webhooks(settings)
    steps_answered = {str(d.record["meta"]["causation_id"]) for d in completions}
    assert steps_answered == set(agency.forms)  # one answer per handoff, each the receiver's
    assert len(completions) == len(agency.forms)
    for decoded in completions:
        if "confirmation_ref" in decoded.record:
            assert decoded.record["confirmation_ref"].startswith("WH-")

    # both bridge workers delivered: each answer for the other's dossiers was passed on to it
    for port in (settings.bridge_web_port, settings.bridge_web_port + 100):
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        (line,) = [t for t in text.splitlines() if t.startswith(DELIVERED)]
        assert float(line.split()[-1]) >= 1, (port, line)

    # the completion forms, generated from the Avro schemas, as the bridge serves them
    forms = f"{agency.bridge_url}/webhooks/v1/forms/ResidenceRegistered"
    schema = json.loads(urllib.request.urlopen(forms).read())
    assert schema["properties"]["registered_on"]["format"] == "date"

    # the same idempotency key again: the first answer, and nothing new published
    webhook_id = next(iter(agency.forms))
    dossier, step, form = agency.forms[webhook_id]
    again = answer_step(agency.bridge_url, "residence", SECRET, dossier, step, form, webhook_id)
    assert again == agency.answers[0] or again[0] == 202
    after = answers_through_webhooks(settings)
    assert len(after) == len(completions)
    kinds = {d.name for d in completions}
    assert {"ResidenceRegistered", "ResidenceDeregistered"} <= kinds, kinds
    assert {s for _, s, _ in agency.forms.values()} == set(STEPS)
