"""The Avro contracts' record types, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this file with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict
from uuid import UUID


class EventMetadata(TypedDict):
    """What every Lienthong event carries about itself."""

    event_id: UUID | str
    dossier_id: str
    occurred_at: dt.datetime
    producer: str
    causation_id: NotRequired[UUID | str | None]


class ChildIdentity(TypedDict):
    """The registered child as later steps of the birth group need it: name, birth, sex and
    personal ID number.
    """

    full_name: str
    born_at: dt.datetime
    sex: str
    personal_id: str


class BirthRegistered(TypedDict):
    """The commune registered the birth (đã đăng ký khai sinh) and the child has a personal ID
    number.
    """

    meta: EventMetadata
    registration_number: str
    registered_on: dt.date
    child: ChildIdentity
    extract_ref: str
    personal_id_pending: NotRequired[bool]


class CardIssued(TypedDict):
    """Social Security issued the child's health-insurance card (đã cấp thẻ BHYT)."""

    meta: EventMetadata
    social_insurance_number: str
    card_code: str
    valid_from: dt.date
    valid_until: dt.date
    clinic_code: str


class CorrectionRequested(TypedDict):
    """A later agency found a fault caused by an earlier step and returns the dossier to that
    step's agency, not to the citizen.
    """

    meta: EventMetadata
    step: str
    target_step: str
    reason: str


class DeadlineExtended(TypedDict):
    """A late agency apologises and sets a new date (xin lỗi và hẹn lại ngày trả kết quả)."""

    meta: EventMetadata
    step: str
    new_due_at: dt.datetime
    apology: str


class DeceasedIdentity(TypedDict):
    """The deceased as the later steps of the death group need them, once the death is
    registered.
    """

    personal_id: str
    full_name: str
    died_at: dt.datetime
    death_extract_number: str


class DeathRegistered(TypedDict):
    """The commune registered the death (đã đăng ký khai tử) and marked the personal ID as
    deceased in the population database.
    """

    meta: EventMetadata
    death_extract_number: str
    registered_on: dt.date
    deceased: DeceasedIdentity


class FuneralAllowanceGranted(TypedDict):
    """Social Security granted the funeral allowance (trợ cấp mai táng)."""

    meta: EventMetadata
    decision_number: str
    category: str
    paid_to: str


class PersonalIdIssued(TypedDict):
    """The population database issued the child's personal ID number after the birth was
    registered with it pending.
    """

    meta: EventMetadata
    registration_number: str
    child: ChildIdentity
    attempts: int


class Address(TypedDict):
    """An address in the two-level administrative system (since 2025-07-01: province and
    commune).
    """

    province_code: str
    commune_code: str
    street: str


class ResidenceDeregistered(TypedDict):
    """The commune police deregistered the deceased's permanent residence (đã xóa đăng ký
    thường trú).
    """

    meta: EventMetadata
    confirmation_ref: str
    deregistered_on: dt.date
    address: Address


class ResidenceRegistered(TypedDict):
    """The commune police registered the child's permanent residence (đã đăng ký thường trú)."""

    meta: EventMetadata
    confirmation_ref: str
    registered_on: dt.date
    address: Address
    head_of_household: str


class StepDeferred(TypedDict):
    """An agency cannot decide its step yet: an outside system it must ask first (the
    population database) did not answer. It keeps the handoff and asks again by itself, with
    growing delays; the hub shows the step waiting until the agency's answer comes.
    """

    meta: EventMetadata
    step: str
    waiting_for: str
    message: str


class StepRejected(TypedDict):
    """An agency refuses its step, with a reason (từ chối, nêu rõ lý do)."""

    meta: EventMetadata
    step: str
    reason_code: str
    reason: str
    duplicate_of: NotRequired[str | None]


class SupplementRequested(TypedDict):
    """An agency asks the applicant for more documents (yêu cầu bổ sung hồ sơ)."""

    meta: EventMetadata
    step: str
    missing: list[str]
    message: str


class SurvivorBenefitGranted(TypedDict):
    """Social Security granted the survivor benefit (trợ cấp tuất) to the named relative."""

    meta: EventMetadata
    decision_number: str
    beneficiary_name: str
    beneficiary_personal_id: str


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


class Parent(TypedDict):
    """A parent of the child (cha/mẹ)."""

    full_name: str
    date_of_birth: dt.date
    ethnicity: str
    nationality: str
    personal_id: str
    permanent_address: Address


class BirthCertificate(TypedDict):
    """The hospital's signed electronic birth certificate (giấy chứng sinh)."""

    code: str
    facility: str
    issued_on: dt.date
    replaced_by: NotRequired[str | None]


class SupplementSupplied(TypedDict):
    """Documents the applicant supplied after the agency asked (hồ sơ bổ sung)."""

    documents: list[str]
    note: NotRequired[str]
    supplied_at: dt.datetime


