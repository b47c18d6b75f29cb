"""End-to-end fixtures: the four deployables as processes against the real broker."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def stack(isolated: Settings, tmp_path: Path) -> Iterator[LocalStack]:
    prepare_topics(isolated)
    with LocalStack(isolated, tmp_path / "logs") as running:
        yield running
