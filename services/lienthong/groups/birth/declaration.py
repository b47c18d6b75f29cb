"""The birth group's declaration (Decree 63/2024, art. 9 and following): birth registration with
the personal identification number, then permanent residence and the health-insurance card; and
its dated versions (each dossier is held to the version of the day it counts as received)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from lienthong.contracts import records
from lienthong.domain.declaration import GroupVersion, ProcedureGroup, StepSpec, Words
from lienthong.groups.birth import (
    card,
    identity_card,
    notice,
    projections,
    registration,
    residence,
    review,
)
from lienthong.groups.birth.model import COMBINATIONS, WITH_ID_CARD
from lienthong.groups.birth.residence import ResidenceEntry
from lienthong.groups.birth.submission import validate_record
from lienthong.limits import ADDRESS, CODE, FULL_NAME, NAME

RESIDENCE: StepSpec[records.DossierSubmitted, records.ResidenceHandoff, ResidenceEntry] = StepSpec(
    agency="Commune police (residence)",
    agency_vi="Công an cấp xã (cư trú)",
    deployable="residence",
    label_en="Permanent residence registration",
    label_vi="Đăng ký thường trú",
    projection=projections.residence_part,
    result_ref="confirmation_ref",
    documents=(
        Words(
            "Nơi thường trú của cha hoặc mẹ nơi đăng ký cho trẻ, thông tin chủ hộ",
            "The parent's permanent address the child is registered at, and the head of household",
        ),
    ),
    requires=("civil_registry",),
    target_days=2,
    target_days_verification=5,
    results=("ResidenceRegistered",),
    handoff="ResidenceHandoff",
    result_text={
        "ResidenceRegistered": {
            "confirmation_ref": CODE,
            "head_of_household": NAME,
            "address.province_code": CODE,
            "address.commune_code": CODE,
            "address.street": ADDRESS,
        },
    },
    decide=residence.under(residence.LAW_2020),
    legal_source=(residence.LAW_2020.basis,),
    review=review.RESIDENCE,
)

FIRST = ProcedureGroup(
    name="birth",
    version="63/2024",
    position=1,
    validate=validate_record,
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
    notice=notice.NOTICE,
    steps={
        "civil_registry": StepSpec(
            agency="Commune People's Committee (civil status)",
            agency_vi="UBND cấp xã (hộ tịch)",
            deployable="civil-registry",
            label_en="Birth registration",
            label_vi="Đăng ký khai sinh",
            projection=projections.civil_registry_part,
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
            pending=("personal_id_pending", "personal_id"),
            result_text={
                "BirthRegistered": {
                    "registration_number": CODE,
                    "extract_ref": CODE,
                    "child.full_name": FULL_NAME,
                    "child.personal_id": CODE,
                },
                "PersonalIdIssued": {
                    "registration_number": CODE,
                    "child.full_name": FULL_NAME,
                    "child.personal_id": CODE,
                },
            },
            decide=registration.register_birth,
            retry=registration.retry_personal_id,
            register_key=registration.certificate_key,
            review=review.CIVIL_REGISTRY,
        ),
        "residence": RESIDENCE,
        "health_insurance": StepSpec(
            agency="Social Security (health insurance)",
            agency_vi="Bảo hiểm xã hội (BHYT)",
            deployable="health-insurance",
            label_en="Health-insurance card for a child under 6",
            label_vi="Cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
            projection=projections.health_insurance_part,
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
            result_text={
                "CardIssued": {
                    "social_insurance_number": CODE,
                    "card_code": CODE,
                    "clinic_code": CODE,
                },
            },
            decide=card.issue_card,
            review=review.HEALTH_INSURANCE,
        ),
    },
    combinations=COMBINATIONS,
    deadline_days=3,
    deadline_days_verification=5,
)

#: From 2026-07-01 the police no longer ask for the head of household's consent for a child under
#: 6 registered at a parent's address.
RESIDENCE_2026 = GroupVersion(
    valid_from=dt.date(2026, 7, 1),
    name="2026-07-01",
    change=Words(
        "Trẻ dưới 6 tuổi đăng ký thường trú tại nơi thường trú của cha hoặc mẹ không cần ý kiến "
        "đồng ý của chủ hộ.",
        "A child under 6 registered at a parent's permanent address needs no consent from the "
        "head of household.",
    ),
    source="Luật Cư trú 2020 as amended from 2026-07-01 (as the project was told; not read)",
    steps={
        "residence": dataclasses.replace(
            RESIDENCE,
            decide=residence.under(residence.AMENDED_2026),
            legal_source=(residence.AMENDED_2026.basis,),
        )
    },
)

#: Decree 301/2026/NĐ-CP (as assumed, not read): new declaration forms and, for a child under 6,
#: the identity card from the commune police (the deployable that owns residence), from a date
#: that is a setting.
CHILD_ID_CARD = GroupVersion(
    valid_from=identity_card.card_from(),
    name="301/2026",
    change=Words(
        "Thêm thủ tục cấp thẻ căn cước cho trẻ em dưới 6 tuổi (Công an cấp xã); tờ khai liên "
        "thông mẫu mới.",
        "The identity card for a child under 6 (commune police) joins the group; a new "
        "declaration form.",
    ),
    source="Nghị định 301/2026/NĐ-CP, sửa đổi Nghị định 63/2024/NĐ-CP (assumed: text not read)",
    steps={
        "child_id_card": StepSpec(
            agency="Commune police (identity card)",
            agency_vi="Công an cấp xã (căn cước)",
            deployable="residence",
            label_en="Identity card for a child under 6",
            label_vi="Cấp thẻ căn cước cho trẻ em dưới 6 tuổi",
            projection=projections.child_id_card_part,
            result_ref="card_number",
            documents=(
                Words(
                    "Ảnh chân dung của trẻ (tải lên Cổng Dịch vụ công hoặc VNeID)",
                    "A portrait photo of the child (uploaded to the portal or VNeID)",
                ),
            ),
            requires=("civil_registry",),
            target_days=identity_card.card_days(),
            target_days_verification=identity_card.card_days(),
            results=("ChildIdCardIssued",),
            handoff="ChildIdCardHandoff",
            result_text={"ChildIdCardIssued": {"card_number": CODE, "personal_id": CODE}},
            decide=identity_card.issue_child_id_card,
            legal_source=(
                "Nghị định 301/2026/NĐ-CP (assumed: the step, its date and target as reported)",
                "Luật Căn cước 2023, art. 19 and 21 (card for a child under 6; renewal at 14)",
            ),
        )
    },
    combinations=COMBINATIONS + WITH_ID_CARD,
    documents=(
        Words(
            "Tờ khai điện tử liên thông theo mẫu mới của Nghị định 301/2026/NĐ-CP, kê khai một "
            "lần cho các thủ tục đã chọn",
            "One electronic declaration on Decree 301/2026's new form for every procedure chosen",
        ),
    ),
)

#: The group's versions, oldest first; the registry reads the latest (its ``versions``: all).
GROUP = FIRST.amended(RESIDENCE_2026).amended(CHILD_ID_CARD)
