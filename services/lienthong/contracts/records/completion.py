"""Record types of the ``completion`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict

from lienthong.contracts.records.birth import ChildIdentity
from lienthong.contracts.records.common import Address, EventMetadata
from lienthong.contracts.records.death import DeceasedIdentity


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


class ChildIdCardIssued(TypedDict):
    """The commune police issued the identity card of a child under 6 (đã cấp thẻ căn cước)."""

    meta: EventMetadata
    card_number: str
    personal_id: str
    issued_on: dt.date
    valid_until: dt.date


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
