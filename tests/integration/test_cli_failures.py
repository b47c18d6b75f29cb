"""Every command fails in one clear line, with a non-zero exit status and no traceback.

The broker is "down" by pointing the commands at a loopback port nobody listens on; they run as
real processes (``python -m lienthong``), as a user types them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from lienthong.groups.birth.model import to_json
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import settings_env
from lienthong.settings import SOURCE_ROOT, Settings
from netports import free_ports

#: Commands that need the broker; each must give up within this many seconds.
GIVE_UP_SECONDS = 30.0


def _env(extra: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    return {**clean, "PYTHONPATH": str(SOURCE_ROOT / "services"), "COLUMNS": "200", **extra}


def _dossier_file(tmp_path: Path) -> Path:
    import datetime as dt

    (item,) = generate(1, seed=3, start=dt.datetime.now(dt.UTC), live=True)
    path = tmp_path / "d.json"
    path.write_text(json.dumps([to_json(item.record)], default=str), encoding="utf-8")
    return path


def test_every_command_says_one_line_when_the_broker_is_down(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    address = f"127.0.0.1:{port}"
    env = _env({"LIENTHONG_BOOTSTRAP_SERVERS": address, "LIENTHONG_STATE_DIR": str(tmp_path)})
    file = str(_dossier_file(tmp_path))
    commands = [
        ["status", "DVC-2026-000001-abcd"],
        ["status", "TN-DVC-2026-000001-abcd", "--link"],
        ["submit", file],
        ["withdraw", "DVC-2026-000001-abcd"],
        ["receipt", "TN-DVC-2026-000001-abcd"],
        ["deadletters", "list"],
        ["deadletters", "show", "0:1"],
        ["deadletters", "replay", "--all"],
        ["topics"],
    ]
    began = time.monotonic()
    running = [
        (
            command,
            subprocess.Popen(
                [sys.executable, "-m", "lienthong", *command],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for command in commands
    ]
    for command, process in running:
        out, errors = process.communicate(timeout=120)
        assert process.returncode == 1, (command, out, errors)
        assert "Traceback" not in out + errors, command
        lines = errors.strip().splitlines()
        assert len(lines) == 1, (command, errors)
        assert lines[0].startswith("error: cannot reach Kafka at " + address), (command, errors)
        assert "lienthong stack status" in lines[0], "it says what to try"
    # all ran side by side on a shared machine: each gave up long before kafka-python's 30 s
    assert time.monotonic() - began < GIVE_UP_SECONDS + 30


def test_debug_adds_the_traceback(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    env = _env({"LIENTHONG_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", "--debug", "deadletters", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot reach Kafka")


def test_a_bad_setting_is_one_line_naming_the_variable() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", "deadletters", "list"],
        env=_env({"LIENTHONG_PARTITIONS": "many"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: invalid setting LIENTHONG_PARTITIONS"), line


@pytest.mark.broker
def test_status_warns_when_no_hub_reads_and_takes_a_receipt_number(isolated: Settings) -> None:
    env = _env(settings_env(isolated))
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", "status", "TN-DVC-2026-000001-abcd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"warning: nobody reads {isolated.topic_prefix}.intake" in done.stderr
    assert 'eval "$(lienthong env)"' in done.stderr
    assert f"error: there is no topic {isolated.topic_prefix}.status" in done.stderr
    assert "Traceback" not in done.stderr
    admin = KafkaAdminClient(**isolated.kafka_client_options())
    try:
        assert not [t for t in admin.list_topics() if t.startswith(isolated.topic_prefix)], (
            "looking at a prefix nobody uses created no topic"
        )
    finally:
        admin.close()


@pytest.mark.broker
def test_submit_warns_when_no_hub_reads_the_intake_topic(
    isolated: Settings, tmp_path: Path
) -> None:
    from lienthong.worker import prepare_topics

    prepare_topics(isolated)
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", "submit", str(_dossier_file(tmp_path))],
        env=_env(settings_env(isolated)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"warning: nobody reads {isolated.topic_prefix}.intake" in done.stderr
    assert f"consumer group {isolated.topic_prefix}-hub has no member" in done.stderr
    assert "submitted DVC-" in done.stdout
