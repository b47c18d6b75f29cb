"""The crash-point hook: off unless armed, then exactly the nth reach; refused in production."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from lienthong.runtime import faults
from lienthong.settings import Settings


class Exited(Exception):
    """What the hook's ``os._exit`` raises here instead of ending the test process."""


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The exit codes the hook asked for; each request also stops the caller (as an exit)."""
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise Exited(code)

    monkeypatch.setattr(faults.os, "_exit", fake_exit)
    yield codes
    faults.arm(None)


def test_an_unarmed_hook_never_fires(exits: list[int]) -> None:
    faults.arm(None)
    for _ in range(1000):
        for point in faults.POINTS:
            faults.reached(point)
    assert exits == []
    assert faults.armed() is None


@pytest.mark.parametrize("point", faults.POINTS)
@pytest.mark.parametrize("nth", [1, 2, 7])
def test_an_armed_hook_fires_at_exactly_the_nth_reach_of_its_point(
    exits: list[int], point: str, nth: int
) -> None:
    faults.arm(f"{point}:{nth}")
    others = [p for p in faults.POINTS if p != point]
    for _ in range(nth - 1):
        faults.reached(point)
        for other in others:  # other points never count, never fire
            for _ in range(3):
                faults.reached(other)
    assert exits == []
    with pytest.raises(Exited):
        faults.reached(point)
    assert exits == [faults.EXIT_CODES[point]]


def test_each_point_has_its_own_exit_code_unlike_a_normal_exit_or_a_signal() -> None:
    codes = list(faults.EXIT_CODES.values())
    assert len(set(codes)) == len(faults.POINTS) == len(codes)
    assert not {0, 1, 2} & set(codes)
    assert all(code < 128 for code in codes)  # 128+n is a death by signal n


def test_the_armed_worker_process_really_exits_with_the_points_code() -> None:
    program = (
        "from lienthong.runtime import faults\n"
        "faults.arm('saved:3')\n"
        "for i in range(1, 6):\n"
        "    faults.reached('published')\n"
        "    print('before', i, flush=True)\n"
        "    faults.reached('saved')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=os.environ
    )
    assert done.returncode == faults.EXIT_CODES["saved"], done.stderr
    assert done.stdout.split("\n") == ["before 1", "before 2", "before 3", ""]
    assert "crash point saved reached (3)" in done.stderr


@pytest.mark.parametrize("spec", ["saved", "saved:0", "saved:-1", "flushed:1", "saved:x", ""])
def test_a_malformed_crash_point_is_refused_naming_the_setting(spec: str) -> None:
    with pytest.raises(ValueError, match=r"crash_at: .* <point>:<nth>"):
        faults.parse(spec)
    with pytest.raises(ValidationError, match="crash_at"):
        Settings(development=True, crash_at=spec)


def test_production_settings_refuse_to_arm_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_CRASH_AT", "saved:1")
    monkeypatch.setenv("LIENTHONG_DEVELOPMENT", "false")
    with pytest.raises(ValidationError, match=r"crash_at: .*LIENTHONG_DEVELOPMENT=true"):
        Settings()
    monkeypatch.setenv("LIENTHONG_DEVELOPMENT", "true")
    assert Settings().crash_at == "saved:1"


def test_settings_leave_the_hook_unarmed_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIENTHONG_CRASH_AT", raising=False)
    assert Settings().crash_at is None
    assert Settings(development=True).crash_at is None


def test_a_stateless_steps_reaches_are_not_counted(exits: list[int]) -> None:
    faults.arm("published:2")
    for _ in range(5):
        faults.reached("published", keeps_state=False)
    faults.reached("published")
    assert exits == []
    with pytest.raises(Exited):
        faults.reached("published")
    assert exits == [faults.EXIT_CODES["published"]]
