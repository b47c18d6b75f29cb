"""A Java subscriber built on the previous release's schemas decodes every message type of the
current release: the stock Avro library's BinaryMessageDecoder, with a SchemaStore that fetches
each writer schema it does not know from the hub (GET /schemas/{fingerprint})."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from lienthong.contracts.catalogue import SchemaEntry, aliases, default_catalogue
from lienthong.contracts.codec import HEADER_LEN, MARKER
from lienthong.contracts.governance import newest_release, unreleased
from release_schema_server import hub_schemas

JAVA = Path(__file__).parent / "java"
CATALOGUE = default_catalogue()


def _version(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def _releases() -> tuple[str, str]:
    """The previous release (the newest one whose schemas differ from the current release's)
    and the current (newest) one."""
    ordered = sorted(CATALOGUE.releases(), key=_version)
    current = ordered[-1]

    def prints(release: str) -> set[bytes]:
        return {e.fingerprint for e in CATALOGUE.releases()[release]}

    previous = next(r for r in reversed(ordered[:-1]) if prints(r) != prints(current))
    return previous, current


def example(schema: Any, named: dict[str, Any], depth: int = 0) -> Any:
    """A value of ``schema`` that fills every optional part once (the first non-null branch)."""
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"] or schema
        return example(branches[0], named, depth)
    if isinstance(schema, str):
        if schema in named:
            return example(named[schema], named, depth + 1)
        kind, schema = schema, {"type": schema}
    else:
        kind = schema["type"]
    logical = schema.get("logicalType")
    if logical == "timestamp-millis":
        return dt.datetime(2026, 12, 7, 3, 4, 5, 678000, tzinfo=dt.UTC)
    if logical == "date":
        return dt.date(2026, 12, 7)
    if logical == "uuid":
        return "00000000-0000-4000-8000-000000000007"
    if isinstance(kind, (dict, list)):
        return example(kind, named, depth)
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if kind == "record":
        return {f["name"]: example(f["type"], named, depth + 1) for f in schema["fields"]}
    simple = {
        "enum": lambda: schema["symbols"][0],
        "array": lambda: [example(schema["items"], named, depth + 1)] if depth < 6 else [],
        "map": lambda: {"k": example(schema["values"], named, depth + 1)} if depth < 6 else {},
        "string": lambda: "văn bản",
        "int": lambda: 7,
        "long": lambda: 70_000_000_000,
        "float": lambda: 0.5,
        "double": lambda: 0.25,
        "boolean": lambda: True,
        "bytes": lambda: b"\x00\x01",
        "null": lambda: None,
        "fixed": lambda: b"\x07" * schema.get("size", 0),
    }
    return simple[kind]()


def _message(entry: SchemaEntry) -> bytes:
    buffer = io.BytesIO()
    buffer.write(MARKER + entry.fingerprint)
    schemaless_writer(buffer, parse_schema(entry.expanded), example(entry.expanded, {}))
    return buffer.getvalue()


def _b64(message: bytes) -> str:
    return base64.b64encode(message).decode()


def _run(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def subscriber(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The subscriber compiled against the stock Avro library (copied from Maven Central)."""
    for tool in ("mvn", "javac", "java"):
        assert shutil.which(tool), f"{tool} is needed for the Java subscriber test"
    root = tmp_path_factory.mktemp("java")
    copy = ["-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={root / 'lib'}"]
    _run(["mvn", *copy, "-DincludeScope=runtime"], cwd=JAVA)
    classes = root / "classes"
    _run(
        [
            "javac",
            "-cp",
            f"{root / 'lib'}/*",
            "-d",
            str(classes),
            str(JAVA / "ResolvingSubscriber.java"),
        ]
    )
    return root


def test_a_java_subscriber_built_on_the_previous_release_reads_the_current_one(
    subscriber: Path, tmp_path: Path
) -> None:
    previous, current = _releases()
    assert current == newest_release(CATALOGUE) and not unreleased(CATALOGUE)
    readers = tmp_path / "readers"
    readers.mkdir()
    built = {e.full_name: e for e in CATALOGUE.releases()[previous]}
    for entry in built.values():
        (readers / f"{entry.full_name}.avsc").write_text(json.dumps(entry.expanded))
    writers = sorted(CATALOGUE.releases()[current], key=lambda e: e.full_name)
    messages = {e.full_name: _message(e) for e in writers}
    lines = [
        f"{e.full_name} {','.join(aliases(e)) or '-'} {_b64(messages[e.full_name])}"
        for e in writers
    ]
    (tmp_path / "messages").write_text("\n".join(lines) + "\n")
    classpath = f"{subscriber / 'classes'}:{subscriber / 'lib'}/*"
    with hub_schemas(tmp_path / "hub") as base:
        _run(
            [
                "java",
                "-cp",
                classpath,
                "ResolvingSubscriber",
                base,
                str(readers),
                str(tmp_path / "messages"),
                str(tmp_path / "out"),
            ]
        )
    *answers, fetched = (tmp_path / "out").read_text().splitlines()
    assert [a for a in answers if not a.startswith("OK ")] == []
    # It fetched exactly the writer schemas its build lacked, each once.
    changed = {e.fingerprint for e in writers} - {e.fingerprint for e in built.values()}
    assert fetched == f"FETCHED {len(changed)}"
    how = {}
    for writer, answer in zip(writers, answers, strict=True):
        _, reader_name, encoded, how[writer.full_name] = answer.split(" ")
        again = base64.b64decode(encoded)
        reader = built[reader_name] if how[writer.full_name] == "built" else writer
        assert again[:HEADER_LEN] == MARKER + reader.fingerprint, writer.full_name
        read_by_java = schemaless_reader(
            io.BytesIO(again[HEADER_LEN:]), parse_schema(reader.expanded), None
        )
        expected = schemaless_reader(
            io.BytesIO(messages[writer.full_name][HEADER_LEN:]),
            parse_schema(writer.expanded),
            parse_schema(reader.expanded),
        )
        assert read_by_java == expected, writer.full_name
    # Read as written only where the build has no such event, or where the current release
    # renamed it (its aliases name the old one: Avro resolves a renamed field only through the
    # reader's aliases, so the release knowingly stopped older readers of that event).
    as_written = {name for name, kind in how.items() if kind == "writer"}
    unknown = {e.full_name for e in writers if not ({e.full_name, *aliases(e)} & built.keys())}
    renamed = {e.full_name for e in writers if aliases(e)}
    assert unknown <= as_written <= unknown | renamed, as_written
    assert len(as_written) < len(writers) // 4, as_written
