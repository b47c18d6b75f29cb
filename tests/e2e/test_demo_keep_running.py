"""``lienthong demo --keep-running``: one obvious way to talk to it, and to stop exactly it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_walkthrough import _processes_with_prefix

from lienthong.runtime import detached
from lienthong.runtime.stack import settings_env
from lienthong.settings import SOURCE_ROOT, Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]


@pytest.fixture
def shell_env(isolated: Settings) -> Iterator[dict[str, str]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")},
        **settings_env(isolated),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(SOURCE_ROOT / "services"),
        "COLUMNS": "80",
    }
    env.pop("LIENTHONG_TOPIC_PREFIX")  # the demo picks its own
    try:
        yield env
    finally:  # whatever happened, nothing the demo left running stays up
        recorded = detached.load(isolated)
        if recorded is not None:
            detached.stop(recorded)


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_demo_left_running_is_reached_with_env_and_stopped_by_pid(
    shell_env: dict[str, str],
) -> None:
    demo = _bash("lienthong demo --dossiers 6 --seed 4 --keep-running --timeout 120", shell_env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert max(len(line) for line in demo.stdout.splitlines()) <= 80, demo.stdout
    assert "…" not in demo.stdout
    assert 'eval "$(lienthong env)"' in demo.stdout
    assert "lienthong stack stop" in demo.stdout and "pkill" not in demo.stdout
    (prefix,) = re.findall(r"topic prefix (lienthong-demo-\d+)", demo.stdout)
    (example,) = re.findall(r"lienthong status (DVC-\S+)", demo.stdout)

    followed = _bash(f'eval "$(lienthong env)" && lienthong status {example}', shell_env)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert f"dossier {example}" in followed.stdout
    assert "warning" not in followed.stderr

    assert _processes_with_prefix(prefix), "the demo's deployables run"
    stopped = _bash("lienthong stack stop", shell_env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert stopped.stdout.count(" stopped") == 4
    assert not _processes_with_prefix(prefix), "stack stop stopped every process of the demo"
