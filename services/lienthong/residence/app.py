"""The residence deployable."""

from __future__ import annotations

from typing import Any

from lienthong.agency import AgencyContext, Decision
from lienthong.allocation import Counters
from lienthong.calendar import Clock
from lienthong.residence.decisions import cancel_residence, register_residence
from lienthong.residence.deregistration import deregister_residence
from lienthong.runtime.agency_app import build_agency
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
