"""A worker collects garbage seldom: start-up's objects frozen, a large young generation."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from lienthong.worker import GC_YOUNG_THRESHOLD, collect_garbage_seldom


@pytest.fixture
def restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored")
def test_a_worker_freezes_what_start_up_built_and_collects_its_young_objects_seldom() -> None:
    gc.unfreeze()
    collect_garbage_seldom()
    assert gc.get_freeze_count() > 1000, "start-up's objects are never walked again"
    young, middle, old = gc.get_threshold()
    assert young == GC_YOUNG_THRESHOLD > 700
    assert middle >= 10 and old >= 10, "the older generations are still collected"
