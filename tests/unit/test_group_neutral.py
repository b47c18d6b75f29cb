"""The hub, the runtime and the agency builder name no group: no group, step or group-specific
event type appears in their code (a new group changes none of them). The common schemas name no
group, step, group event, group record or group subject either: each group's own are in
``schemas/groups/<name>/``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lienthong
from lienthong.contracts.catalogue import COMMON_DIR, GROUPS_DIR, schema_root
from lienthong.groups.registry import GROUPS

PACKAGE = Path(lienthong.__file__).parent
NEUTRAL = ("hub", "runtime", "agencies")
#: What the groups' subjects and their parts are called, in field names and words alike.
SUBJECT_WORDS = frozenset(
    {"birth", "born", "newborn", "child", "children", "mother", "father", "parent"}
    | {"death", "died", "dead", "deceased", "funeral", "survivor"}
)


def group_words() -> set[str]:
    words: set[str] = set()
    for group in GROUPS.values():
        words |= {group.name, group.submission, *group.steps}
        for spec in group.steps.values():
            words |= {spec.handoff, *spec.results, spec.deployable}
    return words


def named(text: str, words: set[str]) -> set[str]:
    return {w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)}


def type_names(folder: Path) -> set[str]:
    return {
        str(json.loads(path.read_text(encoding="utf-8"))["name"]).rsplit(".", 1)[-1]
        for path in folder.rglob("*.avsc")
    }


def group_records() -> set[str]:
    """The named types only the groups declare, each in its own folder (``ChildIdentity``...;
    not ``Step``, which each group names again to add its steps)."""
    return type_names(schema_root() / GROUPS_DIR) - type_names(schema_root() / COMMON_DIR)


def tokens(text: str) -> set[str]:
    """The words of a schema, identifiers split (``born_at``, ``ChildIdentity``), lower case."""
    return {w.lower() for w in re.findall(r"[^\W\d_]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text))}


def schema_hits(text: str) -> set[str]:
    """The group words a common schema uses: a name of the groups' (group, step, event,
    deployable, record) as it is written, or a group's or its subject's word anywhere."""
    subjects = SUBJECT_WORDS | {group.name for group in GROUPS.values()}
    return named(text, group_words() | group_records()) | (tokens(text) & subjects)


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


def test_the_common_schemas_name_no_group() -> None:
    found = {
        path.name: hits
        for path in sorted((schema_root() / COMMON_DIR).glob("*.avsc"))
        if (hits := schema_hits(path.read_text(encoding="utf-8")))
    }
    assert found == {}
    assert (schema_root() / COMMON_DIR / "Step.avsc").is_file()  # the scan read the schemas


def test_the_schema_scan_finds_group_words() -> None:
    assert schema_hits('{"name": "birth_certificate_code", "type": "string"}') == {"birth"}
    assert schema_hits('"type": "vn.lienthong.v1.common.ChildIdentity"') == {
        "ChildIdentity",
        "child",
    }
    assert schema_hits('"symbols": ["civil_registry", "other"]') == {"civil_registry"}
    assert schema_hits('"doc": "Date and time of death."') == {"death"}
    assert schema_hits('"doc": "e.g. hub, civil-registry, portal"') == {"civil-registry"}
    assert schema_hits('{"name": "EventMetadata", "doc": "What every event carries."}') == set()
