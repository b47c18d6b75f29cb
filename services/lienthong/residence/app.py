"""The residence deployable."""

from __future__ import annotations

from typing import Any

from lienthong.agency import AgencyContext, Decision
from lienthong.allocation import Counters
from lienthong.calendar import Clock
from lienthong.residence.decisions import register_residence
from lienthong.runtime.agency_app import build_agency
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings


def _decide(
    handoff: dict[str, Any], entry: dict[str, Any] | None, _: Counters, ctx: AgencyContext
) -> Decision:
    return register_residence(handoff, entry, ctx)


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the residence deployable."""
    return build_agency("residence", settings, _decide, clock, **overrides)
