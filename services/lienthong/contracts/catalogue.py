"""Load every shipped Avro schema, inline cross-file references, index by CRC-64-AVRO."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path
from typing import Any, cast

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from lienthong.errors import SchemaError
from lienthong.places import shipped
from lienthong.settings import extra_group_packages

#: Folder (under the schema root) holding frozen copies of released schemas, one folder per release.
RELEASED_DIR = "released"
#: Folder of the named types every group shares (``common/``), and folder of each group's own
#: named types (``groups/<name>/``: its subject's records, its steps' symbols of ``Step``): they
#: are building blocks, not events.
COMMON_DIR = "common"
GROUPS_DIR = "groups"
BUILDING_BLOCKS = (COMMON_DIR, GROUPS_DIR)
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "enum", "fixed"})

Json = Any


@dataclass(frozen=True)
class SchemaEntry:
    """One event schema, self-contained (every reference inlined), with its fingerprint."""

    full_name: str
    expanded: dict[str, Json]
    parsed: dict[str, Json]
    fingerprint: bytes
    path: Path
    release: str | None

    @property
    def name(self) -> str:
        """The short name, e.g. ``DossierSubmitted``."""
        return self.full_name.rsplit(".", 1)[-1]

    @property
    def major(self) -> str:
        """The major version carried by the namespace, e.g. ``v1``."""
        return next((p for p in self.full_name.split(".") if p[:1] == "v" and p[1:].isdigit()), "")

    def canonical_form(self) -> str:
        return str(to_parsing_canonical_form(self.parsed))


@dataclass(frozen=True)
class Tree:
    """One tree of schemas loaded: its events, and every named type as the tree assembles it."""

    entries: list[SchemaEntry]
    types: dict[str, dict[str, Json]]


def schema_root() -> Path:
    """The shipped schemas: inside the installed package, else the checkout's ``schemas/``."""
    return shipped("schemas")


def extra_schema_roots() -> list[Path]:
    """The ``schemas/`` folders of the extra group packages (``LIENTHONG_GROUPS``) that have one:
    their event types join the catalogue, and an enum they declare again under the same name
    (the ``Step`` enum, with their steps) gains their symbols."""
    roots = []
    for package in extra_group_packages():
        spec = util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            if (Path(location) / "schemas").is_dir():
                roots.append(Path(location) / "schemas")
    return roots


def _full(name: str, namespace: str | None) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def normalise(node: Json, namespace: str | None) -> Json:
    """Rewrite a schema so every named type and every reference uses its full name."""
    if isinstance(node, str):
        return node if node in PRIMITIVES else _full(node, namespace)
    if isinstance(node, list):
        return [normalise(branch, namespace) for branch in node]
    if not isinstance(node, dict):
        raise SchemaError(f"unexpected schema node {node!r}")
    out = dict(node)
    kind = node.get("type")
    if kind in NAMED:
        full = _full(node["name"], node.get("namespace", namespace))
        out["name"] = full
        out.pop("namespace", None)
        namespace = full.rsplit(".", 1)[0] if "." in full else None
        if kind == "record":
            out["fields"] = [
                {**f, "type": normalise(f["type"], namespace)} for f in node.get("fields", [])
            ]
        return out
    if kind == "array":
        out["items"] = normalise(node["items"], namespace)
    elif kind == "map":
        out["values"] = normalise(node["values"], namespace)
    elif isinstance(kind, (dict, list)):
        out["type"] = normalise(kind, namespace)
    return out


def named_types(node: Json) -> Iterator[tuple[str, dict[str, Json]]]:
    """Every named type defined anywhere in a normalised schema."""
    if isinstance(node, list):
        for branch in node:
            yield from named_types(branch)
    elif isinstance(node, dict):
        if node.get("type") in NAMED:
            yield node["name"], node
        for key in ("fields", "items", "values"):
            value = node.get(key)
            if key == "fields" and isinstance(value, list):
                for field in value:
                    yield from named_types(field["type"])
            elif value is not None and key != "fields":
                yield from named_types(value)
        if isinstance(node.get("type"), (dict, list)):
            yield from named_types(node["type"])


def expand(node: Json, registry: dict[str, dict[str, Json]], defined: set[str]) -> Json:
    """Inline the first use of every named type so the schema stands alone."""
    if isinstance(node, str):
        if node in PRIMITIVES or node in defined:
            return node
        if node not in registry:
            raise SchemaError(f"reference to unknown type {node!r}")
        return expand(copy.deepcopy(registry[node]), registry, defined)
    if isinstance(node, list):
        return [expand(branch, registry, defined) for branch in node]
    out = dict(node)
    kind = node.get("type")
    if kind in NAMED:
        if node["name"] in defined:
            return node["name"]
        defined.add(node["name"])
    if kind == "record":
        out["fields"] = [
            {**f, "type": expand(f["type"], registry, defined)} for f in node["fields"]
        ]
    elif kind == "array":
        out["items"] = expand(node["items"], registry, defined)
    elif kind == "map":
        out["values"] = expand(node["values"], registry, defined)
    elif isinstance(kind, (dict, list, str)) and kind not in NAMED and kind not in PRIMITIVES:
        out["type"] = expand(kind, registry, defined)
    return out


