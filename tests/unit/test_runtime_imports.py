"""The package's modules import one another one way: no circle, type-only imports counted."""

from __future__ import annotations

import ast
from pathlib import Path

import lienthong

PACKAGE = Path(lienthong.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The project's modules a module imports, at run time or for type checking only
    (``from package import module`` counts as importing the module, not the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lienthong"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & modules
            found |= subs or {str(node.module)}
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lienthong"))
    return found


def graph(paths: list[Path]) -> dict[str, set[str]]:
    names = {module_name(path): path for path in paths}
    return {name: imports(path, set(names)) & set(names) - {name} for name, path in names.items()}


def circle(edges: dict[str, set[str]]) -> list[str]:
    """One circle of imports, if any (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_runtime_and_the_boundary_import_each_other_one_way() -> None:
    assert circle(graph([*(PACKAGE / "runtime").rglob("*.py")])) == []


def test_no_module_of_the_package_imports_itself_back() -> None:
    assert circle(graph([*PACKAGE.rglob("*.py")])) == []


def test_a_circle_is_found() -> None:
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": set()}) == []


#: The longest a module may grow, generated ones included (``lienthong schemas types`` writes
#: one module of record types per namespace).
MAX_LINES = 400


def long_modules(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES:
            found.append(f"{path.relative_to(root)}: {len(lines)} lines")
    return found


def test_no_module_is_over_400_lines() -> None:
    assert long_modules(PACKAGE) == []


def test_the_length_check_finds_a_long_module_generated_or_not(tmp_path: Path) -> None:
    generated = (PACKAGE / "contracts" / "records" / "intake.py").read_text(encoding="utf-8")
    (tmp_path / "intake.py").write_text(generated, encoding="utf-8")
    assert long_modules(tmp_path) == []
    long = generated + "\n" * (MAX_LINES + 1 - len(generated.splitlines()))
    (tmp_path / "records.py").write_text(long, encoding="utf-8")
    assert long_modules(tmp_path) == [f"records.py: {MAX_LINES + 1} lines"]


def test_no_two_test_modules_share_a_name() -> None:
    # The test folders are no packages: pytest imports each test module by its bare name, and a
    # second module of that name anywhere under tests/ stops the whole run at collection.
    tests = Path(__file__).resolve().parents[1]
    names = [p.name for p in tests.rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
