"""The hub, the runtime and the agency builder name no group: no group, step or group-specific
event type appears in their code (a new group changes none of them)."""

from __future__ import annotations

import re
from pathlib import Path

import lienthong
from lienthong.groups.registry import GROUPS

PACKAGE = Path(lienthong.__file__).parent
NEUTRAL = ("hub", "runtime", "agencies")


def group_words() -> set[str]:
    words: set[str] = set()
    for group in GROUPS.values():
        words |= {group.name, group.submission, *group.steps}
        for spec in group.steps.values():
            words |= {spec.handoff, *spec.results, spec.deployable}
    return words


def named(text: str, words: set[str]) -> set[str]:
    return {w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)}


def test_the_hub_the_runtime_and_the_agency_builder_name_no_group() -> None:
    words = group_words()
    found = {
        str(path.relative_to(PACKAGE)): hits
        for folder in NEUTRAL
        for path in sorted((PACKAGE / folder).rglob("*"))
        if path.suffix in (".py", ".html")
        and (hits := named(path.read_text(encoding="utf-8"), words))
    }
    assert found == {}


def test_the_scan_finds_a_group_word() -> None:
    assert named('handlers = {"BirthRegistered": x}', group_words()) == {"BirthRegistered"}
    assert named("the civil-registry-rekey agent", group_words()) == set()
