"""Record types of the ``intake`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict

from lienthong.contracts.records.birth import Parent
from lienthong.contracts.records.common import Address, EventMetadata


class Applicant(TypedDict):
    """The person who files (người yêu cầu)."""

    full_name: str
    personal_id: str
    relationship: str
    phone: str
    email: NotRequired[str | None]


class Child(TypedDict):
    """The newborn (người được khai sinh)."""

    family_name: str
    middle_name: NotRequired[str]
    given_name: str
    born_at: dt.datetime
    sex: str
    ethnicity: str
    nationality: str
    birth_facility: str
    birth_place: Address
    hometown: str
    babies_in_birth: NotRequired[int]
    birth_order: NotRequired[int]


class BirthCertificate(TypedDict):
    """The hospital's signed electronic birth certificate (giấy chứng sinh)."""

    code: str
    facility: str
    issued_on: dt.date
    replaced_by: NotRequired[str | None]


class Declarant(TypedDict):
    """The person who declares the death (người đi khai tử)."""

    full_name: str
    personal_id: str
    relationship: str
    phone: str
    email: NotRequired[str | None]


class Deceased(TypedDict):
    """The person who died (người chết)."""

    personal_id: str
    full_name: str
    sex: str
    born_on: dt.date
    died_at: dt.datetime
    place_of_death: str
    permanent_address: NotRequired[Address | None]


class DeathNotice(TypedDict):
    """The health facility's death notice (giấy báo tử), pushed by the facility."""

    code: str
    facility: str
    issued_on: dt.date


class SocialInsuranceRecord(TypedDict):
    """The deceased's social-insurance situation, for the funeral allowance and survivor
    benefit.
    """

    social_insurance_number: str
    category: str
    compulsory_months: int


class HealthInsuranceRequest(TypedDict):
    """The health-insurance part (cấp thẻ BHYT cho trẻ em dưới 6 tuổi)."""

    clinic_code: str
    clinic_name: str


class ResidenceRequest(TypedDict):
    """The residence part of the declaration (đăng ký thường trú)."""

    parent: str
    address: Address
    head_of_household: str
    head_personal_id: str
    relationship_to_head: str
    head_consent: NotRequired[bool]


class Beneficiary(TypedDict):
    """The relative who receives the survivor benefit, as the relatives confirmed."""

    full_name: str
    personal_id: str
    relationship: str


class BirthNoticeIssued(TypedDict):
    """A health facility notifies a birth it attended (Civil Status Law 2026, in force
    2027-03-01): the facts it knows and whether the mother agreed to registration on the
    commune's initiative (đăng ký khai sinh chủ động). The dossier id derives from the birth
    certificate's code (one certificate, one dossier).
    """

    meta: EventMetadata
    facility_code: str
    facility_name: str
    certificate_code: str
    certificate_issued_on: dt.date
    born_at: dt.datetime
    birth_place: Address
    sex: str
    weight_grams: int
    babies_in_birth: NotRequired[int]
    birth_order: NotRequired[int]
    mother_name: str
    mother_personal_id: str
    mother_phone: NotRequired[str]
    registering_commune: str
    registration_consent: bool


class DeathDossierSubmitted(TypedDict):
    """An integrator (National Public Service Portal, VNeID) submits one linked death dossier
    (liên thông khai tử): death registration plus the chosen other procedures.
    """

    meta: EventMetadata
    channel: str
    submitted_at: dt.datetime
    group: NotRequired[str]
    procedures: list[str]
    registering_commune: str
    verification_needed: NotRequired[bool]
    declarant: Declarant
    deceased: Deceased
    death_notice: NotRequired[DeathNotice | None]
    statement: NotRequired[str | None]
    social_insurance: NotRequired[SocialInsuranceRecord | None]
    beneficiary: NotRequired[Beneficiary | None]


class IdentityCardRequest(TypedDict):
    """The child's identity card part (cấp thẻ căn cước cho trẻ em dưới 6 tuổi; Decree
    301/2026, as assumed).
    """

    photo_ref: str


class DossierSubmitted(TypedDict):
    """An integrator (National Public Service Portal, VNeID) submits one linked dossier for a
    newborn: the electronic declaration (form 01) covering every chosen procedure.
    """

    meta: EventMetadata
    channel: str
    submitted_at: dt.datetime
    group: NotRequired[str]
    procedures: list[str]
    registering_commune: str
    verification_needed: NotRequired[bool]
    applicant: Applicant
    child: Child
    mother: Parent
    father: NotRequired[Parent | None]
    birth_certificate: BirthCertificate
    residence: NotRequired[ResidenceRequest | None]
    health_insurance: NotRequired[HealthInsuranceRequest | None]
    delivery: NotRequired[str]
    child_id_card: NotRequired[IdentityCardRequest | None]


class DossierSupplemented(TypedDict):
    """The applicant supplies what an agency asked for (bổ sung hồ sơ)."""

    meta: EventMetadata
    step: str
    documents: list[str]
    note: NotRequired[str]


class DossierWithdrawn(TypedDict):
    """The citizen withdraws the dossier (rút hồ sơ); allowed until the first step finishes."""

    meta: EventMetadata
    reason: NotRequired[str]


class SatisfactionGiven(TypedDict):
    """The citizen answered, on the status page of a finished dossier, whether they are
    satisfied (đánh giá mức độ hài lòng). One answer per dossier; no personal data.
    """

    meta: EventMetadata
    lookup_code: str
    satisfied: bool
    reason: NotRequired[str | None]
