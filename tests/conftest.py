"""Shared fixtures: the real local broker for integration and end-to-end tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
#: Tests run the hub with the public development lookup secret (and pass it to the processes
#: they start); a test of the refusal sets ``development=False`` itself.
os.environ.setdefault("LIENTHONG_DEVELOPMENT", "true")

import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from lienthong.broker import running_broker
from lienthong.settings import Settings
from netports import free_ports
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
    ports = free_ports(5)
    return broker.model_copy(
        update={
            "topic_prefix": f"t{uuid.uuid4().hex[:10]}",
            "state_dir": tmp_path_factory.mktemp("state"),
            "hub_web_port": ports[0],
            "civil_registry_web_port": ports[1],
            "residence_web_port": ports[2],
            "health_insurance_web_port": ports[3],
            "hub_operator_port": ports[4],
            "public_base_url": f"http://127.0.0.1:{ports[0]}",
            "operator_credentials": SecretStr(OPERATOR_CREDENTIALS),
        }
    )
