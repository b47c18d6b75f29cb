"""The health-insurance deployable."""

from __future__ import annotations

from typing import Any

from lienthong.calendar import Clock
from lienthong.health_insurance.decisions import cancel_card, issue_card
from lienthong.health_insurance.survivors import grant_funeral_allowance, grant_survivor_benefit
from lienthong.runtime.agency_app import build_agency
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the health-insurance deployable."""
    handlers = {
        "HealthInsuranceHandoff": issue_card,
        "FuneralAllowanceHandoff": grant_funeral_allowance,
        "SurvivorBenefitHandoff": grant_survivor_benefit,
        "HandoffCancelled": cancel_card,
    }
    return build_agency("health_insurance", settings, handlers, clock, **overrides)
