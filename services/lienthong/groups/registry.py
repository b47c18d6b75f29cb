"""The registered procedure groups: every package under ``lienthong.groups`` that declares one.

A group is a package with a ``declaration`` module whose ``GROUP`` is its declaration: adding a
package adds a group, with no edit anywhere else. Packages outside ``lienthong.groups`` (a
province's own group, a test's made-up one) are named in ``LIENTHONG_GROUPS``, comma-separated,
in every process of the pipeline.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import lienthong.groups
from lienthong.domain.declaration import REQUIRED, ProcedureGroup, StepSpec
from lienthong.settings import extra_group_packages


def _packages() -> list[str]:
    own = [
        f"{lienthong.groups.__name__}.{info.name}"
        for info in pkgutil.iter_modules(lienthong.groups.__path__)
        if info.ispkg
    ]
    return [*own, *extra_group_packages()]


def _discover() -> dict[str, ProcedureGroup[Any]]:
    groups = [importlib.import_module(f"{pkg}.declaration").GROUP for pkg in _packages()]
    found: dict[str, ProcedureGroup[Any]] = {}
    for group in sorted(groups, key=lambda g: (g.position, g.name)):
        if not isinstance(group, ProcedureGroup):
            raise TypeError(f"{group!r} is not a ProcedureGroup")
        if group.name in found:
            raise ValueError(f"group {group.name} is declared twice")
        found[group.name] = group
    return found


#: Every registered group by name, in their declared positions (birth first): each as its latest
#: version declares it, its earlier versions in ``versions`` (``on(day)`` picks one).
GROUPS: dict[str, ProcedureGroup[Any]] = _discover()


def all_steps() -> dict[str, StepSpec[Any, Any, Any]]:
    """Every declared step of every registered group, in any of its versions (a step's name is
    unique across groups)."""
    steps: dict[str, StepSpec[Any, Any, Any]] = {}
    owners: dict[str, str] = {}
    for group in GROUPS.values():
        for version in group.versions:  # a step as its latest version declares it
            for name, spec in version.steps.items():
                if owners.setdefault(name, group.name) != group.name:
                    raise ValueError(f"step {name} is declared by two groups")
                missing = [field for field in REQUIRED if not getattr(spec, field)]
                if missing:
                    raise ValueError(
                        f"step {name} of group {group.name} lacks {', '.join(missing)}"
                    )
                steps[name] = spec
    return steps


def group_of_step(step: str) -> ProcedureGroup[Any]:
    """The group that declares ``step``."""
    for group in GROUPS.values():
        if any(step in version.steps for version in group.versions):
            return group
    raise KeyError(step)