def _read(path: Path) -> Json:
    try:
        return normalise(json.loads(path.read_text(encoding="utf-8")), None)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise SchemaError(f"{path.name}: not a readable Avro schema ({exc})") from exc


def joined(known: dict[str, Json], node: dict[str, Json]) -> dict[str, Json]:
    """An enum named again (``Step``, by each group) gains the new symbols before the first
    declaration's default: the fallback stays last, each group's symbols join in the order its
    files are read (the groups' folders in name order: birth, then death, as released up to
    0.4.0, so the assembled enum keeps its canonical form and every fingerprint)."""
    default = known.get("default")
    symbols = [s for s in known["symbols"] if s != default]
    symbols += [s for s in node["symbols"] if s not in known["symbols"]]
    return {**known, "symbols": [*symbols, *([default] if default in known["symbols"] else [])]}


def _register(registry: dict[str, dict[str, Json]], tree: Json) -> None:
    """Index a file's named types; an enum named again adds its new symbols to the first."""
    for name, node in named_types(tree):
        known = registry.get(name)
        if known is not None and known.get("type") == "enum" and node.get("type") == "enum":
            registry[name] = joined(known, node)
        else:
            registry[name] = node


def aliases(entry: SchemaEntry) -> list[str]:
    """The full names an event schema was written under before it was renamed."""
    return [_full(a, entry.full_name.rsplit(".", 1)[0]) for a in entry.expanded.get("aliases", [])]


def load_tree(root: Path, release: str | None = None, extra: tuple[Path, ...] = ()) -> Tree:
    """Load one tree of ``.avsc`` files (the current schemas or one release), and the trees of
    ``extra`` roots (groups outside the package) after it."""
    files = [
        (top, p)
        for top in (root, *extra)
        for p in sorted(top.rglob("*.avsc"))
        if RELEASED_DIR not in p.relative_to(top).parts
    ]
    trees = {path: _read(path) for _, path in files}
    registry: dict[str, dict[str, Json]] = {}
    for tree in trees.values():
        _register(registry, tree)
    entries = []
    for top, path in files:
        tree = trees[path]
        if path.relative_to(top).parts[0] in BUILDING_BLOCKS or tree.get("type") != "record":
            continue
        expanded: dict[str, Json] = expand(tree, registry, set())
        try:
            parsed = cast(dict[str, Json], fastavro.parse_schema(expanded, _write_hint=False))
        except Exception as exc:
            raise SchemaError(f"{path.name}: invalid Avro schema: {exc}") from exc
        digest = bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))
        entries.append(SchemaEntry(tree["name"], expanded, parsed, digest, path, release))
    return Tree(entries, registry)


class SchemaCatalogue:
    """Current schemas by name; every known writer schema (current, released) by fingerprint."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or schema_root()
        self.current: dict[str, SchemaEntry] = {}
        self.by_fingerprint: dict[bytes, SchemaEntry] = {}
        self.released: dict[str, list[SchemaEntry]] = {}
        released = self.root / RELEASED_DIR
        for folder in sorted(released.iterdir()) if released.is_dir() else []:
            self.released[folder.name] = load_tree(folder, folder.name).entries
            for entry in self.released[folder.name]:
                self.by_fingerprint.setdefault(entry.fingerprint, entry)
        extra = tuple(extra_schema_roots()) if root is None else ()
        tree = load_tree(self.root, extra=extra)
        #: Every named type of the current schemas, as assembled (``Step`` with every group's).
        self.types = tree.types
        for entry in tree.entries:
            self.current[entry.full_name] = entry
            # The newest wins when only docs or defaults changed (same canonical form).
            self.by_fingerprint[entry.fingerprint] = entry
        if not self.current:
            raise SchemaError(f"no schemas found under {self.root}")
        self._short = {e.name: e for e in self.current.values()}
        #: A renamed event's current schema under each name it had (its ``aliases``).
        self._renamed = {old: e for e in self.current.values() for old in aliases(e)}

    def get(self, name: str) -> SchemaEntry:
        """A current schema by full or short name."""
        entry = self.current.get(name) or self._short.get(name)
        if entry is None:
            raise SchemaError(f"no schema named {name!r}; known: {', '.join(sorted(self._short))}")
        return entry

    def successor(self, full_name: str) -> SchemaEntry | None:
        """The current schema of the event once written as ``full_name``: under that name, or
        renamed since (the old name among its aliases); None when it was removed."""
        return self.current.get(full_name) or self._renamed.get(full_name)

    def reader_for(self, writer: SchemaEntry) -> SchemaEntry:
        """The schema a message written with ``writer`` is read as: its current version (the
        writer itself when it has none)."""
        return self.successor(writer.full_name) or writer

    def releases(self) -> dict[str, list[SchemaEntry]]:
        """Released versions by release folder."""
        return dict(self.released)

    def __iter__(self) -> Iterator[SchemaEntry]:
        return iter(sorted(self.current.values(), key=lambda e: e.full_name))


@cache
def default_catalogue() -> SchemaCatalogue:
    """The catalogue of the shipped schemas, loaded once per process."""
    return SchemaCatalogue()
