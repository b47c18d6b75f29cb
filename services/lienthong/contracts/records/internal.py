"""Record types of the ``internal`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

from typing import TypedDict

from lienthong.contracts.records.common import EventMetadata


class DeadlineCheck(TypedDict):
    """The hub's timer asks the hub to look at one dossier's deadlines (keyed by dossier id, on
    the hub's own topic).
    """

    meta: EventMetadata


class WaitingRetry(TypedDict):
    """An agency's timer asks for another attempt at a register entry that waits on an outside
    system (the population database).
    """

    meta: EventMetadata
    register_key: str
