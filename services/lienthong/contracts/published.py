"""Every writer schema a subscriber may meet, by fingerprint: served by the hub
(``GET /schemas/{fingerprint}``) and exported as static files (``lienthong schemas export``).

A message carries only its writer schema's fingerprint (Avro single-object encoding: the
CRC-64-AVRO of the schema's parsing canonical form, eight bytes little-endian). A reader that
does not know it resolves it here: the schema whose canonical form has that fingerprint, for
every released and current schema. A fingerprint names one canonical form forever, so an answer
never changes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lienthong.contracts.catalogue import SchemaCatalogue, SchemaEntry
from lienthong.errors import SchemaError

#: A fingerprint as written in the message header and as ``lienthong schemas list`` prints it:
#: the eight bytes in hexadecimal, in the order they are written (little-endian).
FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
FINGERPRINT_RULE = (
    "16 lowercase hexadecimal digits: the CRC-64-AVRO fingerprint's eight bytes as they follow "
    "the 0xC3 0x01 marker of a message"
)
#: The listing written beside the exported schemas.
INDEX = "index.json"


def fingerprint_bytes(text: str) -> bytes:
    """The fingerprint named by ``text``; a SchemaError naming the field and the rule if not."""
    if not FINGERPRINT.match(text):
        raise SchemaError(f"fingerprint: {text[:40]!r} is not {FINGERPRINT_RULE}")
    return bytes.fromhex(text)


def writer_schema(catalogue: SchemaCatalogue, text: str) -> dict[str, object] | None:
    """The writer schema of fingerprint ``text`` (every reference inlined), or None."""
    entry = catalogue.by_fingerprint.get(fingerprint_bytes(text))
    return entry.expanded if entry is not None else None


def releases_of(catalogue: SchemaCatalogue) -> dict[bytes, list[str]]:
    """The releases each fingerprint is part of (``current`` for today's schemas)."""
    found: dict[bytes, list[str]] = {}
    for release, entries in sorted(catalogue.releases().items()):
        for entry in entries:
            found.setdefault(entry.fingerprint, []).append(release)
    for entry in catalogue:
        found.setdefault(entry.fingerprint, []).append("current")
    return found


def _document(entry: SchemaEntry) -> str:
    return json.dumps(entry.expanded, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def exported(catalogue: SchemaCatalogue) -> dict[str, str]:
    """The static folder's files by name: ``<fingerprint>.json`` for each writer schema and an
    index naming each one's event and releases."""
    releases = releases_of(catalogue)
    files = {f"{fp.hex()}.json": _document(e) for fp, e in catalogue.by_fingerprint.items()}
    index = {
        fp.hex(): {"name": e.full_name, "releases": releases.get(fp, [])}
        for fp, e in sorted(catalogue.by_fingerprint.items())
    }
    files[INDEX] = json.dumps(index, ensure_ascii=False, indent=2) + "\n"
    return files


def export(catalogue: SchemaCatalogue, folder: Path) -> list[Path]:
    """Write :func:`exported` into ``folder``, removing schema files no longer known."""
    folder.mkdir(parents=True, exist_ok=True)
    files = exported(catalogue)
    for old in folder.glob("*.json"):
        if old.name not in files:
            old.unlink()
    written = []
    for name, text in sorted(files.items()):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def stale(catalogue: SchemaCatalogue, folder: Path) -> list[str]:
    """The files of ``folder`` that differ from what :func:`export` writes (missing, changed or
    extra), by name."""
    files = exported(catalogue)
    present = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.json")}
    return sorted(
        name for name in files.keys() | present.keys() if files.get(name) != present.get(name)
    )
