"""Procedure groups as data: steps, their dependencies, allowed combinations, deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lienthong.death import parts as death_parts
from lienthong.death.intake import validate_death_dossier
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
    #: Whether the step can apply to a submission: None when it does, else the reason it does
    #: not (Vietnamese / English). The hub decides it at intake and shows the step as not
    #: applicable instead of handing it off to be refused.
    applies: Callable[[Record], str | None] | None = None
    #: The rules the step follows, each with its article (what a reviewer checks the code
    #: against); an assumed article says so.
    legal_source: tuple[str, ...] = ()


#: Answers any agency may give about its step, besides its results (each names the step).
ANSWERS = (
    "StepRejected",
    "SupplementRequested",
    "DeadlineExtended",
    "CorrectionRequested",
    "StepDeferred",
)


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
    #: The intake event type that submits a dossier of this group.
    submission: str = "DossierSubmitted"
    #: The intake rules: the dossier as the hub keeps it, or ``ValidationFailed``.
    validate: Callable[[Record, dt.datetime], Record] | None = None
    #: The field of the first step's completion (and of the later handoffs) that carries the
    #: dossier's subject as registered: the child, the deceased.
    subject: str = "child"
    #: The acts the group as a whole follows (the interconnection itself).
    legal_source: tuple[str, ...] = ()

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


def _validate_birth(event: Record, now: dt.datetime) -> Record:
    # imported here: the birth form's rules read the birth declaration's combinations
    from lienthong.hub.validation import validate_submission

    return validate_submission(event, now).to_record()


BIRTH = ProcedureGroup(
    name="birth",
    validate=_validate_birth,
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

#: The death group (Decree 63/2024). No verified deadline was found for the group (one weak
#: source says 6 to 18 working days): the targets below are assumptions, the group's can be set
#: (``group_deadline_days``), see the README's domain section.
DEATH = ProcedureGroup(
    name="death",
    label_en="Death registration, residence deregistration, funeral allowance, survivor benefit",
    label_vi="Liên thông khai tử, xóa đăng ký thường trú, trợ cấp mai táng, trợ cấp tuất",
    submission="DeathDossierSubmitted",
    validate=validate_death_dossier,
    subject="deceased",
    legal_source=("Decree 63/2024/NĐ-CP: the interconnected procedures of the death group",),
    steps={
        "death_registration": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Death registration",
            label_vi="Đăng ký khai tử",
            projection=death_parts.registration_part,
            result_ref="death_extract_number",
            documents=("declaration", "death notice (giấy báo tử) or statement"),
            target_days=0,
            target_days_verification=3,
            results=("DeathRegistered",),
            handoff="DeathRegistrationHandoff",
            legal_source=(
                "Law on Civil Status 2014, art. 33: who declares the death, and when",
                "Law on Civil Status 2014, art. 34: the declaration checked, the death "
                "registered and the extract issued (the deceased looked up in the population "
                "database first; a death already registered is a duplicate)",
            ),
        ),
        "residence_deregistration": StepSpec(
            agency="Commune police (residence)",
            agency_vi="Công an cấp xã (cư trú)",
            deployable="residence",
            label_en="Deregistration of permanent residence",
            label_vi="Xóa đăng ký thường trú",
            projection=death_parts.deregistration_part,
            result_ref="confirmation_ref",
            requires=("death_registration",),
            target_days=2,
            target_days_verification=5,
            results=("ResidenceDeregistered",),
            handoff="ResidenceDeregistrationHandoff",
            applies=death_parts.has_permanent_residence,
            legal_source=(
                "Law on Residence 2020, art. 24(1)(a): the permanent residence of a person who "
                "died is deregistered; nothing to deregister without one (decided at intake)",
            ),
        ),
        "funeral_allowance": StepSpec(
            agency="Social Security (funeral allowance)",
            agency_vi="Bảo hiểm xã hội (trợ cấp mai táng)",
            deployable="health-insurance",
            label_en="Funeral allowance",
            label_vi="Trợ cấp mai táng",
            projection=death_parts.funeral_part,
            result_ref="decision_number",
            documents=("social-insurance book or number",),
            requires=("death_registration",),
            target_days=5,
            target_days_verification=10,
            results=("FuneralAllowanceGranted",),
            handoff="FuneralAllowanceHandoff",
            legal_source=(
                # The 2024 law's article number is assumed (domain notes give the 2014 law's
                # only, and say the 2024 law renumbers them): check it against the text.
                "Law on Social Insurance 2024, art. 85 (assumed number; Law on Social "
                "Insurance 2014, art. 66(1)): who leaves a funeral allowance (pensioners, "
                "monthly work-injury or disease beneficiaries, at least 12 months of "
                "compulsory contributions, contributing or reserved)",
            ),
        ),
        "survivor_benefit": StepSpec(
            agency="Social Security (survivor benefit)",
            agency_vi="Bảo hiểm xã hội (trợ cấp tuất)",
            deployable="health-insurance",
            label_en="Survivor benefit",
            label_vi="Trợ cấp tuất",
            projection=death_parts.survivor_part,
            result_ref="decision_number",
            documents=("relatives' confirmation of the beneficiary",),
            requires=("death_registration",),
            target_days=5,
            target_days_verification=10,
            results=("SurvivorBenefitGranted",),
            handoff="SurvivorBenefitHandoff",
            legal_source=(
                # The article followed is the domain's reading of the 2014 law: the lump-sum
                # survivor benefit goes to the relatives of the people art. 66(1) (the funeral
                # allowance's list) names. The 2024 law's number is assumed. The decision
                # (health_insurance.survivors.survivor_eligible) still pays from any
                # social-insurance record, a broader rule the existing scenarios pin: see
                # its docstring before narrowing it to art. 66(1).
                "Law on Social Insurance 2014, art. 69, referring to art. 66(1); Law on "
                "Social Insurance 2024, art. 88 (assumed number): the lump-sum survivor "
                "benefit, paid to the relative the family confirmed",
            ),
        ),
    },
    combinations=(
        frozenset({"death_registration", "residence_deregistration"}),
        frozenset({"death_registration", "residence_deregistration", "funeral_allowance"}),
        frozenset(
            {
                "death_registration",
                "residence_deregistration",
                "funeral_allowance",
                "survivor_benefit",
            }
        ),
    ),
    deadline_days=6,
    deadline_days_verification=18,
)

GROUPS: dict[str, ProcedureGroup] = {BIRTH.name: BIRTH, DEATH.name: DEATH}


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