class CivilRegistryHandoff(TypedDict):
    """Register this birth: what the commune civil-status officer needs (child, parents,
    applicant, birth certificate) and nothing more.
    """

    meta: EventMetadata
    registering_commune: str
    dossier_date: dt.date
    due_at: dt.datetime
    applicant: Applicant
    child: Child
    mother: Parent
    father: NotRequired[Parent | None]
    birth_certificate: BirthCertificate
    supplement: NotRequired[SupplementSupplied | None]
    correction: NotRequired[str | None]


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


class DeathRegistrationHandoff(TypedDict):
    """Register the death: the deceased, the declarant, the death notice or statement."""

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    registering_commune: str
    declarant: Declarant
    deceased_person: Deceased
    death_notice: NotRequired[DeathNotice | None]
    statement: NotRequired[str | None]
    supplement: NotRequired[SupplementSupplied | None]
    correction: NotRequired[str | None]


class SocialInsuranceRecord(TypedDict):
    """The deceased's social-insurance situation, for the funeral allowance and survivor
    benefit.
    """

    social_insurance_number: str
    category: str
    compulsory_months: int


class FuneralAllowanceHandoff(TypedDict):
    """Decide the funeral allowance: the deceased and their social-insurance record."""

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    deceased: DeceasedIdentity
    record: SocialInsuranceRecord
    declarant: Declarant
    supplement: NotRequired[SupplementSupplied | None]


class HandoffCancelled(TypedDict):
    """The citizen withdrew the dossier: the agency holding this step must not act on it (hủy
    chuyển hồ sơ).
    """

    meta: EventMetadata
    step: str
    reason: str
    birth_certificate_code: NotRequired[str | None]
    personal_id: NotRequired[str | None]
    register_key: NotRequired[str | None]


class HealthInsuranceRequest(TypedDict):
    """The health-insurance part (cấp thẻ BHYT cho trẻ em dưới 6 tuổi)."""

    clinic_code: str
    clinic_name: str


class HealthInsuranceHandoff(TypedDict):
    """Issue the child's first health-insurance card: the child's identity and ID number,
    commune and province, the chosen clinic.
    """

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    child: ChildIdentity
    province_code: str
    commune_code: str
    clinic: HealthInsuranceRequest
    supplement: NotRequired[SupplementSupplied | None]


class ResidenceDeregistrationHandoff(TypedDict):
    """Deregister the deceased's permanent residence: the deceased and their permanent address,
    if any.
    """

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    deceased: DeceasedIdentity
    permanent_address: NotRequired[Address | None]
    supplement: NotRequired[SupplementSupplied | None]


class ResidenceRequest(TypedDict):
    """The residence part of the declaration (đăng ký thường trú)."""

    parent: str
    address: Address
    head_of_household: str
    head_personal_id: str
    relationship_to_head: str
    head_consent: NotRequired[bool]


class ResidenceHandoff(TypedDict):
    """Register the child's permanent residence: the child's identity and ID number, the chosen
    parent's address and household.
    """

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    child: ChildIdentity
    parent_role: str
    parent_full_name: str
    parent_personal_id: str
    parent_permanent_address: Address
    request: ResidenceRequest
    supplement: NotRequired[SupplementSupplied | None]


class Beneficiary(TypedDict):
    """The relative who receives the survivor benefit, as the relatives confirmed."""

    full_name: str
    personal_id: str
    relationship: str


class SurvivorBenefitHandoff(TypedDict):
    """Decide the survivor benefit: the deceased, their record and the named beneficiary."""

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    deceased: DeceasedIdentity
    record: SocialInsuranceRecord
    beneficiary: Beneficiary
    supplement: NotRequired[SupplementSupplied | None]


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


class DeadlineCheck(TypedDict):
    """The hub's timer asks the hub to look at one dossier's deadlines (keyed by dossier id, on
    the hub's own topic).
    """

    meta: EventMetadata


class DeskAction(TypedDict):
    """An agency official's command about a case waiting on the desk (claim, release, approve,
    refuse, ask for a supplement). The desk publishes it to the agency's handoff topic,
    keyed as the case's register entry; the agency decides it from its register through its
    checkpoint, so a retried command changes nothing twice.
    """

    meta: EventMetadata
    register_key: str
    step: str
    action: str
    official: str
    reason_code: NotRequired[str | None]
    reason: NotRequired[str | None]


class WaitingRetry(TypedDict):
    """An agency's timer asks for another attempt at a register entry that waits on an outside
    system (the population database).
    """

    meta: EventMetadata
    register_key: str


