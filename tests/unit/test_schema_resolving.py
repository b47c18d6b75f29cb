"""Schemas a subscriber can always resolve: every current schema is in the newest release, and
the hub serves every released and current schema by fingerprint (a fastavro subscriber reads a
message written with a schema it was not given)."""

from __future__ import annotations

import io
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from avro_strategies import records
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.contracts.catalogue import (
    RELEASED_DIR,
    SchemaCatalogue,
    SchemaEntry,
    default_catalogue,
    schema_root,
)
from lienthong.contracts.codec import HEADER_LEN, MARKER
from lienthong.contracts.governance import newest_release, release, unreleased
from lienthong.contracts.published import stale
from lienthong.settings import SOURCE_ROOT
from release_schema_server import hub_schemas

CATALOGUE = default_catalogue()
#: Every writer schema a message on a topic may carry, one per fingerprint.
WRITERS = sorted(CATALOGUE.by_fingerprint.values(), key=lambda e: e.fingerprint)


def test_every_current_schema_is_in_the_newest_release() -> None:
    newest = newest_release(CATALOGUE)
    missing = [f"{e.full_name} ({e.fingerprint.hex()})" for e in unreleased(CATALOGUE)]
    assert not missing, (
        f"not in release {newest}, so a subscriber could not resolve what main writes: "
        f"{', '.join(missing)}; cut a release (lienthong schemas release VERSION)"
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(schema_root(), root)
    return root


def test_a_changed_schema_is_unreleased_until_a_release_is_cut(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = CATALOGUE.get("DossierReceived").path.relative_to(schema_root())
    schema = json.loads((root / path).read_text())
    schema["fields"].append({"name": "added_later", "type": ["null", "string"], "default": None})
    (root / path).write_text(json.dumps(schema))
    changed = SchemaCatalogue(root)
    assert [e.name for e in unreleased(changed)] == ["DossierReceived"]
    release(changed, "99.0.0")
    assert unreleased(SchemaCatalogue(root)) == []


def test_the_newest_release_is_the_highest_version_not_the_last_name(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    newest = newest_release(CATALOGUE)
    assert newest is not None
    shutil.copytree(root / RELEASED_DIR / newest, root / RELEASED_DIR / "0.10.0")
    shutil.copytree(root / RELEASED_DIR / newest, root / RELEASED_DIR / "0.9.9")
    assert newest_release(SchemaCatalogue(root)) == "0.10.0"


def test_the_docs_folder_of_schemas_by_fingerprint_is_current() -> None:
    folder = SOURCE_ROOT / "docs" / "schemas"
    assert stale(CATALOGUE, folder) == [], "run: lienthong schemas export docs/schemas"
    names = {p.stem for p in folder.glob("*.json")} - {"index"}
    assert names == {e.fingerprint.hex() for e in WRITERS}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with hub_schemas(tmp_path_factory.mktemp("hub")) as base:
        yield base


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _fingerprint_of(schema: Any) -> str:
    """The fingerprint a subscriber computes itself from the schema it was served."""
    return str(fingerprint(to_parsing_canonical_form(parse_schema(schema)), "CRC-64-AVRO"))


def test_every_released_and_current_schema_is_served_by_its_fingerprint(hub: str) -> None:
    assert len(WRITERS) > len(CATALOGUE.current)  # older releases' schemas too
    for entry in WRITERS:
        status, headers, body = _get(f"{hub}/schemas/{entry.fingerprint.hex()}")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert "immutable" in headers["Cache-Control"]
        assert _fingerprint_of(json.loads(body)) == entry.fingerprint.hex(), entry.full_name


@pytest.mark.parametrize(
    ("text", "status", "words"),
    [
        ("00000000000000ff", 404, "no released or current schema has fingerprint"),
        ("00FF", 400, "16 lowercase hexadecimal digits"),
        ("zz00000000000000", 400, "fingerprint:"),
    ],
)
def test_an_unknown_or_malformed_fingerprint_is_told(
    hub: str, text: str, status: int, words: str
) -> None:
    answer, headers, body = _get(f"{hub}/schemas/{text}")
    assert answer == status and words in json.loads(body)["error"]
    assert headers["Cache-Control"] == "no-store"


class FastavroSubscriber:
    """A subscriber that knows no schema: it resolves each message's writer schema by the
    fingerprint in its header, once, from the hub."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.known: dict[bytes, Any] = {}
        self.fetched = 0

    def read(self, message: bytes) -> Any:
        assert message[: len(MARKER)] == MARKER
        key = message[len(MARKER) : HEADER_LEN]
        if key not in self.known:
            status, _, body = _get(f"{self.base}/schemas/{key.hex()}")
            assert status == 200
            self.known[key] = parse_schema(json.loads(body))
            self.fetched += 1
        return schemaless_reader(io.BytesIO(message[HEADER_LEN:]), self.known[key], None)


def _written(entry: SchemaEntry, record: Any) -> bytes:
    buffer = io.BytesIO()
    buffer.write(MARKER + entry.fingerprint)
    schemaless_writer(buffer, parse_schema(entry.expanded), record)
    return buffer.getvalue()


@pytest.mark.parametrize("entry", WRITERS, ids=lambda e: f"{e.name}-{e.fingerprint.hex()}")
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fastavro_reads_a_message_of_a_writer_schema_it_was_not_given(
    hub: str, entry: SchemaEntry, data: st.DataObject
) -> None:
    subscriber = FastavroSubscriber(hub)
    message = _written(entry, data.draw(records(entry.expanded)))
    expected = schemaless_reader(
        io.BytesIO(message[HEADER_LEN:]), parse_schema(entry.expanded), None
    )
    assert subscriber.read(message) == expected
    assert subscriber.read(message) == expected  # resolved once, read twice
    assert subscriber.fetched == 1
