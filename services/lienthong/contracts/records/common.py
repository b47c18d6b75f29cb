"""Record types of the ``common`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
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


class Address(TypedDict):
    """An address in the two-level administrative system (since 2025-07-01: province and
    commune).
    """

    province_code: str
    commune_code: str
    street: str


class Reason(TypedDict):
    """One broken rule, in words a citizen understands."""

    field: str
    code: str
    message: str


class Event(TypedDict):
    """Any event: what each has, its metadata (every record type with ``meta`` is one)."""

    meta: EventMetadata
