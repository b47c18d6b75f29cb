"""Shared fixtures: the real local broker for integration and end-to-end tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
#: Tests run the hub with the public development lookup secret (and pass it to the processes
#: they start); a test of the refusal sets ``development=False`` itself.
os.environ.setdefault("LIENTHONG_DEVELOPMENT", "true")

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from lienthong.broker import running_broker
from lienthong.settings import Settings
from netports import fresh_settings
from operators import OPERATOR_CREDENTIALS


@pytest.fixture(scope="session")
def broker() -> Iterator[Settings]:
    """The local broker: started when none answers, stopped at the end if this run started it."""
    settings = Settings()
    with running_broker(settings):
        yield settings


@pytest.fixture
def isolated(broker: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a fresh topic prefix, consumer groups, state dir and web ports."""
    credentials = SecretStr(OPERATOR_CREDENTIALS)
    state = tmp_path_factory.mktemp("state")
    return fresh_settings(broker, state, operator_credentials=credentials)
