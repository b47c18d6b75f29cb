"""Record types of the ``death`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import TypedDict


class DeceasedIdentity(TypedDict):
    """The deceased as the later steps of the death group need them, once the death is
    registered.
    """

    personal_id: str
    full_name: str
    died_at: dt.datetime
    death_extract_number: str
