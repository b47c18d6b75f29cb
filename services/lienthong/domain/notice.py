"""What a group declares to open dossiers from a health facility's notice (Civil Status Law 2026).

A facility notifies an event it attended (a birth, a death); where the family agreed, the
commune registers it on its own initiative. The hub reads this declaration and never names the
event: it opens a dossier waiting for the family's part, matches the family's own filing to it,
and closes it visibly when nobody completes it in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lienthong.domain.screening import Limit
from lienthong.domain.words import Words

#: The group's notice record (``records.BirthNoticeIssued``).
N = TypeVar("N")
#: What the family's part looks like as it arrives from the completion link's form.
FamilyPart = Mapping[str, str]


@dataclass(frozen=True)
class NoticeSpec(Generic[N]):
    """How a group opens a dossier from a facility's notice, typed by the notice record ``N``."""

    #: The intake event type the facility publishes.
    event: str
    #: Its text, by dotted path, with its limit (the hub screens it before any decision).
    text: Mapping[str, Limit]
    #: The dossier a notice opens (one per birth certificate: twins are two).
    dossier_id: Callable[[N], str]
    #: The notice dossier a family's own submission belongs to (None: it names no certificate).
    claims: Callable[[Mapping[str, Any]], str | None]
    #: Whether the family agreed to registration on the commune's initiative.
    consent: Callable[[N], bool]
    #: The notice's own rules: the notice as the hub keeps it, or ``ValidationFailed``.
    validate: Callable[[N, dt.datetime], N]
    #: The personal ID number the population database must know (the mother's), and its field.
    person: Callable[[N], str]
    person_field: str
    #: When the event the notice reports happened (the birth): the report counts from it.
    happened_at: Callable[[N], dt.datetime]
    #: When the event a family's own filing reports happened (the birth), for the report's
    #: time from birth to registration by path.
    filing_happened_at: Callable[[Mapping[str, Any]], dt.datetime | None]
    #: The commune that registers on its initiative.
    commune: Callable[[N], str]
    #: The group's submission from the notice and the family's part (the completion link's form).
    complete: Callable[[N, FamilyPart, dt.datetime], Mapping[str, Any]]
    #: The form fields of the family's part (name, label), as the completion page asks them.
    form: tuple[tuple[str, Words], ...]
    #: What the status page says while the dossier waits for the family, and once it closed.
    waiting: Words
    expired: Words
    #: The article the path follows.
    legal_source: str = ""
