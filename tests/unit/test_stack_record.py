"""``lienthong stack stop`` stops exactly the recorded processes; ``lienthong env`` points a shell.

Real processes stand in for the workers (``sleep``), each in its own session as the stack starts
them; a look-alike process with the same command line is left running, as another stack on the
machine would be.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.runtime import detached
from lienthong.runtime.stack import settings_env
from lienthong.settings import SOURCE_ROOT, Settings


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "300"], start_new_session=True)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:  # only those this test started, by their PID
        if process.poll() is None:
            process.kill()
        process.wait()


def _record(settings: Settings, *procs: subprocess.Popen[bytes]) -> detached.StackRecord:
    workers = [
        detached.RecordedWorker("hub", i, p.pid, detached.process_start(p.pid))
        for i, p in enumerate(procs)
    ]
    record = detached.StackRecord(detached.exports(settings), workers, False, "logs")
    detached.save(settings, record)
    return record


def test_stop_signals_the_recorded_pids_and_nothing_else(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    settings = Settings(state_dir=tmp_path, topic_prefix="mine")
    ours, other = _sleeper(), _sleeper()
    processes += [ours, other]
    record = _record(settings, ours)
    assert detached.running(settings) == record
    with pytest.raises(detached.StackError, match="stop it first"):
        detached.refuse_second(settings)

    lines = detached.stop(record, timeout=10)
    assert lines == [f"hub#0 (pid {ours.pid}) stopped"]
    assert ours.wait(5) == -15, "SIGTERM"
    assert other.poll() is None, "a look-alike process of another stack keeps running"
    assert detached.running(settings) is None


def test_a_reused_pid_is_left_alone(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    stranger = _sleeper()
    processes.append(stranger)
    started = detached.process_start(stranger.pid)
    assert started is not None
    reused = detached.RecordedWorker("hub", 0, stranger.pid, started - 1)
    record = detached.StackRecord({}, [reused], False, "logs")
    assert detached.stop(record, timeout=1) == [f"hub#0 (pid {stranger.pid}) was not running"]
    assert stranger.poll() is None


def test_env_points_a_fresh_shell_at_the_recorded_stack(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    settings = Settings(state_dir=tmp_path, topic_prefix="demo it's 'quoted'", hub_web_port=7123)
    processes.append(_sleeper())
    _record(settings, processes[0])
    runner = CliRunner()
    printed = runner.invoke(app, ["env"], env={"LIENTHONG_STATE_DIR": str(tmp_path)})
    assert printed.exit_code == 0, printed.output
    assert "PASSWORD" not in printed.output and "SECRET" not in printed.output
    # a clean shell that knows only where the state is finds every setting of the stack
    probe = subprocess.run(
        [
            "bash",
            "-c",
            printed.output + 'printf "%s|%s" "$LIENTHONG_TOPIC_PREFIX" "$LIENTHONG_HUB_WEB_PORT"',
        ],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout == "demo it's 'quoted'|7123"


def test_env_without_a_running_stack_says_how_to_start_one(tmp_path: Path) -> None:
    printed = CliRunner().invoke(app, ["env"], env={"LIENTHONG_STATE_DIR": str(tmp_path)})
    assert printed.exit_code == 1
    assert "lienthong stack start" in printed.output


def test_the_demo_no_longer_advises_pkill() -> None:
    code = (SOURCE_ROOT / "services" / "lienthong" / "demo.py").read_text(encoding="utf-8")
    readme = (SOURCE_ROOT / "README.md").read_text(encoding="utf-8")
    pages = [p.read_text(encoding="utf-8") for p in (SOURCE_ROOT / "docs").rglob("*.md")]
    assert "pkill" not in code and "pkill" not in readme
    assert pages and not any("pkill" in page for page in pages)
    assert "lienthong stack stop" in code


def test_settings_env_round_trip_keeps_the_prefix(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, topic_prefix="p1")
    assert settings_env(settings)["LIENTHONG_TOPIC_PREFIX"] == "p1"
    assert detached.exports(settings)["LIENTHONG_STATE_DIR"] == str(tmp_path)
