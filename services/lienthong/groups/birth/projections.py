"""The birth group's projections: each agency's handoff carries only what that agency needs."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def civil_registry_part(submission: Record) -> Record:
    """Civil registry: the child, parents, applicant and birth certificate."""
    return {
        "registering_commune": submission["registering_commune"],
        "applicant": submission["applicant"],
        "child": submission["child"],
        "mother": submission["mother"],
        "father": submission["father"],
        "birth_certificate": submission["birth_certificate"],
    }


def residence_part(submission: Record) -> Record:
    """Residence: the chosen parent's identity and address, and the household (JSON-safe)."""
    request = submission["residence"]
    parent = submission["mother"] if request["parent"] == "MOTHER" else submission["father"]
    parent = parent or {}
    return {
        "parent_role": request["parent"],
        "parent_full_name": parent.get("full_name", ""),
        "parent_personal_id": parent.get("personal_id", ""),
        "parent_permanent_address": dict(parent.get("permanent_address") or request["address"]),
        "request": dict(request, address=dict(request["address"])),
    }


def health_insurance_part(submission: Record) -> Record:
    """Health insurance: where the child lives (commune, province) and the chosen clinic."""
    request = submission.get("residence")
    if request is not None:
        address = request["address"]
    else:
        address = submission["mother"]["permanent_address"]
    return {
        "province_code": address["province_code"],
        "commune_code": address["commune_code"],
        "clinic": dict(submission["health_insurance"]),
    }
