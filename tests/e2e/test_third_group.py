"""A third procedure group, declared as one package outside the project (``tests/parcel_group``:
its declaration, rules, agencies' decisions and schemas) and named in ``LIENTHONG_GROUPS``, runs
through the real broker: the hub and its two agency deployables, built by the generic builder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.runtime.stack import LocalStack, settings_env
from lienthong.settings import Settings
from netports import free_ports, fresh_settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
TESTS = Path(__file__).resolve().parents[1]


def test_a_group_declared_outside_the_project_runs_through_the_broker(
    broker: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one call for every port the stack listens on: two calls may hand out the same port
    ports = free_ports(7)
    settings = fresh_settings(
        broker,
        tmp_path / "state",
        "pg",
        hub_web_port=ports[0],
        civil_registry_web_port=ports[1],
        residence_web_port=ports[2],
        health_insurance_web_port=ports[3],
        hub_operator_port=ports[4],
        public_base_url=f"http://127.0.0.1:{ports[0]}",
        extra_web_ports={"land-office": ports[5], "review-board": ports[6]},
    )
    # every process of the pipeline is told of the group; the package is importable
    monkeypatch.setenv("LIENTHONG_GROUPS", "parcel_group")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    names = ("hub", "land-office", "review-board")
    with LocalStack(settings, tmp_path / "logs", names=names).start():
        driver = subprocess.run(
            [sys.executable, "-m", "parcel_group.drive", "6"],
            env={**os.environ, **settings_env(settings)},
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert driver.returncode == 0, driver.stderr[-3000:]
    outcomes = json.loads(driver.stdout.strip().splitlines()[-1])
    assert len(outcomes) == 6
    for dossier_id, seen in outcomes.items():
        if "unbuildable" in seen["notes"]:
            assert seen["outcome"] == "PARTLY_COMPLETED", dossier_id
            assert seen["steps"] == {"parcel_request": "COMPLETED", "parcel_review": "REJECTED"}
        else:
            assert seen["outcome"] == "COMPLETED", dossier_id
            assert seen["steps"] == {"parcel_request": "COMPLETED", "parcel_review": "COMPLETED"}
