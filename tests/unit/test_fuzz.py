"""Hostile input: random and mutated bytes into the codec, huge, deep and wrong-typed values into
intake validation. Only our errors come out (ContractError, ValidationFailed or a list of
reasons), quickly; the interesting cases are kept in ``fuzz_corpus/`` and replayed every run.
A few thousand inputs of ``make fuzz`` (``fuzzing.py``) run here too, through the hub's decisions.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import time
from pathlib import Path
from typing import Any

import fuzzing
import pytest
from avro_strategies import records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.client.publisher import group_of
from lienthong.contracts.catalogue import default_catalogue
from lienthong.contracts.codec import HEADER_LEN, MARKER, AvroCodec, Decoded
from lienthong.errors import ContractError, Reason, RecordMismatch, ValidationFailed
from lienthong.groups.birth.model import parse_submission, to_json
from lienthong.groups.birth.submission import check_submission
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.registry import GROUPS

CODEC = AvroCodec()
ENTRIES = list(default_catalogue())
FINGERPRINTS = sorted({entry.fingerprint for entry in ENTRIES})
CORPUS = Path(__file__).parent / "fuzz_corpus"
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
(DOSSIER,) = generate(1, seed=4242, twins_share=0.0, start=NOW - dt.timedelta(days=2), live=True)
RECORD = DOSSIER.record
DOCUMENT = to_json(RECORD)
#: Every input must be answered within this many seconds of CPU time (a hang is a partition
#: standing still). CPU time, not the wall clock: a backtracking pattern or a huge count burns
#: CPU, while other processes on a busy machine only stretch the wall clock (no deadline of
#: hypothesis's, which reads the wall clock: each check below reads the CPU time).
QUICK = 2.0
MB = 1 << 20
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def decode_or_refuse(data: bytes) -> Decoded | None:
    """Decode; None when the codec refused with one of our errors (anything else escapes)."""
    began = time.process_time()
    try:
        decoded = CODEC.decode(data)
    except ContractError as exc:
        assert str(exc), "a refusal must say why"
        return None
    finally:
        assert time.process_time() - began < QUICK, "decoding took too long"
    if decoded.name == "DossierSubmitted":
        assert_only_reasons(check_submission(decoded.record, NOW))
    return decoded


def assert_only_reasons(found: object) -> None:
    assert isinstance(found, list)
    assert all(isinstance(r, Reason) and r.field and r.code and r.message for r in found)


def validate(document: object) -> list[Reason]:
    """Intake validation of anything: ValidationFailed with reasons, or a list of reasons."""
    began = time.process_time()
    try:
        dossier = parse_submission(document)
    except ValidationFailed as exc:
        assert_only_reasons(exc.reasons)
        assert exc.reasons
        reasons = exc.reasons
    else:
        reasons = check_submission(dossier.to_record(), NOW)
        assert_only_reasons(reasons)
    if isinstance(document, dict):
        assert_only_reasons(check_submission(document, NOW))
    assert time.process_time() - began < QUICK * 5, "validation took too long"
    return reasons


# -- The codec -----------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_are_refused_with_our_errors(data: bytes) -> None:
    decode_or_refuse(data)


@FUZZ
@given(st.sampled_from(FINGERPRINTS), st.binary(max_size=600))
def test_random_bodies_behind_known_fingerprints(fingerprint: bytes, body: bytes) -> None:
    decode_or_refuse(MARKER + fingerprint + body)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with bytes flipped, cut, added, or a huge length/count varint spliced in."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "extend", "insert", "delete", "varint"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del out[at:]
        elif kind == "extend":
            out += draw(st.binary(min_size=1, max_size=64))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 16))]
        else:  # zig-zag varints: the largest long, the smallest, -1, a huge count
            varint = draw(
                st.sampled_from([b"\xfe" + b"\xff" * 8 + b"\x01", b"\xff" * 9 + b"\x01", b"\x01"])
            )
            out[at:at] = varint
    return bytes(out)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.name}-{e.release or 'current'}")
@FUZZ
@given(data=st.data())
def test_mutated_encodings_of_every_schema(entry: Any, data: st.DataObject) -> None:
    encoded = CODEC.encode(entry.full_name, data.draw(records(entry.expanded), label="record"))
    body = data.draw(mutated(encoded[HEADER_LEN:]), label="mutated body")
    decode_or_refuse(encoded[:HEADER_LEN] + body)
    decode_or_refuse(data.draw(mutated(encoded), label="mutated message"))


# -- Intake validation ---------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, str(index)))
    return found


def _with(document: Any, path: tuple[str, ...], value: Any) -> Any:
    document = copy.deepcopy(document)
    target = document
    for part in path[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(path[-1])] = value
    else:
        target[path[-1]] = value
    return document


PATHS = _paths(DOCUMENT)


def _value_at(document: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


TEXT_PATHS = [p for p in PATHS if isinstance(_value_at(DOCUMENT, p), str)]
#: A megabyte of text shaped to hurt: plain, digits, a backtracking trap, odd characters.
HUGE_TEXTS = {
    "letters": "a" * MB,
    "digits": "0" * MB,
    "dots-and-ats": "a@" + "a." * (MB // 2) + "@",
    "spaces-and-nul": (" \x00\u00a0" * (MB // 3)),
}


def _nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("path", TEXT_PATHS, ids=".".join)
def test_a_megabyte_in_any_text_field(path: tuple[str, ...]) -> None:
    for text in HUGE_TEXTS.values():
        validate(_with(DOCUMENT, path, text))
        validate(_with(RECORD, path, text))


#: Values of the wrong type (or of the right type and absurd), tried in every field.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    -(2**70),
    1e308,
    float("nan"),
    float("inf"),
    "",
    "\x00",
    "\ud800",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "-0001-01-01",
    b"\xff\xfe",
    [],
    {},
    [None] * 3,
    {"": {"": None}},
    _nested(50),
]


@pytest.mark.parametrize("path", PATHS, ids=".".join)
def test_odd_values_in_any_field(path: tuple[str, ...]) -> None:
    for value in ODD_VALUES:
        validate(_with(DOCUMENT, path, value))


@pytest.mark.parametrize("depth", [100, 1_000, 20_000])
def test_deeply_nested_values(depth: int) -> None:
    deep = _nested(depth)
    validate(deep)
    validate({**DOCUMENT, "extra": deep})
    for path in [("child",), ("child", "given_name"), ("procedures",), ("meta", "event_id")]:
        validate(_with(DOCUMENT, path, deep))


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.binary(max_size=8)
    | st.datetimes(timezones=st.timezones() | st.none())
    | st.dates()
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), anything, st.booleans())
def test_anything_anywhere(path: tuple[str, ...], value: Any, as_record: bool) -> None:
    validate(_with(RECORD if as_record else DOCUMENT, path, value))


# -- The corpus: cases that once mattered, replayed every run ------------------------------------


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bin")), ids=lambda p: p.name)
def test_corpus_bytes_are_refused_quickly(path: Path) -> None:
    began = time.process_time()
    assert decode_or_refuse(path.read_bytes()) is None, "every corpus message is a bad one"
    assert time.process_time() - began < QUICK


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.name)
def test_corpus_documents_get_their_reasons_quickly(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    changes = isinstance(case, dict) and "path" in case
    document = _with(DOCUMENT, tuple(case["path"]), case["value"]) if changes else case
    began = time.process_time()
    reasons = validate(document)
    assert time.process_time() - began < QUICK
    expected = {tuple(pair) for pair in case.get("expect", [])} if changes else set()
    assert expected <= {(r.field, r.code) for r in reasons}


def test_text_that_is_not_unicode_is_refused_by_intake_and_by_the_codec() -> None:
    """A lone surrogate (only JSON can carry one) is no UTF-8: intake names the field, and the
    codec would refuse to encode it with a clear RecordMismatch rather than publish it."""
    document = _with(DOCUMENT, ("child", "given_name"), "\ud800")
    with pytest.raises(ValidationFailed) as refused:
        parse_submission(document)
    assert [(r.field, r.code) for r in refused.value.reasons] == [
        ("child.given_name", "forbidden_character")
    ]
    assert "U+D800" in refused.value.reasons[0].message
    with pytest.raises(RecordMismatch, match="does not fit its schema"):
        CODEC.encode("DossierSubmitted", _with(RECORD, ("child", "given_name"), "\ud800"))


def test_the_corpus_is_there() -> None:
    assert len(list(CORPUS.glob("*.bin"))) >= 10 and len(list(CORPUS.glob("*.json"))) >= 5


# -- the fuzzing of ``make fuzz``, a few thousand inputs of it -----------------------------------


def test_a_short_fuzz_through_decode_validation_and_the_hubs_decisions() -> None:
    """A new seed each run (in the failure's summary, with the command that replays an input)."""
    report = fuzzing.run(3_000, random.randrange(10**6))
    assert report.inputs == 3_000 and report.ok, report.summary()
    assert report.verdicts["accepted"] and report.verdicts["refused"] and report.verdicts["unread"]


def test_the_fuzzer_counts_a_crash_a_bad_refusal_and_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(rng: random.Random, kind: str) -> fuzzing.Outcome:
        raise {"bytes": KeyError, "mutated": ValidationFailed}[kind]([])

    monkeypatch.setattr(fuzzing, "one_input", crash)
    report = fuzzing.run(2, seed=1)
    assert [(f.index, f.kind) for f in report.crashes] == [(0, "bytes"), (1, "mutated")]
    assert "KeyError" in report.crashes[0].what and "0 reasons" in report.crashes[1].what

    def spin(rng: random.Random, kind: str) -> fuzzing.Outcome:
        while True:
            pass

    monkeypatch.setattr(fuzzing, "one_input", spin)
    report = fuzzing.run(1, seed=1, limit=0.2)
    assert len(report.hangs) == 1 and not report.ok
    assert "--seed 1 --only 0" in report.summary()


def test_a_hostile_group_value_picks_the_first_group_and_is_never_turned_into_text() -> None:
    """Found by the short fuzz (seeds 6807, 531080): ``str()`` of a group value nested a
    thousand deep, or of an integer of 10,000 digits, raised out of the publisher's check."""
    nested: object = "birth"
    for _ in range(5_000):
        nested = [nested]
    first = next(iter(GROUPS.values()))
    for hostile in (nested, 10**10_000, {"a": 1}, None, ""):
        assert group_of({"group": hostile}) is first
    assert group_of({"group": "death"}) is GROUPS["death"]
    for seed, index in ((6807, 975), (531080, 879)):
        assert fuzzing.run(1, seed, only=index).ok
