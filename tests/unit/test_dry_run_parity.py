"""``lienthong submit --dry-run`` and the hub give the same answer for the same dossier (issue 11).

Both call ``validate_submission`` with the limits of ``lienthong.limits``; the client also refuses
what the hub's pipeline dead-letters before decoding (larger than ``MAX_MESSAGE_BYTES`` once
encoded). Every case is a dossier the wire can carry (it encodes with its Avro schema): the
client is given it as a citizen's JSON file and as a record, the hub as the bytes a producer on
any stack would publish. The answers must agree: both accept, or both refuse with the same
reasons; a message too large to open is refused by both (the client says which fields).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lienthong.cli import app
from lienthong.client import IntakePublisher
from lienthong.contracts.codec import AvroCodec
from lienthong.domain.calendar import WorkingCalendar
from lienthong.errors import RecordMismatch, ValidationFailed
from lienthong.groups.birth.synthetic import generate
from lienthong.hub.transitions import Context, decide
from lienthong.limits import MAX_MESSAGE_BYTES
from lienthong.lookup import Keyring

Record = dict[str, Any]
Answer = tuple[str, frozenset[tuple[str, str]]]
CODEC = AvroCodec()
#: The CLI checks against the real clock; so does the hub here.
NOW = dt.datetime.now(dt.UTC)
(DOSSIER,) = generate(1, seed=1111, twins_share=0.0, start=NOW - dt.timedelta(days=2), live=True)
RECORD = DOSSIER.record
ACCEPTED: Answer = ("accepted", frozenset())
TOO_LARGE = frozenset({("dossier", "message_too_large")})


def to_json(record: Record) -> Record:
    """The citizen's JSON file of a record (dates and times in ISO 8601, UUIDs as text), made
    without the model, which would refuse the hostile ones."""
    text = json.dumps(
        record, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)
    )
    loaded: Record = json.loads(text)
    return loaded


def changed(path: str, value: Any) -> Record:
    record = copy.deepcopy(RECORD)
    *parents, last = path.split(".")
    target = record
    for part in parents:
        target = target[part]
    target[last] = value
    return record


#: Dossiers an attacker or a careless integrator can publish from any Avro client.
HOSTILE: dict[str, Record] = {
    "valid": RECORD,
    "given name of 900,000 characters": changed("child.given_name", "a" * 900_000),
    "given name of 60,000 characters": changed("child.given_name", "a" * 60_000),
    "dossier id of 100,000 characters": changed("meta.dossier_id", "D" * 100_000),
    "dossier id of 30,000 characters": changed("meta.dossier_id", "D" * 30_000),
    "dossier id with a slash": changed("meta.dossier_id", "DVC/2026/1"),
    "procedures 70,000 times": changed("procedures", ["civil_registry"] * 70_000),
    "procedures 5,000 times": changed("procedures", ["civil_registry"] * 5_000),
    "NUL in a name": changed("child.family_name", "Tr\x00ần"),
    "right-to-left override in a name": changed("mother.full_name", "\u202eLan"),
    "zero-width joiner in an ID number": changed("applicant.personal_id", "\u200d001"),
    "BOM in a commune code": changed("registering_commune", "\ufeff00070"),
    "50,000 combining marks": changed("child.given_name", "A" + "\u0301\u0323" * 25_000),
    "2,000 combining marks": changed("child.given_name", "A" + "\u0301\u0323" * 1_000),
    "four marks stacked": changed("child.given_name", "An" + "\u0336" * 4),
    "decomposed Vietnamese": changed("child.given_name", unicodedata.normalize("NFD", "Dương")),
    "email that backtracks": changed("applicant.email", "a@" + "a." * 50_000 + "@"),
    "street of 201 characters": changed("child.birth_place.street", "s" * 201),
    "newline in the phone": changed("applicant.phone", "0912345678\n"),
    "unknown commune, quoted": changed("registering_commune", "9" * 40),
    "group of 40 characters": changed("group", "g" * 40),
    "born in the future": changed("child.born_at", NOW + dt.timedelta(days=3)),
}


def _reasons(refused: ValidationFailed) -> frozenset[tuple[str, str]]:
    return frozenset((r.field, r.code) for r in refused.reasons)


def client_answer(data: Record) -> Answer:
    try:
        IntakePublisher.check(data, NOW)
    except ValidationFailed as refused:
        return "refused", _reasons(refused)
    return ACCEPTED


def hub_answer(record: Record) -> Answer | None:
    """What the hub answers to the bytes of ``record``, its pipeline's size check first; None
    when no producer can publish it (it does not fit the Avro schema)."""
    try:
        data = CODEC.encode("DossierSubmitted", record)
    except RecordMismatch:
        return None
    if len(data) > MAX_MESSAGE_BYTES:  # its pipeline dead-letters it unread (MessageTooLarge)
        return "refused", TOO_LARGE
    decoded = CODEC.decode(data)
    context = Context(
        NOW, WorkingCalendar(), Keyring.single(b"secret"), "https://status.example.test"
    )
    _, outputs = decide(None, decoded.name, decoded.record, context)
    received = {env.schema: env.record for env in outputs}
    if "DossierReceived" in received:
        return ACCEPTED
    reasons = received["DossierRejected"]["reasons"]
    return "refused", frozenset((r["field"], r["code"]) for r in reasons)


def assert_same(client: Answer, hub: Answer | None) -> None:
    if hub is None:  # the hub can never receive it: the client must not send it
        assert client[0] == "refused"
        return
    assert client[0] == hub[0]
    if hub[1] != TOO_LARGE:
        assert client == hub


@pytest.mark.parametrize("record", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_client_and_the_hub_give_the_same_answer(record: Record) -> None:
    hub = hub_answer(record)
    assert hub is not None, "every case is one a producer can publish"
    assert_same(client_answer(to_json(record)), hub)
    assert_same(client_answer(record), hub)


def test_the_cases_cover_acceptance_refusal_and_messages_too_large() -> None:
    answers = [hub_answer(record) for record in HOSTILE.values()]
    assert ACCEPTED in answers
    assert ("refused", TOO_LARGE) in answers
    assert sum(answer[0] == "refused" and answer[1] != TOO_LARGE for answer in answers) >= 10


def test_the_client_refuses_what_is_too_large_once_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dossier within every field limit cannot reach the size limit (test_limits shows it), so
    the client's own size check is shown with a smaller limit."""
    monkeypatch.setattr("lienthong.client.publisher.MAX_MESSAGE_BYTES", 200)
    with pytest.raises(ValidationFailed) as refused:
        IntakePublisher.check(to_json(RECORD), NOW)
    [reason] = refused.value.reasons
    assert (reason.field, reason.code) == ("dossier", "message_too_large")
    assert "the hub accepts at most 200 bytes" in reason.message


