"""Procedure groups as data: steps, their dependencies, allowed combinations, deadlines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lienthong.hub import parts

Record = dict[str, Any]


@dataclass(frozen=True)
class StepSpec:
    """One procedure: the deployable that decides it, what it needs first, its legal target,
    what its handoff carries, and how the citizen and the agency name it."""

    agency: str
    agency_vi: str
    #: The agency deployable that owns the step (one deployable may own several steps); its
    #: handoff and completion topics are the deployable's.
    deployable: str = ""
    label_en: str = ""
    label_vi: str = ""
    #: The projection: from the submission, only what this agency needs (data minimisation).
    projection: Callable[[Record], Record] | None = None
    #: The field of the completing event (``results[0]``) that references the result.
    result_ref: str = ""
    #: Documents the citizen attaches for this procedure (by name, as on the declaration).
    documents: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    #: Working days after the dossier counts as received; 0 means the same working day.
    target_days: int = 2
    target_days_verification: int = 2
    #: The event types by which the agency reports this step done (its completion topic's own);
    #: the first completes the step, the others are the hub's detours (a pending ID number).
    results: tuple[str, ...] = ()
    #: The request its handoff topic carries to the agency.
    handoff: str = ""


#: Answers any agency may give about its step, besides its results (each names the step).
ANSWERS = ("StepRejected", "SupplementRequested", "DeadlineExtended", "CorrectionRequested")


@dataclass(frozen=True)
class ProcedureGroup:
    """A declared group: adding a group is a new declaration, not new code."""

    name: str
    steps: Mapping[str, StepSpec]
    combinations: tuple[frozenset[str], ...]
    deadline_days: int
    deadline_days_verification: int
    label_en: str = ""
    label_vi: str = ""

    @property
    def first(self) -> str:
        """The step every other one waits for (declared first, requiring nothing): its
        completion passes the dossier's subject on, and corrections return to it."""
        return next(iter(self.steps))

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
    label_en="Birth, residence and health insurance, linked",
    label_vi="Liên thông khai sinh, thường trú, BHYT",
    steps={
        "civil_registry": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Birth registration",
            label_vi="Đăng ký khai sinh",
            projection=parts.civil_registry_part,
            result_ref="registration_number",
            documents=("declaration (form 01)", "birth certificate (giấy chứng sinh)"),
            target_days=0,
            target_days_verification=0,
            results=("BirthRegistered", "PersonalIdIssued"),
            handoff="CivilRegistryHandoff",
        ),
        "residence": StepSpec(
            agency="Commune police (residence)",
            agency_vi="Công an cấp xã (cư trú)",
            deployable="residence",
            label_en="Permanent residence registration",
            label_vi="Đăng ký thường trú",
            projection=parts.residence_part,
            result_ref="confirmation_ref",
            requires=("civil_registry",),
            target_days=2,
            target_days_verification=5,
            results=("ResidenceRegistered",),
            handoff="ResidenceHandoff",
        ),
        "health_insurance": StepSpec(
            agency="Social Security (health insurance)",
            agency_vi="Bảo hiểm xã hội (BHYT)",
            deployable="health-insurance",
            label_en="Health-insurance card for a child under 6",
            label_vi="Cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
            projection=parts.health_insurance_part,
            result_ref="card_code",
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


#: What a registered group's step must declare, because topics, handlers and pages derive from it.
REQUIRED = ("deployable", "label_en", "label_vi", "projection", "result_ref", "results", "handoff")


def all_steps() -> dict[str, StepSpec]:
    """Every declared step of every registered group (a step's name is unique across groups)."""
    steps: dict[str, StepSpec] = {}
    for group in GROUPS.values():
        for name, spec in group.steps.items():
            if name in steps:
                raise ValueError(f"step {name} is declared by two groups")
            missing = [field for field in REQUIRED if not getattr(spec, field)]
            if missing:
                raise ValueError(f"step {name} of group {group.name} lacks {', '.join(missing)}")
            steps[name] = spec
    return steps


def group_of_step(step: str) -> ProcedureGroup:
    """The group that declares ``step``."""
    for group in GROUPS.values():
        if step in group.steps:
            return group
    raise KeyError(step)
