"""The residence deployable."""

from __future__ import annotations

from typing import Any

from lienthong.agencies.builder import build_agency
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import Counters
from lienthong.domain.calendar import Clock
from lienthong.groups.birth.residence import cancel_residence, register_residence
from lienthong.groups.death.deregistration import deregister_residence
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings

Record = dict[str, Any]


def _register(handoff: Record, entry: Record | None, _: Counters, ctx: AgencyContext) -> Decision:
    return register_residence(handoff, entry, ctx)


def _cancel(cancelled: Record, entry: Record | None, _: Counters, ctx: AgencyContext) -> Decision:
    return cancel_residence(cancelled, entry, ctx)


def _deregister(handoff: Record, entry: Record | None, _: Counters, ctx: AgencyContext) -> Decision:
    return deregister_residence(handoff, entry, ctx)


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the residence deployable."""
    handlers = {
        "ResidenceHandoff": _register,
        "ResidenceDeregistrationHandoff": _deregister,
        "HandoffCancelled": _cancel,
    }
    return build_agency("residence", settings, handlers, clock, **overrides)