# -- the command itself --------------------------------------------------------------------------

CLI_CASES = [
    "valid",
    "given name of 900,000 characters",
    "procedures 70,000 times",
    "dossier id of 100,000 characters",
    "right-to-left override in a name",
    "50,000 combining marks",
    "decomposed Vietnamese",
    "born in the future",
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_submit_dry_run_says_what_the_hub_would_say(case: str, tmp_path: Path) -> None:
    record = HOSTILE[case]
    file = tmp_path / "dossier.json"
    file.write_text(json.dumps(to_json(record), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["submit", "--dry-run", str(file)])
    said = " ".join((result.stdout + result.stderr).split())  # as one line, however wrapped
    answer = hub_answer(record)
    assert answer is not None
    verdict, reasons = answer
    if verdict == "accepted":
        assert result.exit_code == 0, said
        assert "valid (not sent)" in said
    else:
        assert result.exit_code == 2, said
        assert "nothing was sent" in said
        for field, code in reasons - TOO_LARGE:
            assert field in said and f"({code})" in said
    assert len(said) < 4_000, "the command echoes excerpts, never the whole input"


# -- random hostile text in random fields --------------------------------------------------------


def _text_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _text_paths(value, (*prefix, key))]
    return [prefix] if isinstance(node, str) else []


TEXT_PATHS = _text_paths(RECORD)
hostile_text = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=120),
    st.text(st.characters(categories=["Cc", "Cf", "Mn", "Me", "Zl", "Zp", "Co"]), max_size=8),
    st.builds(
        lambda n, c: c * n, st.integers(0, 3_000), st.sampled_from(["a", "\u0301", "0", "ễ"])
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TEXT_PATHS), hostile_text), min_size=1, max_size=3))
def test_random_hostile_text_gets_the_same_answer(
    changes: list[tuple[tuple[str, ...], str]],
) -> None:
    record = copy.deepcopy(RECORD)
    for path, text in changes:
        target = record
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = text
    hub = hub_answer(record)
    assert_same(client_answer(to_json(record)), hub)
