"""Record types of the ``ops`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import NotRequired, TypedDict
from uuid import UUID

from lienthong.contracts.records.common import EventMetadata


class DeadLetter(TypedDict):
    """A message that could not be processed, kept whole with the reason, so nothing is lost."""

    event_id: UUID | str
    topic: str
    partition: int
    offset: int
    key: NotRequired[bytes | None]
    value: NotRequired[bytes | None]
    headers: NotRequired[dict[str, bytes]]
    deployable: str
    error_kind: str
    reason: str
    failed_at: dt.datetime


class DeskCase(TypedDict):
    """A case on an agency official's desk as its register now says: published by the agency to
    the desk topic each time the case changes or a command about it is answered, keyed by
    register key. The desk's store keeps the newest version of each case.
    """

    meta: EventMetadata
    register_key: str
    deployable: str
    step: str
    version: int
    state: str
    commune: str
    received_at: dt.datetime
    due_at: dt.datetime
    flags: list[str]
    projection: str
    claimed_by: NotRequired[str | None]
    claimed_until: NotRequired[dt.datetime | None]
    audit: str
    answer_to: NotRequired[str | None]
    answer: NotRequired[str | None]


class DossierViewed(TypedDict):
    """Someone looked at a dossier through the hub (status page, JSON API or receipt): the
    audit trail of who viewed it, as OpenCRVS keeps one. Published by the hub to the audit
    topic, keyed by dossier id.
    """

    meta: EventMetadata
    viewer: str
    channel: str
    path: str
    remote_address_hash: str
    user_agent: NotRequired[str | None]
