"""The civil-registry worker is killed between an official's approval and its publish, once per
case: each approved birth is registered once (one completion event, one number), none is lost.

The worker is armed to exit at ``saved`` (the agencies save, then publish): the approval's
register entry is durable, its BirthRegistered not sent. Restarted, the worker reads the
command again, finds the case decided by it and publishes the same event (same id, same
number); the official's retry of the same click is answered the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from desk_client import AN, api, desk_settings, until, waiting
from kafka_reading import read_topic

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime import faults
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
CASES = 6
AGENCY = "civil-registry"


def _exit_code(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def answered(settings: Settings, command: dict[str, str]) -> dict[str, Any] | None:
    status, body = api(settings, AN, "/api/desk/case", command)
    assert status in (200, 202), body
    return dict(body) if status == 200 else None


def test_killing_the_agency_between_the_approval_and_its_publish_registers_each_birth_once(
    isolated: Settings, tmp_path: Path
) -> None:
    settings = desk_settings(isolated).model_copy(update={"reread_stalled_seconds": 1.0})
    prepare_topics(settings)
    births = generate(
        CASES,
        seed=2412,
        twins_share=0.0,
        start=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        live=True,
        combinations={("civil_registry", "health_insurance"): 1.0},
    )
    ids = {str(b.record["meta"]["dossier_id"]) for b in births}
    with LocalStack(settings, tmp_path / "logs") as stack:
        with IntakePublisher(settings) as publisher:
            for birth in births:
                publisher.submit(birth.record, validate=False)
        cases = until(lambda: waiting(settings, CASES))
        for case in cases:
            key = case["register_key"]
            claim = {"register_key": key, "action": "claim"}
            assert api(settings, AN, "/api/desk/case", claim)[0] == 200
            for worker in [w for w in stack.workers if w.name == AGENCY]:
                stack.terminate(worker)
            armed = stack.spawn(AGENCY, extra_env={"LIENTHONG_CRASH_AT": "saved:1"})
            stack.wait_ready(90, (AGENCY,))
            approve = {"register_key": key, "action": "approve", "command": str(uuid.uuid4())}
            status, _ = api(settings, AN, "/api/desk/case", approve)
            assert status == 202  # no answer: the worker died before publishing anything
            code = _exit_code(armed.process, 60)
            stack.kill(armed)
            assert code == faults.EXIT_CODES["saved"], code
            stack.spawn(AGENCY)
            stack.wait_ready(90, (AGENCY,))
            # the official clicks again (the same command) until the agency answers
            body = until(functools.partial(answered, settings, approve), 90)
            assert body["case"]["state"] == "approved"
        follower = StatusFollower(settings)
        try:
            follower.wait_until(lambda _: len(follower.finished(ids)) == len(ids), 120)
            assert sorted(follower.finished(ids)) == sorted(ids)
        finally:
            follower.close()
    registered: dict[str, set[str]] = defaultdict(set)
    numbers: dict[str, set[str]] = defaultdict(set)
    for _, _, decoded in read_topic(settings, f"completion.{AGENCY}"):
        if decoded is not None and decoded.name == "BirthRegistered":
            dossier = str(decoded.record["meta"]["dossier_id"])
            registered[dossier].add(str(decoded.record["meta"]["event_id"]))
            numbers[dossier].add(str(decoded.record["registration_number"]))
    assert set(registered) == ids
    assert all(len(events) == 1 for events in registered.values()), registered
    assert all(len(n) == 1 for n in numbers.values()), numbers
    assert len({n for ns in numbers.values() for n in ns}) == CASES
