"""Residence rules that change with the law, chosen by the dossier's date (a change is data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ResidenceRule:
    """What the police require for a child under 6 registered at a parent's address."""

    in_force_from: dt.date
    head_consent_required: bool
    verify_conditions: bool
    basis: str


#: Oldest first. From 2026-07-01 a child under 6 at a parent's address needs neither the head of
#: household's consent nor a check of residence conditions.
RULES: tuple[ResidenceRule, ...] = (
    ResidenceRule(dt.date(2021, 7, 1), True, True, "Law on Residence 2020, art. 20"),
    ResidenceRule(dt.date(2026, 7, 1), False, False, "amended residence rules from 2026-07-01"),
)


def rule_on(day: dt.date, rules: tuple[ResidenceRule, ...] = RULES) -> ResidenceRule:
    """The rule in force on ``day`` (the earliest rule for older dates)."""
    current = rules[0]
    for rule in rules:
        if rule.in_force_from <= day:
            current = rule
    return current
