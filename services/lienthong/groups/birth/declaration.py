"""The birth group's declaration (Decree 63/2024, art. 9 and following): birth registration with
the personal identification number, then permanent residence and the health-insurance card."""

from __future__ import annotations

from lienthong.domain.declaration import ProcedureGroup, StepSpec
from lienthong.groups.birth import projections
from lienthong.groups.birth.model import COMBINATIONS
from lienthong.groups.birth.submission import validate_record

GROUP = ProcedureGroup(
    name="birth",
    position=1,
    validate=validate_record,
    label_en="Birth, residence and health insurance, linked",
    label_vi="Liên thông khai sinh, thường trú, BHYT",
    steps={
        "civil_registry": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Birth registration",
            label_vi="Đăng ký khai sinh",
            projection=projections.civil_registry_part,
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
            projection=projections.residence_part,
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
            projection=projections.health_insurance_part,
            result_ref="card_code",
            requires=("civil_registry",),
            target_days=2,
            target_days_verification=2,
            results=("CardIssued",),
            handoff="HealthInsuranceHandoff",
        ),
    },
    combinations=COMBINATIONS,
    deadline_days=3,
    deadline_days_verification=5,
)
