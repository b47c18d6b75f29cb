"""The order a group's steps run in, as one sentence derived from their declared dependencies."""

from __future__ import annotations

from typing import Any

from lienthong.domain.declaration import ProcedureGroup
from lienthong.hub.pages.text import lowered, step_label

#: How a stage of steps reads: (first stage, a later one) for one step, then for several.
ONE = {"vi": ("{x} làm trước", "sau đó {x}"), "en": ("{x} comes first", "then {x}")}
SEVERAL = {
    "vi": ("{x} làm song song trước", "sau đó {x} làm song song"),
    "en": ("{x} run in parallel first", "{x} then run in parallel"),
}
AND = {"vi": "và", "en": "and"}


def listed(names: list[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {AND[lang]} {names[-1]}"


def order_sentence(group: ProcedureGroup[Any], lang: str) -> str:
    """``A comes first; b and c then run in parallel.``: the stages of ``group.stages()``, each
    step named by its declared label."""
    lang = "en" if lang == "en" else "vi"
    clauses = []
    for index, stage in enumerate(group.stages()):
        names = [step_label(group.steps[step], lang) for step in stage]
        names = [names[0] if index == 0 else lowered(names[0]), *map(lowered, names[1:])]
        pattern = (ONE if len(names) == 1 else SEVERAL)[lang][min(index, 1)]
        clauses.append(pattern.format(x=listed(names, lang)))
    sentence = "; ".join(clauses)
    return sentence[:1].upper() + sentence[1:] + "." if sentence else ""
