"""A demo that fails before it hands its stack over (``--keep-running``) stops what it started:
nothing keeps running unrecorded, where `lienthong stack stop` could not find it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from lienthong import demo
from lienthong.broker.probe import StartResult
from lienthong.settings import Settings


class Stand:
    """A stand-in for the local stack and broker: it only says what was asked of it."""

    asked: list[str]

    def __init__(self, *_: Any, **__: Any) -> None:
        self.log_dir = Path("logs")

    def start(self) -> StartResult:
        Stand.asked.append("start")
        return StartResult(True, 1, "127.0.0.1:1", 0.0, "started")

    def stop(self) -> StartResult:
        Stand.asked.append("stop")
        return StartResult(False, 1, "127.0.0.1:1", 0.0, "stopped")


def fails(*_: Any, **__: Any) -> Any:
    raise RuntimeError("the broker went away")


@pytest.mark.parametrize("keep_running", [True, False])
def test_a_demo_failing_midway_stops_its_stack_and_its_broker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keep_running: bool
) -> None:
    Stand.asked = []
    monkeypatch.setattr(demo, "LocalStack", Stand)
    monkeypatch.setattr(demo, "LocalBroker", Stand)
    monkeypatch.setattr(demo, "prepare_topics", lambda _: None)
    monkeypatch.setattr(demo, "push_through", fails)
    settings = Settings(state_dir=tmp_path / "state")
    with pytest.raises(RuntimeError, match="went away"):
        demo.run_demo(
            settings,
            dossiers=3,
            seed=1,
            keep_running=keep_running,
            timeout=1,
            console=Console(file=io.StringIO()),
        )
    # the broker and the stack started, then both stopped (the stack first)
    assert Stand.asked == ["start", "start", "stop", "stop"]
