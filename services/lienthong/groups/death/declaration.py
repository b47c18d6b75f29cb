"""The death group's declaration (Decree 63/2024): death registration, then deregistration of
permanent residence, the funeral allowance and the survivor benefit."""

from __future__ import annotations

from lienthong.domain.declaration import ProcedureGroup, StepSpec, Words
from lienthong.groups.death import benefits, deregistration, projections, registration, review
from lienthong.groups.death.submission import COMBINATIONS, validate_death_dossier
from lienthong.limits import ADDRESS, CODE, FULL_NAME

#: The death group (Decree 63/2024). No verified deadline was found (one weak source says 6 to 18
#: working days): the targets are assumptions, the group's can be set (``group_deadline_days``,
#: the README's domain section). No verified fee rule is known: none is declared, the page says so.
GROUP = ProcedureGroup(
    name="death",
    position=2,
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
            projection=projections.registration_part,
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
            result_text={
                "DeathRegistered": {
                    "death_extract_number": CODE,
                    "deceased.full_name": FULL_NAME,
                    "deceased.personal_id": CODE,
                    "deceased.death_extract_number": CODE,
                },
            },
            decide=registration.register_death,
            review=review.DEATH_REGISTRATION,
            cancel=registration.cancel_death_registration,
            retry=registration.retry_death_registration,
            register_key=registration.deceased_key,
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
            projection=projections.deregistration_part,
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
            result_text={
                "ResidenceDeregistered": {
                    "confirmation_ref": CODE,
                    "address.province_code": CODE,
                    "address.commune_code": CODE,
                    "address.street": ADDRESS,
                },
            },
            decide=deregistration.deregister_residence,
            review=review.RESIDENCE_DEREGISTRATION,
            applies=projections.has_permanent_residence,
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
            projection=projections.funeral_part,
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
            result_text={
                "FuneralAllowanceGranted": {"decision_number": CODE, "paid_to": FULL_NAME},
            },
            decide=benefits.grant_funeral_allowance,
            review=review.FUNERAL_ALLOWANCE,
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
            projection=projections.survivor_part,
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
            result_text={
                "SurvivorBenefitGranted": {
                    "decision_number": CODE,
                    "beneficiary_name": FULL_NAME,
                    "beneficiary_personal_id": CODE,
                },
            },
            decide=benefits.grant_survivor_benefit,
            review=review.SURVIVOR_BENEFIT,
            legal_source=(
                # The article followed is the domain's reading of the 2014 law: the lump-sum
                # survivor benefit goes to the relatives of the people art. 66(1) (the funeral
                # allowance's list) names. The 2024 law's number is assumed. The decision
                # (groups.death.benefits.survivor_eligible) still pays from any
                # social-insurance record, a broader rule the existing scenarios pin: see
                # its docstring before narrowing it to art. 66(1).
                "Law on Social Insurance 2014, art. 69, referring to art. 66(1); Law on "
                "Social Insurance 2024, art. 88 (assumed number): the lump-sum survivor "
                "benefit, paid to the relative the family confirmed",
            ),
        ),
    },
    combinations=COMBINATIONS,
    deadline_days=6,
    deadline_days_verification=18,
)
