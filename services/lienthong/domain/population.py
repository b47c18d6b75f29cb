"""The National Population Database as a port of civil registry, with an embedded default.

The real database issues the child's personal ID number during birth registration and is known to
fail or answer late. The embedded default answers at once, unless a plan file (a JSON object,
the ``population_db_plan`` setting) tells it to misbehave:

    {"unavailable_until": "2026-12-01T09:00:00+07:00",   # refuse every request until then
     "wrong_sex_for": ["DVC-2026-000001-ab12"],          # issue a number with the wrong sex digit
     "never_issued": ["001085000123"]}                   # personal IDs a look-up does not know

Any other personal ID is known to a look-up: the embedded default keeps no population of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Protocol

from lienthong.domain.identifiers import SEXES, personal_id
from lienthong.errors import LienthongError


class PopulationUnavailable(LienthongError):
    """The population database did not answer this time (no number issued, no look-up);
    try again later."""


class PopulationDatabase(Protocol):
    """Issues personal ID numbers, looks them up (both raise PopulationUnavailable when the
    database cannot answer) and records deaths."""

    def look_up(self, personal_id: str, at: dt.datetime) -> bool:
        """Whether the database ever issued ``personal_id``."""
        ...

    def mark_deceased(self, personal_id: str, died_on: dt.date) -> None: ...

    def revoke_death(self, personal_id: str) -> None:
        """Undo ``mark_deceased`` (a death registration revoked after a withdrawal)."""
        ...

    def deceased_on(self, personal_id: str) -> dt.date | None: ...

    def issue(
        self,
        dossier_id: str,
        province: str,
        sex: str,
        born_on: dt.date,
        serial: int,
        at: dt.datetime,
        *,
        correcting: bool = False,
    ) -> str: ...


class EmbeddedPopulationDatabase:
    """Derives the number from the province, sex, year and an allocated serial."""

    def __init__(self, plan: Path | None = None) -> None:
        self.plan = plan
        #: Personal IDs marked deceased, with the date of death (this process's memory: the
        #: civil-registry register, keyed by personal ID, is what makes a duplicate visible).
        self.deceased: dict[str, dt.date] = {}

    def look_up(self, personal_id: str, at: dt.datetime) -> bool:
        plan = self._plan()
        self._answer(plan, at)
        unknown = plan.get("never_issued")
        return not (isinstance(unknown, list) and personal_id in unknown)

    def mark_deceased(self, personal_id: str, died_on: dt.date) -> None:
        self.deceased.setdefault(personal_id, died_on)

    def revoke_death(self, personal_id: str) -> None:
        self.deceased.pop(personal_id, None)

    def deceased_on(self, personal_id: str) -> dt.date | None:
        return self.deceased.get(personal_id)

    @staticmethod
    def _answer(plan: dict[str, object], at: dt.datetime) -> None:
        """Raise PopulationUnavailable while the plan says the database is down."""
        until = plan.get("unavailable_until")
        if isinstance(until, str) and at < dt.datetime.fromisoformat(until):
            raise PopulationUnavailable("the population database did not answer")

    def _plan(self) -> dict[str, object]:
        if self.plan is None or not self.plan.exists():
            return {}
        data = json.loads(self.plan.read_text() or "{}")
        return data if isinstance(data, dict) else {}

    def issue(
        self,
        dossier_id: str,
        province: str,
        sex: str,
        born_on: dt.date,
        serial: int,
        at: dt.datetime,
        *,
        correcting: bool = False,
    ) -> str:
        plan = self._plan()
        self._answer(plan, at)
        wrong = plan.get("wrong_sex_for")
        if not correcting and isinstance(wrong, list) and dossier_id in wrong:
            sex = SEXES[1 - SEXES.index(sex)]
        return personal_id(province, sex, born_on.year, serial)
