"""The death group's projections: each agency's handoff carries only what that agency needs."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def registration_part(submission: Record) -> Record:
    """Civil status: the deceased as declared, the declarant, the notice or statement."""
    return {
        "registering_commune": submission["registering_commune"],
        "declarant": submission["declarant"],
        "deceased_person": submission["deceased"],
        "death_notice": submission.get("death_notice"),
        "statement": submission.get("statement"),
    }


def deregistration_part(submission: Record) -> Record:
    """Commune police: only the permanent address (the deceased's identity comes from the
    death registration)."""
    return {"permanent_address": submission["deceased"].get("permanent_address")}


def has_permanent_residence(submission: Record) -> str | None:
    """Deregistration applies only where the deceased had a permanent residence (Law on
    Residence 2020, art. 24(1)(a)); otherwise the reason it does not, in both languages."""
    if submission["deceased"].get("permanent_address") is not None:
        return None
    return (
        "Người đã mất không có nơi thường trú: không có gì để xóa đăng ký thường trú. / "
        "The deceased had no permanent residence registered: there is nothing to deregister."
    )


def funeral_part(submission: Record) -> Record:
    """Social Security: the deceased's record and who organises the funeral."""
    return {"record": submission["social_insurance"], "declarant": submission["declarant"]}


def survivor_part(submission: Record) -> Record:
    """Social Security: the deceased's record and the named beneficiary."""
    return {"record": submission["social_insurance"], "beneficiary": submission["beneficiary"]}
