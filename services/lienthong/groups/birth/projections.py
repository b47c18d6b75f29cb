"""The birth group's projections: each agency's handoff carries only what that agency needs.

Each returns the step's own part of its handoff; the hub adds what every handoff has (``meta``,
``dossier_date``, ``due_at``, the registered child once it is known).
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from lienthong.contracts import records

T = TypeVar("T")


class CivilRegistryPart(TypedDict):
    """The civil registry's part of ``CivilRegistryHandoff``."""

    registering_commune: str
    applicant: records.Applicant
    child: records.Child
    mother: records.Parent
    father: records.Parent | None
    birth_certificate: records.BirthCertificate


class ResidencePart(TypedDict):
    """The commune police's part of ``ResidenceHandoff``."""

    parent_role: str
    parent_full_name: str
    parent_personal_id: str
    parent_permanent_address: records.Address
    request: records.ResidenceRequest


class HealthInsurancePart(TypedDict):
    """Social Security's part of ``HealthInsuranceHandoff``."""

    province_code: str
    commune_code: str
    clinic: records.HealthInsuranceRequest


class ChildIdCardPart(TypedDict):
    """The commune police's part of ``ChildIdCardHandoff`` (the hub adds the child's identity
    and personal ID number as registered)."""

    photo_ref: str


def civil_registry_part(submission: records.DossierSubmitted) -> CivilRegistryPart:
    """Civil registry: the child, parents, applicant and birth certificate."""
    return {
        "registering_commune": submission["registering_commune"],
        "applicant": submission["applicant"],
        "child": submission["child"],
        "mother": submission["mother"],
        "father": submission["father"],
        "birth_certificate": submission["birth_certificate"],
    }


def residence_part(submission: records.DossierSubmitted) -> ResidencePart:
    """Residence: the chosen parent's identity and address, and the household (JSON-safe)."""
    request = _section(submission.get("residence"), "residence")
    parent = submission["mother"] if request["parent"] == "MOTHER" else submission["father"]
    address = (parent["permanent_address"] if parent else None) or request["address"]
    return {
        "parent_role": request["parent"],
        "parent_full_name": parent["full_name"] if parent else "",
        "parent_personal_id": parent["personal_id"] if parent else "",
        "parent_permanent_address": {**address},
        "request": {**request, "address": {**request["address"]}},
    }


def health_insurance_part(submission: records.DossierSubmitted) -> HealthInsurancePart:
    """Health insurance: where the child lives (commune, province) and the chosen clinic."""
    request = submission.get("residence")
    if request is not None:
        address = request["address"]
    else:
        address = submission["mother"]["permanent_address"]
    clinic = _section(submission.get("health_insurance"), "health_insurance")
    return {
        "province_code": address["province_code"],
        "commune_code": address["commune_code"],
        "clinic": {**clinic},
    }


def child_id_card_part(submission: records.DossierSubmitted) -> ChildIdCardPart:
    """The child's identity card: only the family's photo reference besides the identity."""
    request = _section(submission.get("child_id_card"), "child_id_card")
    return {"photo_ref": request["photo_ref"]}


def _section(section: T | None, name: str) -> T:
    """A section the chosen step needs (intake refuses a dossier without it)."""
    if section is None:
        raise ValueError(f"{name}: the {name.replace('_', '-')} part of the form is required")
    return section
