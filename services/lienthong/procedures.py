"""Procedure groups as data: steps, their dependencies, allowed combinations, deadlines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StepSpec:
    """One agency's step: who owns it, what it needs first, its own legal target."""

    agency: str
    agency_vi: str
    requires: tuple[str, ...] = ()
    #: Working days after the dossier counts as received; 0 means the same working day.
    target_days: int = 2
    target_days_verification: int = 2
    #: The event types by which the agency reports this step done (its completion topic's own).
    results: tuple[str, ...] = ()
    #: The request its handoff topic carries to the agency.
    handoff: str = ""


#: Answers any agency may give about its step, besides its results (each names the step).
ANSWERS = ("StepRejected", "SupplementRequested", "DeadlineExtended", "CorrectionRequested")


@dataclass(frozen=True)
class ProcedureGroup:
    """A declared group: adding a group (death, later) is a new declaration, not new code."""

    name: str
    steps: Mapping[str, StepSpec]
    combinations: tuple[frozenset[str], ...]
    deadline_days: int
    deadline_days_verification: int

    def allows(self, chosen: Iterable[str]) -> bool:
        return frozenset(chosen) in self.combinations

    def ready(
        self, chosen: Iterable[str], done: Iterable[str], started: Iterable[str]
    ) -> list[str]:
        """Chosen steps not yet started whose every requirement has completed."""
        completed, begun = set(done), set(started)
        return [
            step
            for step in self.order(chosen)
            if step not in begun and all(r in completed for r in self.steps[step].requires)
        ]

    def blocked_by(self, chosen: Iterable[str], failed: str) -> list[str]:
        """Chosen steps that can no longer start because ``failed`` did not complete."""
        out: list[str] = []
        for step in self.order(chosen):
            needs = self.steps[step].requires
            if failed in needs or any(n in out for n in needs):
                out.append(step)
        return out

    def order(self, chosen: Iterable[str]) -> list[str]:
        """Chosen steps in declaration order (a valid topological order)."""
        wanted = set(chosen)
        return [step for step in self.steps if step in wanted]

    def combination_label(self, chosen: Iterable[str]) -> str:
        """A bounded label such as ``birth+residence``."""
        others = [s for s in self.order(chosen) if self.steps[s].requires]
        return "+".join([self.name, *others])


BIRTH = ProcedureGroup(
    name="birth",
    steps={
        "civil_registry": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            target_days=0,
            target_days_verification=0,
            results=("BirthRegistered", "PersonalIdIssued"),
            handoff="CivilRegistryHandoff",
        ),
        "residence": StepSpec(
            agency="Commune police (residence)",
            agency_vi="Công an cấp xã (cư trú)",
            requires=("civil_registry",),
            target_days=2,
            target_days_verification=5,
            results=("ResidenceRegistered",),
            handoff="ResidenceHandoff",
        ),
        "health_insurance": StepSpec(
            agency="Social Security (health insurance)",
            agency_vi="Bảo hiểm xã hội (BHYT)",
            requires=("civil_registry",),
            target_days=2,
            target_days_verification=2,
            results=("CardIssued",),
            handoff="HealthInsuranceHandoff",
        ),
    },
    combinations=(
        frozenset({"civil_registry", "residence", "health_insurance"}),
        frozenset({"civil_registry", "residence"}),
        frozenset({"civil_registry", "health_insurance"}),
    ),
    deadline_days=3,
    deadline_days_verification=5,
)

GROUPS: dict[str, ProcedureGroup] = {BIRTH.name: BIRTH}
