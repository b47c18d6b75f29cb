"""Procedure groups as data: steps, their dependencies, allowed combinations, deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lienthong.death import parts as death_parts
from lienthong.death.intake import validate_death_dossier
from lienthong.hub import parts

Record = dict[str, Any]


@dataclass(frozen=True)
class Words:
    """A text the citizen reads, in Vietnamese (the pages' default) and English."""

    vi: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


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
    #: What the citizen supplies for this procedure beside the group's declaration.
    documents: tuple[Words, ...] = ()
    #: What the citizen reads while the step waits on something outside the agency, by the
    #: hub's ``awaiting`` reason (the population database's ID number, ...).
    waiting: Mapping[str, Words] = field(default_factory=dict)
    #: The operators' heading for dossiers this step refused as duplicates of another one.
    duplicates: Words | None = None
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
    #: The intake event type that submits a dossier of this group.
    submission: str = "DossierSubmitted"
    #: The intake rules: the dossier as the hub keeps it, or ``ValidationFailed``.
    validate: Callable[[Record, dt.datetime], Record] | None = None
    #: The field of the first step's completion (and of the later handoffs) that carries the
    #: dossier's subject as registered: the child, the deceased.
    subject: str = "child"
    #: The public page's heading: whom the group serves (the group's label when not given).
    title: Words | None = None
    #: What the whole dossier needs, whatever the combination (each step adds its own).
    documents: tuple[Words, ...] = ()
    #: The fee rule as posted; None where no verified rule is known (the page says so).
    fees: Words | None = None
    #: The legal basis of the group, as the page cites it.
    source: str = ""

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

    def stages(self) -> list[list[str]]:
        """The steps by the order they can run in; the steps of one stage run in parallel."""
        placed: dict[str, int] = {}
        for step, spec in self.steps.items():  # declaration order is topological
            placed[step] = 1 + max((placed[r] for r in spec.requires), default=-1)
        return [[s for s, n in placed.items() if n == k] for k in range(1 + max(placed.values()))]

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
    title=Words("Thủ tục liên thông cho trẻ em mới sinh", "Linked procedures for a newborn"),
    documents=(
        Words(
            "Tờ khai điện tử liên thông (mẫu 01), kê khai một lần cho các thủ tục đã chọn",
            "One electronic declaration (form 01) for every procedure chosen",
        ),
    ),
    fees=Words(
        "Lệ phí: miễn phí khi đăng ký khai sinh đúng hạn (trong 60 ngày).",
        "Fees: none when the birth is registered on time (within 60 days).",
    ),
    source="Nghị định 63/2024/NĐ-CP",
    steps={
        "civil_registry": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Birth registration",
            label_vi="Đăng ký khai sinh",
            projection=parts.civil_registry_part,
            result_ref="registration_number",
            documents=(
                Words(
                    "Giấy chứng sinh điện tử do cơ sở y tế gửi (hoặc giấy tờ thay thế giấy "
                    "chứng sinh)",
                    "The hospital's electronic birth certificate (or the documents that replace "
                    "it)",
                ),
            ),
            waiting={
                "personal_id": Words(
                    "Đã đăng ký khai sinh; đang chờ Cơ sở dữ liệu quốc gia về dân cư cấp số định "
                    "danh cá nhân cho trẻ. Các bước sau bắt đầu ngay khi có số. Bạn không cần "
                    "làm gì.",
                    "The birth is registered; the population database has not issued the "
                    "child's personal ID number yet. The next steps start as soon as it "
                    "arrives; nothing is needed from you.",
                )
            },
            duplicates=Words("Hồ sơ trùng giấy chứng sinh", "Duplicate birth certificates"),
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
            documents=(
                Words(
                    "Nơi thường trú của cha hoặc mẹ nơi đăng ký cho trẻ, thông tin chủ hộ",
                    "The parent's permanent address the child is registered at, and the head "
                    "of household",
                ),
            ),
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
            documents=(
                Words(
                    "Nơi đăng ký khám chữa bệnh ban đầu cho trẻ",
                    "The child's initial registered clinic",
                ),
            ),
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

#: The death group (Decree 63/2024). No verified deadline was found (one weak source says 6 to 18
#: working days): the targets are assumptions, the group's can be set (``group_deadline_days``,
#: the README's domain section). No verified fee rule is known: none is declared, the page says so.
DEATH = ProcedureGroup(
    name="death",
    label_en="Death registration, residence deregistration, funeral allowance, survivor benefit",
    label_vi="Liên thông khai tử, xóa đăng ký thường trú, trợ cấp mai táng, trợ cấp tuất",
    title=Words("Thủ tục liên thông khi có người mất", "Linked procedures after a death"),
    documents=(
        Words(
            "Tờ khai điện tử liên thông cho các thủ tục đã chọn, ghi rõ quan hệ của người đi "
            "khai với người đã mất",
            "One electronic declaration for every procedure chosen, with the declarant's "
            "relationship to the deceased",
        ),
    ),
    source="Nghị định 63/2024/NĐ-CP",
    submission="DeathDossierSubmitted",
    validate=validate_death_dossier,
    subject="deceased",
    steps={
        "death_registration": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Death registration",
            label_vi="Đăng ký khai tử",
            projection=death_parts.registration_part,
            result_ref="death_extract_number",
            documents=(
                Words(
                    "Số định danh cá nhân của người đã mất; ngày, giờ và nơi mất",
                    "The deceased's personal ID number; the date, time and place of death",
                ),
                Words(
                    "Giấy báo tử do cơ sở y tế gửi điện tử; nếu mất ngoài cơ sở y tế: bản tường "
                    "trình của người đi khai",
                    "The health facility's death notice, sent electronically; for a death "
                    "outside a facility, the declarant's statement",
                ),
            ),
            duplicates=Words("Hồ sơ khai tử trùng người đã mất", "Deaths already registered"),
            target_days=0,
            target_days_verification=3,
            results=("DeathRegistered",),
            handoff="DeathRegistrationHandoff",
        ),
        "residence_deregistration": StepSpec(
            agency="Commune police (residence)",
            agency_vi="Công an cấp xã (cư trú)",
            deployable="residence",
            label_en="Deregistration of permanent residence",
            label_vi="Xóa đăng ký thường trú",
            projection=death_parts.deregistration_part,
            result_ref="confirmation_ref",
            documents=(
                Words(
                    "Nơi thường trú của người đã mất (kê khai trên tờ khai)",
                    "The deceased's permanent address (on the declaration)",
                ),
            ),
            requires=("death_registration",),
            target_days=2,
            target_days_verification=5,
            results=("ResidenceDeregistered",),
            handoff="ResidenceDeregistrationHandoff",
        ),
        "funeral_allowance": StepSpec(
            agency="Social Security (funeral allowance)",
            agency_vi="Bảo hiểm xã hội (trợ cấp mai táng)",
            deployable="health-insurance",
            label_en="Funeral allowance",
            label_vi="Trợ cấp mai táng",
            projection=death_parts.funeral_part,
            result_ref="decision_number",
            documents=(
                Words(
                    "Sổ bảo hiểm xã hội hoặc mã số BHXH của người đã mất",
                    "The deceased's social-insurance book or number",
                ),
            ),
            requires=("death_registration",),
            target_days=5,
            target_days_verification=10,
            results=("FuneralAllowanceGranted",),
            handoff="FuneralAllowanceHandoff",
        ),
        "survivor_benefit": StepSpec(
            agency="Social Security (survivor benefit)",
            agency_vi="Bảo hiểm xã hội (trợ cấp tuất)",
            deployable="health-insurance",
            label_en="Survivor benefit",
            label_vi="Trợ cấp tuất",
            projection=death_parts.survivor_part,
            result_ref="decision_number",
            documents=(
                Words(
                    "Xác nhận của thân nhân về người nhận trợ cấp tuất một lần (trên VNeID hoặc "
                    "bằng mẫu giấy)",
                    "The relatives' confirmation of who receives the lump-sum survivor benefit "
                    "(in VNeID or on a paper form)",
                ),
            ),
            requires=("death_registration",),
            target_days=5,
            target_days_verification=10,
            results=("SurvivorBenefitGranted",),
            handoff="SurvivorBenefitHandoff",
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
