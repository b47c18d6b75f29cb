"""The procedure groups' reference: each group's steps, owners, legal targets and legal sources,
read from the declarations (the same ones the hub, the agencies and the public notice read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lienthong.docsgen.markdown import cell, header
from lienthong.domain.declaration import ProcedureGroup


def days(same_day_or_more: int) -> str:
    return "the same working day" if same_day_or_more == 0 else f"{same_day_or_more} working days"


def step_rows(group: ProcedureGroup[Any]) -> list[str]:
    rows = [
        "| step | deployable (agency) | needs first | target (with verification) | legal source |",
        "|---" * 5 + "|",
    ]
    for name, spec in group.steps.items():
        needs = ", ".join(f"`{r}`" for r in spec.requires) or "–"
        target = f"{days(spec.target_days)} ({days(spec.target_days_verification)})"
        sources = "; ".join(spec.legal_source) or "–"
        rows.append(
            f"| `{name}`: {cell(spec.label_en)} | `{spec.deployable}` ({cell(spec.agency)}) "
            f"| {needs} | {target} | {cell(sources)} |"
        )
    return rows


def group_section(group: ProcedureGroup[Any]) -> list[str]:
    combos = "; ".join(" + ".join(sorted(c)) for c in group.combinations)
    return [
        f"## {group.name}: {cell(group.label_en or group.name)}\n",
        f"Submitted as `{group.submission}`. Legal basis: {cell(group.source)}. The whole "
        f"dossier: {days(group.deadline_days)} ({days(group.deadline_days_verification)} when "
        "verification is needed), unless `LIENTHONG_GROUP_DEADLINE_DAYS` or a province's cut "
        f"says otherwise. Allowed combinations: {cell(combos)}.\n",
        *step_rows(group),
        "",
    ]


def render(groups: Mapping[str, ProcedureGroup[Any]]) -> str:
    """The page: one section per registered group, in their order."""
    out = [
        header("the procedure groups' declarations (services/lienthong/groups/)"),
        "# Procedure groups and their legal sources\n",
        "Each group's steps as declared: who decides each, what it waits for, its legal target "
        "in working days and the articles it follows. An article marked as assumed is one we "
        "could not verify; [the legal clock](../explanation/legal-clock.md) explains how the "
        "days are counted.\n",
    ]
    for group in groups.values():
        out += group_section(group)
    return "\n".join(out)
