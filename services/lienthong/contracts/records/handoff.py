"""Record types of the ``handoff`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict

from lienthong.contracts.records.birth import ChildIdentity, Parent
from lienthong.contracts.records.common import Address, EventMetadata
from lienthong.contracts.records.death import DeceasedIdentity
from lienthong.contracts.records.intake import (
    Applicant,
    Beneficiary,
    BirthCertificate,
    Child,
    DeathNotice,
    Deceased,
    Declarant,
    HealthInsuranceRequest,
    ResidenceRequest,
    SocialInsuranceRecord,
)


class SupplementSupplied(TypedDict):
    """Documents the applicant supplied after the agency asked (hồ sơ bổ sung)."""

    documents: list[str]
    note: NotRequired[str]
    supplied_at: dt.datetime


class ChildIdCardHandoff(TypedDict):
    """Issue the identity card of a child under 6 (Decree 301/2026, as assumed): the child's
    identity and personal ID number, and the family's photo reference.
    """

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    child: ChildIdentity
    photo_ref: str
    supplement: NotRequired[SupplementSupplied | None]


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


class SurvivorBenefitHandoff(TypedDict):
    """Decide the survivor benefit: the deceased, their record and the named beneficiary."""

    meta: EventMetadata
    dossier_date: dt.date
    due_at: dt.datetime
    deceased: DeceasedIdentity
    record: SocialInsuranceRecord
    beneficiary: Beneficiary
    supplement: NotRequired[SupplementSupplied | None]
