"""The death group's projections: each agency's handoff carries only what that agency needs.

Each returns the step's own part of its handoff; the hub adds what every handoff has (``meta``,
``dossier_date``, ``due_at``, the registered deceased once known).
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from lienthong.contracts import records

T = TypeVar("T")


class RegistrationPart(TypedDict):
    """The civil registry's part of ``DeathRegistrationHandoff``."""

    registering_commune: str
    declarant: records.Declarant
    deceased_person: records.Deceased
    death_notice: records.DeathNotice | None
    statement: str | None


class DeregistrationPart(TypedDict):
    """The commune police's part of ``ResidenceDeregistrationHandoff``."""

    permanent_address: records.Address | None


class FuneralPart(TypedDict):
    """Social Security's part of ``FuneralAllowanceHandoff``."""

    record: records.SocialInsuranceRecord
    declarant: records.Declarant


class SurvivorPart(TypedDict):
    """Social Security's part of ``SurvivorBenefitHandoff``."""

    record: records.SocialInsuranceRecord
    beneficiary: records.Beneficiary


def registration_part(submission: records.DeathDossierSubmitted) -> RegistrationPart:
    """Civil status: the deceased as declared, the declarant, the notice or statement."""
    return {
        "registering_commune": submission["registering_commune"],
        "declarant": submission["declarant"],
        "deceased_person": submission["deceased"],
        "death_notice": submission.get("death_notice"),
        "statement": submission.get("statement"),
    }


def deregistration_part(submission: records.DeathDossierSubmitted) -> DeregistrationPart:
    """Commune police: only the permanent address (the deceased's identity comes from the
    death registration)."""
    return {"permanent_address": submission["deceased"].get("permanent_address")}


def has_permanent_residence(submission: records.DeathDossierSubmitted) -> str | None:
    """Deregistration applies only where the deceased had a permanent residence (Law on
    Residence 2020, art. 24(1)(a)); otherwise the reason it does not, in both languages."""
    if submission["deceased"].get("permanent_address") is not None:
        return None
    return (
        "Người đã mất không có nơi thường trú: không có gì để xóa đăng ký thường trú. / "
        "The deceased had no permanent residence registered: there is nothing to deregister."
    )


def funeral_part(submission: records.DeathDossierSubmitted) -> FuneralPart:
    """Social Security: the deceased's record and who organises the funeral."""
    record = _section(submission.get("social_insurance"), "social_insurance")
    return {"record": record, "declarant": submission["declarant"]}


def survivor_part(submission: records.DeathDossierSubmitted) -> SurvivorPart:
    """Social Security: the deceased's record and the named beneficiary."""
    record = _section(submission.get("social_insurance"), "social_insurance")
    beneficiary = _section(submission.get("beneficiary"), "beneficiary")
    return {"record": record, "beneficiary": beneficiary}


def _section(section: T | None, name: str) -> T:
    """A section the chosen step needs (intake refuses a dossier without it)."""
    if section is None:
        raise ValueError(f"{name}: the {name.replace('_', '-')} part of the form is required")
    return section
