"""Record types of the ``birth`` contracts, for mypy: written by ``lienthong schemas types``.

Do not edit: change the schema and run the command again (a test compares this package with what
the current schemas make). See ``lienthong.contracts.typed`` for the mapping.
"""

import datetime as dt
from typing import TypedDict

from lienthong.contracts.records.common import Address


class ChildIdentity(TypedDict):
    """The registered child as later steps of the birth group need it: name, birth, sex and
    personal ID number.
    """

    full_name: str
    born_at: dt.datetime
    sex: str
    personal_id: str


class Parent(TypedDict):
    """A parent of the child (cha/mẹ)."""

    full_name: str
    date_of_birth: dt.date
    ethnicity: str
    nationality: str
    personal_id: str
    permanent_address: Address
