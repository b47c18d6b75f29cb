"""faust's private parts stay in ``runtime.faust``; an untested faust release is refused."""

from __future__ import annotations

import ast
import asyncio
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from faust import streams as faust_streams

import lienthong
from lienthong.runtime.faust import PRIVATE_NAMES, TESTED_VERSIONS, UntestedFaust, check_version
from lienthong.runtime.faust.app import GuardedApp
from lienthong.runtime.faust.events import as_current
from lienthong.runtime.faust.tables import TrackedTable

PACKAGE = Path(lienthong.__file__).parent
ADAPTER = PACKAGE / "runtime" / "faust"
FAUST_PACKAGES = ("faust", "mode", "aiokafka")
REFLECTION = ("getattr", "setattr", "hasattr", "delattr")


def package(module: str | None) -> str:
    return (module or "").split(".")[0]


def faust_names(tree: ast.Module) -> set[str]:
    """The names a module binds to faust (or mode, aiokafka) objects by importing them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FAUST_PACKAGES:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and package(node.module) in FAUST_PACKAGES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def on_self(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def private_uses(source: str) -> list[str]:
    """Each touch of a faust private name: on another object, through reflection, or on
    ``self`` (read, written or defined) in a class that derives from a faust class."""
    tree = ast.parse(source)
    imported = faust_names(tree)
    found: list[str] = []
    faust_classes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(root(b) in imported for b in node.bases)
    ]
    for cls in faust_classes:
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in PRIVATE_NAMES:
                    found.append(f"line {node.lineno}: overrides {node.name}")
            elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_NAMES and on_self(node):
                found.append(f"line {node.lineno}: self.{node.attr}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_NAMES:
            if not on_self(node):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in REFLECTION:
            for arg in node.args[1:2]:
                if isinstance(arg, ast.Constant) and arg.value in PRIVATE_NAMES:
                    found.append(f"line {node.lineno}: reflection on {arg.value!r}")
    return found


def test_no_module_outside_the_adapter_touches_a_faust_private_name() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if ADAPTER not in path.parents and (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_adapter_itself_is_where_the_private_names_are() -> None:
    # The scan would find nothing anywhere if it could not see the uses it looks for.
    found = [use for path in ADAPTER.glob("*.py") for use in private_uses(path.read_text())]
    text = " ".join(found)
    for name in ("_new_offset", "_add_gap", "_new_transport", "send_changelog", "_current_event"):
        assert name in text


@pytest.mark.parametrize(
    "source",
    [
        "def f(consumer):\n    return consumer._committed_offset\n",
        "def f(app):\n    return getattr(app, '_consumer', None)\n",
        "def f(table, g):\n    table.send_changelog = g\n",
        "from faust import streams\nstreams._current_event.set(None)\n",
        "import faust\nclass A(faust.App):\n    def _new_transport(self):\n        return 1\n",
        "from mode import Service\nclass S(Service):\n    def f(self):\n        self._thread = 1",
    ],
)
def test_the_scan_finds_each_kind_of_private_use(source: str) -> None:
    assert private_uses(source)


def test_the_scan_leaves_a_projects_own_private_attributes_alone() -> None:
    own = "class Publisher:\n    def f(self):\n        return self._producer\n"
    assert private_uses(own) == []


def test_an_untested_faust_release_is_refused_with_what_to_do() -> None:
    with pytest.raises(UntestedFaust) as refused:
        check_version("0.16.0")
    message = str(refused.value)
    assert "faust-streaming 0.16.0" in message
    assert "0.15.3" in message and "TESTED_VERSIONS" in message
    check_version("0.15.3")


def test_the_installed_release_is_a_tested_one() -> None:
    assert metadata.version("faust-streaming") in TESTED_VERSIONS


@dataclass
class Event:
    offset: int


def test_a_write_made_as_an_event_goes_to_that_events_partition() -> None:
    # faust names a table write's changelog partition after its current event.
    event, outer = Event(1), Event(2)
    token = faust_streams._current_event.set(__import__("weakref").ref(outer))
    try:
        with as_current(event):
            assert faust_streams.current_event() is event
        assert faust_streams.current_event() is outer
        with as_current(None):
            assert faust_streams.current_event() is outer
    finally:
        faust_streams._current_event.reset(token)


async def test_a_tracked_table_tells_its_listener_of_each_changelog_write() -> None:
    app = GuardedApp("adapter-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    app.loop = asyncio.get_running_loop()
    table = app.Table("counters", default=None, partitions=1)
    assert isinstance(table, TrackedTable)
    heard: list[Any] = []
    table.track_changelog(heard.append)
    sent = table.send_changelog(0, b"next", b"1")
    assert heard == [sent]
    assert isinstance(sent, asyncio.Future) and not sent.done(), "no broker acknowledged it"
