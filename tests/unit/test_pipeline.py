"""The pipeline's order of work: publish then save (the hub), or save, flush, publish (agencies)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.calendar import ManualClock
from lienthong.metrics import Metrics
from lienthong.runtime.pipeline import Pipeline
from lienthong.runtime.types import Outcome, Received

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CODEC = AvroCodec()


class Topic:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_topic_name(self) -> str:
        return self.name


def check(dossier_id: str) -> dict[str, Any]:
    return {"meta": metadata("DeadlineCheck", dossier_id, "hub", AT, None, 1)}


class Table(dict[str, Any]):
    """A table that logs each write it is given as "save"."""

    def __init__(self, steps: list[str]) -> None:
        super().__init__()
        self.steps = steps

    def __setitem__(self, key: str, value: Any) -> None:
        self.steps.append("save")
        super().__setitem__(key, value)


@pytest.fixture
def pipeline_and_steps() -> tuple[Pipeline, list[str]]:
    steps: list[str] = []
    topics: Any = {"status": Topic("status")}
    dead: Any = Topic("deadletter")
    pipeline = Pipeline("hub", CODEC, topics, dead, Metrics.create(), ManualClock(AT))
    pipeline.stage(Table(steps))

    async def publish(topic: Any, key: bytes, value: bytes) -> None:
        steps.append(f"publish {topic.get_topic_name()}")

    async def durable(received: Received | None = None) -> None:
        # The handler's save stages its state; it is written here, then made durable.
        for view in pipeline.staged:
            view.apply()
        steps.append("durable")

    pipeline.publish = publish  # type: ignore[method-assign]
    pipeline.make_saved_durable = durable  # type: ignore[method-assign]
    return pipeline, steps


def received() -> Received:
    return Received("intake", 0, 7, b"D-1", CODEC.encode("DeadlineCheck", check("D-1")), {})


@pytest.mark.parametrize(
    ("save_first", "expected"),
    [
        (False, ["publish status", "save", "durable"]),
        (True, ["save", "durable", "publish status"]),
    ],
)
async def test_the_order_of_publishing_and_saving(
    pipeline_and_steps: tuple[Pipeline, list[str]], save_first: bool, expected: list[str]
) -> None:
    pipeline, steps = pipeline_and_steps

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        out = Envelope("status", "DeadlineCheck", check("D-1"))
        view = pipeline.staged[0]

        def save() -> None:
            view["D-1"] = "seen"

        return Outcome([out], save, save_first=save_first)

    await pipeline.process(received(), handler)
    assert steps == expected


async def test_a_failing_handler_publishes_and_saves_nothing(
    pipeline_and_steps: tuple[Pipeline, list[str]],
) -> None:
    pipeline, steps = pipeline_and_steps

    async def handler(decoded: Decoded, got: Received) -> Outcome:
        raise RuntimeError("a bug")

    await pipeline.process(received(), handler)
    assert steps == ["publish deadletter"]
