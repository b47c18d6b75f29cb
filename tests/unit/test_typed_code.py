"""Typed records end to end: no module declares a ``Record = dict[...]`` alias, and the hub, the
groups, the agency builder and the domain annotate nothing as ``dict[str, Any]`` (a syntax-tree
scan, checked against a module made to break both rules). Each registered step's decisions read
the record type generated from the schema their event is decoded with, and every group's
submission has what the hub reads of any group's."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

import lienthong
from lienthong.contracts import records
from lienthong.domain.declaration import Submission
from lienthong.groups.registry import GROUPS, all_steps

PACKAGE = Path(lienthong.__file__).parent
#: Where no ``dict[str, Any]`` may stand for anything.
TYPED = ("hub", "groups", "agencies", "domain")
#: The pages' view models: JSON for the templates, not records (left as they are).
VIEWS = PACKAGE / "hub" / "pages"


def _is_dict_str_any(node: ast.AST) -> bool:
    """Whether ``node`` spells ``dict[str, Any]`` (also ``typing.Any``, ``Dict``)."""
    if not isinstance(node, ast.Subscript):
        return False
    base = node.value
    name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
    if name not in ("dict", "Dict") or not isinstance(node.slice, ast.Tuple):
        return False
    key, value = node.slice.elts
    key_name = key.id if isinstance(key, ast.Name) else ""
    value_name = value.id if isinstance(value, ast.Name) else getattr(value, "attr", "")
    return key_name == "str" and value_name == "Any"


def _annotations(tree: ast.AST) -> typing.Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns
        elif isinstance(node, ast.Assign):  # an alias: X = dict[str, Any]
            yield node.value


def record_aliases(source: str) -> list[int]:
    """Lines declaring ``Record = dict...`` (an alias standing in for a record)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            value = node.value
            base = value.value if isinstance(value, ast.Subscript) else value
            if "Record" in names and isinstance(base, ast.Name) and base.id in ("dict", "Dict"):
                found.append(node.lineno)
    return found


def untyped(source: str) -> list[int]:
    """Lines annotating (or aliasing) something as ``dict[str, Any]``, nested ones included."""
    lines = set()
    for annotation in _annotations(ast.parse(source)):
        for node in ast.walk(annotation):
            if _is_dict_str_any(node):
                lines.add(node.lineno)
    return sorted(lines)


def modules(*folders: str) -> list[Path]:
    roots = [PACKAGE / f for f in folders] if folders else [PACKAGE]
    return sorted(p for root in roots for p in root.rglob("*.py"))


BROKEN = """
from typing import Any

Record = dict[str, Any]


def decide(handoff: dict[str, Any], entry: Record | None) -> list[dict[str, Any]]:
    kept: dict[str, Any] = {}
    return [kept]
"""


def test_the_scan_finds_a_record_alias_and_dict_str_any_annotations() -> None:
    assert record_aliases(BROKEN) == [4]
    assert untyped(BROKEN) == [4, 7, 8]
    assert record_aliases("Record = Mapping[str, object]\n") == []
    assert untyped("def f(x: dict[str, object]) -> Mapping[str, Any]: ...\n") == []


def test_no_module_declares_a_record_alias() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in modules()
        if (lines := record_aliases(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"Record = dict aliases remain: {found}"


def test_hub_groups_agencies_and_domain_annotate_nothing_as_dict_str_any() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in modules(*TYPED)
        if VIEWS not in path.parents and (lines := untyped(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"dict[str, Any] annotations remain: {found}"


@pytest.mark.parametrize("step", sorted(all_steps()))
def test_each_decision_reads_the_record_type_of_its_handoff_schema(step: str) -> None:
    spec = all_steps()[step]
    assert spec.decide is not None
    hints = typing.get_type_hints(spec.decide)
    first = next(iter(hints))
    assert hints[first] is getattr(records, spec.handoff), (step, hints[first])
    if spec.retry is not None:
        retry = typing.get_type_hints(spec.retry)
        assert retry[next(iter(retry))] is records.WaitingRetry


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_submission_has_what_the_hub_reads(group: str) -> None:
    submitted = getattr(records, GROUPS[group].submission)
    fields = typing.get_type_hints(submitted, include_extras=True)  # NotRequired kept
    for name, kind in typing.get_type_hints(Submission, include_extras=True).items():
        assert fields.get(name) == kind, (group, name, fields.get(name), kind)
