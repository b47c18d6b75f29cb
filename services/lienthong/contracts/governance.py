"""Schema governance: every change within a major version must stay compatible with its release."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from lienthong.contracts.catalogue import (
    BUILDING_BLOCKS,
    RELEASED_DIR,
    SchemaCatalogue,
    SchemaEntry,
)


@dataclass(frozen=True)
class Finding:
    """The verdict on one schema against one released version."""

    name: str
    release: str
    direction: str
    compatible: bool
    detail: str


def _avro(entry: SchemaEntry) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(entry.expanded))


def _check(reader: SchemaEntry, writer: SchemaEntry) -> tuple[bool, str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(  # type: ignore[no-untyped-call]
        reader=_avro(reader), writer=_avro(writer)
    )
    ok = result.compatibility is SchemaCompatibilityType.compatible
    detail = "; ".join(
        f"{m} at {'/'.join(result.locations) or '/'}" for m in sorted(result.messages)
    )
    return ok, detail


def _version(release: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in release.split("."))


def check_compatibility(catalogue: SchemaCatalogue) -> list[Finding]:
    """Full compatibility (backward and forward) of each current schema with the newest release,
    backward compatibility with every older one.

    Every message ever written stays readable (backward, all releases: their writer schemas
    stay in the catalogue by fingerprint); readers of the newest release read what is written
    now (forward, newest). A release may knowingly stop older readers from reading new data,
    e.g. a new procedure group's steps in the ``Step`` enum (which since 0.2.0 has a default
    symbol, so later groups no longer do): that is what cutting a release records. A renamed
    event is checked against what it was released as (its ``aliases`` name it).
    """
    findings = []
    releases = sorted(catalogue.releases().items(), key=lambda item: _version(item[0]))
    newest = releases[-1][0] if releases else None
    for release, entries in releases:
        for old in sorted(entries, key=lambda e: e.full_name):
            new = catalogue.successor(old.full_name)
            if new is None:
                findings.append(
                    Finding(old.full_name, release, "removed", False, "schema was removed")
                )
                continue
            directions = [("backward", new, old)]
            if release == newest:
                directions.append(("forward", old, new))
            for direction, reader, writer in directions:
                ok, detail = _check(reader, writer)
                findings.append(Finding(old.full_name, release, direction, ok, detail))
    return findings


def newest_release(catalogue: SchemaCatalogue) -> str | None:
    """The newest release by version number (0.10.0 after 0.9.0), None before the first."""
    return max(catalogue.releases(), key=_version, default=None)


def unreleased(catalogue: SchemaCatalogue) -> list[SchemaEntry]:
    """The current schemas whose fingerprint the newest release lacks: a message written with
    one could not be resolved by a subscriber that knows only released schemas."""
    newest = newest_release(catalogue)
    released = {e.fingerprint for e in catalogue.releases().get(newest, [])} if newest else set()
    return [entry for entry in catalogue if entry.fingerprint not in released]


def release(catalogue: SchemaCatalogue, version: str) -> Path:
    """Freeze the current schemas as release ``version``, what later changes are checked against."""
    target = catalogue.root / RELEASED_DIR / version
    if target.exists():
        raise FileExistsError(f"release {version} already exists at {target.name}")
    for entry in catalogue:
        relative = entry.path.relative_to(catalogue.root)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.path, target / relative)
    for folder in BUILDING_BLOCKS:
        if (catalogue.root / folder).is_dir():
            shutil.copytree(catalogue.root / folder, target / folder)
    return target
