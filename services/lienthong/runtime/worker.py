"""Run one deployable as a Faust worker (what ``lienthong run NAME`` does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust

from lienthong import topics
from lienthong.calendar import Clock
from lienthong.civil_registry import app as civil_registry
from lienthong.health_insurance import app as health_insurance
from lienthong.hub import app as hub
from lienthong.residence import app as residence
from lienthong.runtime.app import ensure_topics
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings

FACTORIES: dict[str, Callable[..., Deployable]] = {
    "hub": hub.create,
    "civil-registry": civil_registry.create,
    "residence": residence.create,
    "health-insurance": health_insurance.create,
}
#: Topics a deployable needs besides the contract topics (created up front, same partitions).
INTERNAL_ROLES = (civil_registry.BY_CERTIFICATE, hub.DEADLINES)


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    if name not in FACTORIES:
        raise ValueError(f"unknown deployable {name!r}; choose one of {', '.join(FACTORIES)}")
    return FACTORIES[name](settings, clock, **kw)


def prepare_topics(settings: Settings) -> list[str]:
    """Create every contract and internal topic that is missing."""
    return ensure_topics(settings, (*topics.ALL_ROLES, *INTERNAL_ROLES))


def run(name: str, settings: Settings, loglevel: str = "warning") -> None:
    """Run a deployable until SIGTERM or SIGINT; in-flight work finishes or is redelivered."""
    prepare_topics(settings)
    deployable = create(name, settings)
    worker = faust.Worker(deployable.app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
