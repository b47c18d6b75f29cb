"""Province-approved deadline cuts as data: a numbered decision, an effective date, fewer days.

A province's People's Committee may set a shorter deadline than the law for a procedure it
handles. The statutory days (``procedures.py``) stay the default and the ceiling; a cut applies
to dossiers received on or after its effective date in that province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lienthong.domain import units
from lienthong.domain.declaration import ProcedureGroup
from lienthong.errors import DeclarationInvalid
from lienthong.groups.registry import GROUPS

#: The whole dossier's deadline (rather than one step's) in a declaration's ``step`` field.
WHOLE = "whole"


class _Decision(BaseModel):
    """One decision as declared; checked against the procedures and the units below."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    province: str = Field(min_length=2, max_length=2)
    group: str
    step: str = WHOLE
    decision: str = Field(min_length=1)
    effective: dt.date
    days: int = Field(ge=0)
    days_verification: int | None = Field(None, ge=0)


class _Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: list[_Decision] = Field(default_factory=list)


@dataclass(frozen=True)
class AppliedDeadline:
    """The working days a dossier (or a step) is held to, and the decision that set them."""

    statutory_days: int
    days: int
    decision: str | None = None
    effective: dt.date | None = None

    @property
    def cut_days(self) -> int:
        return self.statutory_days - self.days


@dataclass(frozen=True)
class DeadlineCut:
    """A province's decision: ``days`` instead of the law's for one procedure (or step)."""

    province: str
    group: str
    step: str
    decision: str
    effective: dt.date
    days: int
    days_verification: int | None = None


def statutory_days(group: ProcedureGroup[Any], step: str, verification: bool) -> int:
    """The law's working days for the whole dossier (``WHOLE``) or one step."""
    if step == WHOLE:
        return group.deadline_days_verification if verification else group.deadline_days
    spec = group.steps[step]
    return spec.target_days_verification if verification else spec.target_days


class DeadlineCuts:
    """Every declared cut, looked up by province, procedure and the day a dossier is received."""

    def __init__(self, cuts: Iterable[DeadlineCut] = ()) -> None:
        self.cuts = tuple(sorted(cuts, key=lambda c: c.effective))

    def applied(
        self,
        group: str,
        step: str,
        *,
        verification: bool,
        province: str | None,
        received_on: dt.date | None,
        law: int | None = None,
    ) -> AppliedDeadline:
        """The days in force for a dossier received on ``received_on`` in ``province``;
        ``law`` replaces the declaration's days where a setting decides them."""
        law = law or statutory_days(GROUPS[group], step, verification)
        in_force = [
            c
            for c in self.cuts
            if (c.province, c.group, c.step) == (province, group, step)
            and received_on is not None
            and c.effective <= received_on
        ]
        if not in_force:
            return AppliedDeadline(law, law)
        cut = in_force[-1]
        days = cut.days_verification if verification else cut.days
        if days is None:
            return AppliedDeadline(law, law)
        return AppliedDeadline(law, min(days, law), cut.decision, cut.effective)


#: No declaration: the statutory days everywhere.
NO_CUTS = DeadlineCuts()


def parse_cuts(data: Any, source: str = "the declaration") -> DeadlineCuts:
    """Check a declaration (``{"decisions": [...]}``) and build the lookup; errors name fields."""
    try:
        declared = _Declaration.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeclarationInvalid(f"{source}: {where}: {first['msg']}") from exc
    cuts = []
    for i, d in enumerate(declared.decisions):
        at = f"{source}: decisions.{i}"
        if units.province_name(d.province) is None:
            raise DeclarationInvalid(
                f"{at}.province: there is no province with code {d.province!r}"
            )
        group = GROUPS.get(d.group)
        if group is None:
            known = ", ".join(GROUPS)
            raise DeclarationInvalid(f"{at}.group: unknown procedure group {d.group!r} ({known})")
        if d.step != WHOLE and d.step not in group.steps:
            known = ", ".join([WHOLE, *group.steps])
            raise DeclarationInvalid(f"{at}.step: {d.step!r} is not a step of {d.group} ({known})")
        for name, days, verification in (
            ("days", d.days, False),
            ("days_verification", d.days_verification, True),
        ):
            law = statutory_days(group, d.step, verification)
            if days is not None and days > law:
                raise DeclarationInvalid(
                    f"{at}.{name}: {days} working days is longer than the law's {law}; "
                    "a province may only shorten a deadline"
                )
        cuts.append(DeadlineCut(**d.model_dump()))
    _no_twin_decisions(cuts, source)
    return DeadlineCuts(cuts)


def _no_twin_decisions(cuts: list[DeadlineCut], source: str) -> None:
    seen: set[tuple[str, str, str, dt.date]] = set()
    for c in cuts:
        key = (c.province, c.group, c.step, c.effective)
        if key in seen:
            raise DeclarationInvalid(
                f"{source}: two decisions for {c.group}/{c.step} in province {c.province} take "
                f"effect on {c.effective}; keep one"
            )
        seen.add(key)


def load_cuts(path: Path | None) -> DeadlineCuts:
    """The cuts declared in a YAML (or JSON) file; none when ``path`` is None."""
    if path is None:
        return NO_CUTS
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationInvalid(f"{path.name}: cannot read the deadline cuts ({exc})") from exc
    return parse_cuts(data or {}, path.name)