class DeadLetter(TypedDict):
    """A message that could not be processed, kept whole with the reason, so nothing is lost."""

    event_id: UUID | str
    topic: str
    partition: int
    offset: int
    key: NotRequired[bytes | None]
    value: NotRequired[bytes | None]
    headers: NotRequired[dict[str, bytes]]
    deployable: str
    error_kind: str
    reason: str
    failed_at: dt.datetime


class DeskCase(TypedDict):
    """A case on an agency official's desk as its register now says: published by the agency to
    the desk topic each time the case changes or a command about it is answered, keyed by
    register key. The desk's store keeps the newest version of each case.
    """

    meta: EventMetadata
    register_key: str
    deployable: str
    step: str
    version: int
    state: str
    commune: str
    received_at: dt.datetime
    due_at: dt.datetime
    flags: list[str]
    projection: str
    claimed_by: NotRequired[str | None]
    claimed_until: NotRequired[dt.datetime | None]
    audit: str
    answer_to: NotRequired[str | None]
    answer: NotRequired[str | None]


class DossierViewed(TypedDict):
    """Someone looked at a dossier through the hub (status page, JSON API or receipt): the
    audit trail of who viewed it, as OpenCRVS keeps one. Published by the hub to the audit
    topic, keyed by dossier id.
    """

    meta: EventMetadata
    viewer: str
    channel: str
    path: str
    remote_address_hash: str
    user_agent: NotRequired[str | None]


class ProcedureOutcome(TypedDict):
    """The outcome of one procedure."""

    step: str
    outcome: str
    result_ref: NotRequired[str | None]
    reason: NotRequired[str | None]


class DossierFinished(TypedDict):
    """Every chosen step has finished; the outcome is given per procedure (partial success is
    explicit).
    """

    meta: EventMetadata
    outcome: str
    procedures: list[ProcedureOutcome]
    on_time: bool
    due_at: dt.datetime


class DossierOverdue(TypedDict):
    """A step missed its legal date (quá hạn): names the step and the agency at fault. Sent
    once per missed date.
    """

    meta: EventMetadata
    step: str
    agency: str
    due_at: dt.datetime
    message: str


class DossierReceived(TypedDict):
    """The hub accepted the dossier as complete: receipt (giấy tiếp nhận), due date (ngày hẹn
    trả) and lookup code.
    """

    meta: EventMetadata
    receipt_number: str
    lookup_code: str
    received_on: dt.date
    due_at: dt.datetime
    procedures: list[str]
    status_url: str
    group: NotRequired[str]
    registering_commune: NotRequired[str]
    statutory_days: NotRequired[int | None]
    deadline_days: NotRequired[int | None]
    deadline_decision: NotRequired[str | None]


class Reason(TypedDict):
    """One broken rule, in words a citizen understands."""

    field: str
    code: str
    message: str


class DossierRejected(TypedDict):
    """The hub refused the dossier at intake (từ chối tiếp nhận): one reason per broken rule."""

    meta: EventMetadata
    reasons: list[Reason]


class DueDateChanged(TypedDict):
    """The due date moved: a late agency set a new date with an apology, or a supplement
    restarted the clock.
    """

    meta: EventMetadata
    step: NotRequired[str | None]
    due_at: dt.datetime
    message: str


class SatisfactionRecorded(TypedDict):
    """The hub recorded a citizen's one answer on a finished dossier: satisfied or not, with an
    optional reason. Carries no personal data.
    """

    meta: EventMetadata
    satisfied: bool
    reason: NotRequired[str | None]
    group: str
    registering_commune: str
    on_time: NotRequired[bool | None]


class StepFinished(TypedDict):
    """An agency finished its step, done or refused."""

    meta: EventMetadata
    step: str
    outcome: str
    result_ref: NotRequired[str | None]
    reason: NotRequired[str | None]
    on_time: NotRequired[bool]


class StepHandedOff(TypedDict):
    """The hub handed a step to its agency (chuyển hồ sơ)."""

    meta: EventMetadata
    step: str
    agency: str
    due_at: dt.datetime


class StepWaiting(TypedDict):
    """A step waits on something outside the citizen's hands (the personal ID number, a
    correction by an earlier agency, an outside system's answer); shown so nobody wonders.
    """

    meta: EventMetadata
    step: str
    waiting_for: str
    message: str


class SupplementAwaited(TypedDict):
    """An agency asked for more documents; the applicant must act by respond_by or the dossier
    is rejected (yêu cầu bổ sung).
    """

    meta: EventMetadata
    step: str
    agency: str
    missing: list[str]
    message: str
    respond_by: dt.datetime


class WithdrawalAnswered(TypedDict):
    """The hub's answer to a withdrawal: accepted (the dossier ends as withdrawn) or refused
    with a reason.
    """

    meta: EventMetadata
    accepted: bool
    reason: NotRequired[str]


class Event(TypedDict):
    """Any event: what each has, its metadata (every record type with ``meta`` is one)."""

    meta: EventMetadata
