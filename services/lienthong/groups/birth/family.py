"""What the generated birth dossiers are made of: a family (what twins share), its people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from lienthong.contracts import records


@dataclass(frozen=True)
class Family:
    """What twins share: parents, place and day of birth, applicant, choices."""

    mother: records.Parent
    father: records.Parent | None
    facility: tuple[str, str, records.Address]
    born_at: datetime
    procedures: tuple[str, ...]
    channel: str
    applicant: records.Applicant
    residence: records.ResidenceRequest
    clinic: records.HealthInsuranceRequest


class Person(TypedDict):
    """Who a parent, a grandparent or a head of household is (a ``Parent`` is one)."""

    full_name: str
    date_of_birth: date
    personal_id: str


def copy_parent(parent: records.Parent) -> records.Parent:
    return {**parent, "permanent_address": {**parent["permanent_address"]}}


def copy_residence(residence: records.ResidenceRequest) -> records.ResidenceRequest:
    return {**residence, "address": {**residence["address"]}}
