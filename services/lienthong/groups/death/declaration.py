"""The death group's declaration (Decree 63/2024): death registration, then deregistration of
permanent residence, the funeral allowance and the survivor benefit."""

from __future__ import annotations

from lienthong.domain.declaration import ProcedureGroup, StepSpec
from lienthong.groups.death import projections
from lienthong.groups.death.submission import COMBINATIONS, validate_death_dossier

#: The death group (Decree 63/2024). No verified deadline was found for the group (one weak
#: source says 6 to 18 working days): the targets below are assumptions, the group's can be set
#: (``group_deadline_days``), see the README's domain section.
GROUP = ProcedureGroup(
    name="death",
    position=2,
    label_en="Death registration, residence deregistration, funeral allowance, survivor benefit",
    label_vi="Liên thông khai tử, xóa đăng ký thường trú, trợ cấp mai táng, trợ cấp tuất",
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
            projection=projections.registration_part,
            result_ref="death_extract_number",
            documents=("declaration", "death notice (giấy báo tử) or statement"),
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
            projection=projections.deregistration_part,
            result_ref="confirmation_ref",
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
            projection=projections.funeral_part,
            result_ref="decision_number",
            documents=("social-insurance book or number",),
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
            projection=projections.survivor_part,
            result_ref="decision_number",
            documents=("relatives' confirmation of the beneficiary",),
            requires=("death_registration",),
            target_days=5,
            target_days_verification=10,
            results=("SurvivorBenefitGranted",),
            handoff="SurvivorBenefitHandoff",
        ),
    },
    combinations=COMBINATIONS,
    deadline_days=6,
    deadline_days_verification=18,
)
