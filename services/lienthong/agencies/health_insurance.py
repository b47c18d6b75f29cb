"""The health-insurance deployable."""

from __future__ import annotations

from typing import Any

from lienthong.agencies.builder import build_agency
from lienthong.domain.calendar import Clock
from lienthong.groups.birth.card import cancel_card, issue_card
from lienthong.groups.death.benefits import grant_funeral_allowance, grant_survivor_benefit
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
