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
