"""The limits (``lienthong.limits``) at the hub's decisions: issue 11's findings 3, 4 and 8.

3. a 900,000-character given name was echoed in a rejection larger than the broker accepts;
4. ``procedures = ["civil_registry"] * 70000`` gave a reason listing every entry;
8. a 100,000-character dossier id got a receipt the status page can never find, and NUL,
   right-to-left overrides, zero-width characters and 50,000 combining marks were accepted.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
import unicodedata
from typing import Any

import pytest
from pydantic_core import PydanticCustomError
from test_hub_detours import CR, FULL, RES, Desk, desk, split, submission
from test_hub_transitions import CODEC, only, schemas

from lienthong import limits, topics
from lienthong.contracts.events import Envelope
from lienthong.domain.screening import normalised
from lienthong.errors import Reason, RecordMismatch, ValidationFailed, at_most
from lienthong.groups.birth.submission import check_submission
from lienthong.groups.registry import GROUPS
from lienthong.hub.pages.status import RECEIPT_PATTERN
from lienthong.hub.screening import EVENT_TEXT, META
from lienthong.hub.state import DossierState
from lienthong.hub.steps import open_event
from lienthong.hub.transitions import DossierIdConflict, UnknownDossier, decide
from lienthong.limits import (
    BROKER_MAX_MESSAGE_BYTES,
    MAX_EXCERPT_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_REASONS,
    clip,
    excerpt,
)

Record = dict[str, Any]
#: A character of four bytes in UTF-8 (CJK extension B, a letter): the worst case for size.
WIDE = "\U0002070e"
#: Every invisible character the issue names, and a few of their kin.
INVISIBLE = [
    "\x00",
    "\x1b",
    "\n",
    "\x7f",
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    *"\u200b\u200c\u200d\u2060\ufeff",
    "\u2028",
    "\ud800",
]
#: No reason is longer than this: a template sentence and an excerpt.
REASON_CHARS = 300


def reasons_of(outputs: list[Envelope]) -> list[tuple[str, str]]:
    return [(r["field"], r["code"]) for r in only(outputs, "DossierRejected")["reasons"]]


def sizes(outputs: list[Envelope]) -> list[int]:
    """Each output as the broker would get it: encoded, plus its key."""
    return [len(CODEC.encode(env.schema, env.record)) + len(env.key.encode()) for env in outputs]


def submit(record: Record) -> tuple[DossierState, list[Envelope]]:
    """The hub's decision on a submission, without the codec (some are larger than it takes)."""
    hub = Desk(record)
    state, outputs = decide(None, "DossierSubmitted", record, hub.context())
    assert state is not None
    return state, outputs


def assert_bounded(reasons: list[Reason] | list[dict[str, str]]) -> None:
    found = [r if isinstance(r, Reason) else Reason(**r) for r in reasons]
    assert 1 <= len(found) <= MAX_REASONS
    for reason in found:
        assert reason.field and reason.code and reason.message
        assert len(reason.message) <= REASON_CHARS and len(reason.field) <= 2 * MAX_EXCERPT_CHARS


def with_changes(record: Record, **changes: Any) -> Record:
    """``record`` with dotted paths (``__`` in keyword names) replaced."""
    record = copy.deepcopy(record)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = record
        for part in parents:
            target = target[part]
        target[last] = value
    return record


SUBMISSION = submission(FULL)
NOW = SUBMISSION["submitted_at"] + dt.timedelta(minutes=5)


# -- the numbers -------------------------------------------------------------------------------


def test_the_message_limit_leaves_room_for_every_echo() -> None:
    assert MAX_MESSAGE_BYTES * 8 <= BROKER_MAX_MESSAGE_BYTES


TEXTS = {
    "dossier id": limits.DOSSIER_ID,
    "code": limits.CODE,
    "name": limits.NAME,
    "full name": limits.FULL_NAME,
    "address": limits.ADDRESS,
    "note": limits.NOTE,
    "email": limits.EMAIL,
}


@pytest.mark.parametrize("rule", TEXTS.values(), ids=TEXTS.keys())
def test_each_text_limit_takes_its_length_and_not_one_more(rule: limits.Text) -> None:
    at_limit = "A" * rule.max_chars
    assert normalised(at_limit, rule) == at_limit
    with pytest.raises(PydanticCustomError) as refused:
        normalised(at_limit + "A", rule)
    assert refused.value.type == "text_too_long"
    words = f"must be at most {rule.max_chars} characters (it has {rule.max_chars + 1:,})"
    assert refused.value.message() == words
    if rule.alphabet is None:  # counted once composed: three code points make one letter here
        decomposed = unicodedata.normalize("NFD", "ễ") * rule.max_chars
        assert normalised(decomposed, rule) == "ễ" * rule.max_chars


@pytest.mark.parametrize("rule", TEXTS.values(), ids=TEXTS.keys())
def test_what_each_kind_of_text_refuses(rule: limits.Text) -> None:
    refused = ["\x00", "\x1b", "\u202e", "\u2066", "\u061c", "\ud800"]
    refused += ["\n", "\t", "\u200b", "\ufeff", "\u2028"] if rule.single_line else []
    for char in refused:
        with pytest.raises(PydanticCustomError) as caught:
            normalised(f"A{char}B", rule)
        assert caught.value.type == "forbidden_character", repr(char)
    if not rule.single_line:
        assert normalised("Line one.\r\nLine two,\tthen \u200d.", rule)


def at_every_limit() -> Record:
    """A valid dossier whose every free text is as long as allowed, in four-byte characters."""
    name, line = WIDE * limits.NAME.max_chars, WIDE * limits.ADDRESS.max_chars
    record = copy.deepcopy(SUBMISSION)
    record["meta"]["dossier_id"] = "D" * limits.DOSSIER_ID.max_chars
    record["meta"]["producer"] = "p" * limits.CODE.max_chars
    record["applicant"] |= {"full_name": name, "email": "a" * 240 + "@example.vn"}
    record["child"] |= dict.fromkeys(("family_name", "middle_name", "given_name"), name)
    record["child"] |= {"ethnicity": name, "birth_facility": line, "hometown": line}
    record["birth_certificate"]["facility"] = line
    for part in (record["child"]["birth_place"], record["residence"]["address"]):
        part["street"] = line
    for role in ("mother", "father"):
        record[role] |= {"full_name": name, "ethnicity": name}
        record[role]["permanent_address"]["street"] = line
    record["residence"] |= {"head_of_household": name, "relationship_to_head": name}
    record["health_insurance"]["clinic_name"] = line
    return record


def test_a_dossier_at_every_limit_is_received_and_all_it_causes_fits() -> None:
    record = at_every_limit()
    assert check_submission(record, NOW) == []
    assert len(CODEC.encode("DossierSubmitted", record)) <= MAX_MESSAGE_BYTES
    hub = Desk(record)
    outputs = hub.submit()
    assert schemas(outputs)[0] == "DossierReceived"
    outputs += hub.complete(CR)  # the registered child's full name: three parts at their limit
    outputs += hub.complete(RES)
    outputs += hub.refuse("health_insurance", reason=WIDE * limits.NOTE.max_chars)
    assert "DossierFinished" in schemas(outputs)
    assert max(sizes(outputs)) <= MAX_MESSAGE_BYTES, "an agency reads every handoff"
    assert len(json.dumps(hub.st.to_table())) <= MAX_MESSAGE_BYTES


# -- finding 3: a 900,000-character given name ---------------------------------------------------


def test_a_huge_name_is_rejected_with_a_reason_that_quotes_none_of_it() -> None:
    state, outputs = submit(with_changes(SUBMISSION, child__given_name="a" * 900_000))
    assert schemas(outputs) == ["DossierRejected"]
    [reason] = only(outputs, "DossierRejected")["reasons"]
    assert reason == {
        "field": "child.given_name",
        "code": "text_too_long",
        "message": "child.given_name must be at most 100 characters (it has 900,000).",
    }
    assert max(sizes(outputs)) < 2_000
    assert len(json.dumps(state.to_table())) < 4_000, "the saved state (the changelog) is small"


# -- finding 4: seventy thousand procedures -------------------------------------------------------


def test_seventy_thousand_procedures_are_one_short_reason() -> None:
    _, outputs = submit(with_changes(SUBMISSION, procedures=["civil_registry"] * 70_000))
    [reason] = only(outputs, "DossierRejected")["reasons"]
    assert (reason["field"], reason["code"]) == ("procedures", "too_many_entries")
    assert reason["message"] == "procedures must have at most 10 entries (it has 70,000)."
    assert max(sizes(outputs)) < 2_000


def test_a_refusal_lists_at_most_twenty_reasons_each_quoting_an_excerpt() -> None:
    record = copy.deepcopy(SUBMISSION)
    record["child"] |= {f"{n:04d}-" + "k" * 1000: "x" for n in range(500)}
    state, outputs = submit(record)
    reasons = only(outputs, "DossierRejected")["reasons"]
    assert_bounded(reasons)
    assert len(reasons) == MAX_REASONS
    assert reasons[-1] == {
        "field": "dossier",
        "code": "too_many_reasons",
        "message": "481 more problems are not listed; please correct the ones above first.",
    }
    assert reasons[0]["field"] == "child.0000-" + "k" * (MAX_EXCERPT_CHARS - 5) + "…"
    assert max(sizes(outputs)) < 8_000
    assert len(state.timeline[-1].detail) < MAX_REASONS * REASON_CHARS


def test_validation_failed_keeps_its_message_bounded_too() -> None:
    reasons = [Reason(f"f{n}", "invalid_value", f"f{n} must be text.") for n in range(70_000)]
    refused = ValidationFailed(reasons)
    assert len(refused.reasons) == MAX_REASONS
    assert refused.reasons == at_most(reasons)
    assert len(str(refused)) < MAX_REASONS * 40
    assert at_most(reasons[:MAX_REASONS]) == reasons[:MAX_REASONS]


# -- finding 8: ids and characters ---------------------------------------------------------------


def test_an_overlong_dossier_id_gets_no_receipt() -> None:
    state, outputs = submit(with_changes(SUBMISSION, meta__dossier_id="D" * 100_000))
    assert schemas(outputs) == ["DossierRejected"]
    assert reasons_of(outputs) == [("meta.dossier_id", "text_too_long")]
    assert state.receipt_number == state.lookup_code == ""
    assert max(sizes(outputs)) < BROKER_MAX_MESSAGE_BYTES // 4


@pytest.mark.parametrize("length", [1, limits.DOSSIER_ID.max_chars])
def test_every_receipt_the_hub_issues_is_one_the_status_page_finds(length: int) -> None:
    alphabet = "AZaz09._-" * 10
    dossier_id = alphabet[:length]
    _, outputs = submit(with_changes(SUBMISSION, meta__dossier_id=dossier_id))
    receipt = only(outputs, "DossierReceived")["receipt_number"]
    assert RECEIPT_PATTERN.fullmatch(receipt)


@pytest.mark.parametrize(
    "dossier_id", ["D" * (limits.DOSSIER_ID.max_chars + 1), "DVC 1", "DVC/1", "DVC-1?x", "Đ-1"]
)
def test_an_id_the_status_page_cannot_find_is_refused_at_intake(dossier_id: str) -> None:
    _, outputs = submit(with_changes(SUBMISSION, meta__dossier_id=dossier_id))
    assert schemas(outputs) == ["DossierRejected"]
    assert not RECEIPT_PATTERN.fullmatch(f"TN-{dossier_id}")


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(
    "path",
    ["child.given_name", "mother.full_name", "applicant.personal_id", "meta.dossier_id"],
)
def test_invisible_characters_in_names_and_ids_are_refused(char: str, path: str) -> None:
    record = copy.deepcopy(SUBMISSION)
    *parents, last = path.split(".")
    target = record
    for part in parents:
        target = target[part]
    target[last] = target[last][:3] + char + target[last][3:]
    [reason] = check_submission(record, NOW)
    assert (reason.field, reason.code) == (path, "forbidden_character")
    assert f"U+{ord(char):04X}" in reason.message and char not in reason.message


def test_decomposed_vietnamese_is_accepted_and_kept_composed() -> None:
    composed = {"family_name": "Nguyễn", "middle_name": "Thị Ánh", "given_name": "Dương"}
    decomposed = {key: unicodedata.normalize("NFD", value) for key, value in composed.items()}
    assert decomposed != composed
    hub = Desk(with_changes(SUBMISSION, child=SUBMISSION["child"] | decomposed))
    assert schemas(hub.submit())[0] == "DossierReceived"
    child = hub.handoffs[CR]["child"]
    assert {key: child[key] for key in composed} == composed


def test_marks_stacked_on_a_letter_are_refused() -> None:
    three, four = "An" + "\u0336" * 3, "An" + "\u0336" * 4
    assert check_submission(with_changes(SUBMISSION, child__given_name=three), NOW) == []
    [reason] = check_submission(with_changes(SUBMISSION, child__given_name=four), NOW)
    assert (reason.field, reason.code) == ("child.given_name", "too_many_marks")


def test_fifty_thousand_combining_marks_are_refused_at_once() -> None:
    """Alternating marks make NFC normalisation quadratic (seconds for 50,000 of them): the
    length is checked first (CPU time: quadratic work burns it, a busy machine does not)."""
    flood = "A" + "\u0301\u0323" * 25_000
    began = time.process_time()
    [reason] = check_submission(with_changes(SUBMISSION, child__given_name=flood), NOW)
    assert time.process_time() - began < 0.2
    assert (reason.field, reason.code) == ("child.given_name", "text_too_long")


# -- the other intake events and the agencies' answers ---------------------------------------------


def test_a_supplement_over_the_limits_is_refused_and_changes_nothing() -> None:
    hub = desk()
    hub.ask_supplement(CR)
    before = hub.st.to_table()
    cases = {
        "note": {"note": "x" * (limits.NOTE.max_chars + 1), "documents": ["GXN-1"]},
        "documents": {"note": "", "documents": ["GXN-1"] * (limits.MAX_DOCUMENTS + 1)},
        "documents[1]": {"note": "", "documents": ["GXN-1", "GXN\u202e-2"]},
    }
    for field, fields in cases.items():
        event = hub.own_event("portal", "DossierSupplemented", step=CR, **fields)
        with pytest.raises(ValidationFailed) as refused:
            hub.apply("DossierSupplemented", event)
        [reason] = refused.value.reasons
        assert reason.field == field
        assert_bounded(refused.value.reasons)
        assert hub.st.to_table() == before


def test_a_supplement_note_may_hold_lines_and_is_kept_composed() -> None:
    hub = desk()
    hub.ask_supplement(CR)
    note = unicodedata.normalize("NFD", "Đã bổ sung.\nGiấy xác nhận\tbản gốc.")
    event = hub.own_event("portal", "DossierSupplemented", step=CR, documents=["G-1"], note=note)
    hub.apply("DossierSupplemented", event)
    assert hub.handoffs[CR]["supplement"]["note"] == unicodedata.normalize("NFC", note)


def test_a_withdrawal_reason_over_the_limit_is_refused() -> None:
    hub = desk()
    event = hub.own_event("portal", "DossierWithdrawn", reason="x" * 100_000)
    with pytest.raises(ValidationFailed, match="at most 1000 characters") as refused:
        hub.apply("DossierWithdrawn", event)
    assert len(str(refused.value)) < REASON_CHARS
    assert hub.st.phase == "open"


def _forged_child(hub: Desk) -> Record:
    record = hub.completion(CR)
    record["child"]["full_name"] = "Forged\u202eChild"
    return record


#: An agency's answer with one field over a limit: (event type, how to make it, field, code).
AGENCY_CASES = [
    ("BirthRegistered", _forged_child, "child.full_name", "forbidden_character"),
    (
        "StepRejected",
        lambda hub: hub.rejection(CR, "refused", "r" * 100_000),
        "reason",
        "text_too_long",
    ),
    (
        "StepRejected",
        lambda hub: hub.rejection(CR, "code\x00", "Refused."),
        "reason_code",
        "forbidden_character",
    ),
    (
        "SupplementRequested",
        lambda hub: hub.agency_event(
            CR, "SupplementRequested", step=CR, missing=["x"] * 21, message="Please."
        ),
        "missing",
        "too_many_entries",
    ),
    (
        "DeadlineExtended",
        lambda hub: hub.own_event(
            "civil-registry", "DeadlineExtended", step=CR, new_due_at=hub.now, apology="So\x00rry"
        ),
        "apology",
        "forbidden_character",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "field", "code"), AGENCY_CASES, ids=[c[0] + "-" + c[2] for c in AGENCY_CASES]
)
def test_an_agency_answer_over_a_limit_is_refused_and_changes_nothing(
    name: str, make: Any, field: str, code: str
) -> None:
    hub = desk()
    before = hub.st.to_table()
    with pytest.raises(ValidationFailed) as refused:
        hub.apply(name, make(hub))
    assert [(r.field, r.code) for r in refused.value.reasons] == [(field, code)]
    assert_bounded(refused.value.reasons)
    assert hub.st.to_table() == before


def text_paths(record_schema: Record, prefix: str = "") -> set[str]:
    """Every text field of a record schema (lists of text by the list's path), dotted."""
    found: set[str] = set()
    for field in record_schema["fields"]:
        path, kind = prefix + field["name"], field["type"]
        if kind == "string" or (isinstance(kind, dict) and kind.get("items") == "string"):
            found.add(path)
        elif isinstance(kind, dict) and kind.get("type") == "record":
            found |= text_paths(kind, path + ".")
    return found


def test_every_text_of_every_event_the_hub_reads_has_a_limit() -> None:
    """A new event type or text field must say what it may hold (the submission: its model)."""
    # what the hub reads, as the declarations derive it; the submissions have their own rules
    read = {name for role in topics.HUB_READS for name in topics.CARRIES[role]}
    # and the citizens' answers its own pages put on its own topic (DeadlineCheck has no text)
    read |= topics.CARRIES[topics.DEADLINES] - {"DeadlineCheck"}
    read -= {group.submission for group in GROUPS.values()}
    assert {"DossierSupplemented", "BirthRegistered", "CardIssued", "StepRejected"} <= read
    assert set(EVENT_TEXT) == read
    for name, fields in EVENT_TEXT.items():
        declared = set(fields) | set(META)
        assert text_paths(CODEC.catalogue.get(name).expanded) == declared, name


# -- what the hub says about a message quotes an excerpt -----------------------------------------


def test_errors_about_unknown_or_conflicting_dossiers_quote_an_excerpt() -> None:
    hub = split()
    record = hub.completion(RES)
    record["meta"]["dossier_id"] = "D" * 60_000
    with pytest.raises(ValidationFailed) as screened:  # the hub screens it before anything
        decide(None, "ResidenceRegistered", record, hub.context())
    assert len(str(screened.value)) < REASON_CHARS
    with pytest.raises(UnknownDossier) as unknown:
        open_event(None, record)
    assert len(str(unknown.value)) < 200
    long_id = "D" * 60_000
    with pytest.raises(DossierIdConflict) as conflict:
        decide(
            DossierState(dossier_id=long_id, group="birth"),
            "DossierSubmitted",
            with_changes(SUBMISSION, meta__dossier_id=long_id),
            hub.context(),
        )
    assert len(str(conflict.value)) < 200


def test_an_excerpt_cuts_counts_and_spells_out_what_cannot_be_seen() -> None:
    assert excerpt("a" * 900_000) == "'" + "a" * MAX_EXCERPT_CHARS + "…' (900,000 characters)"
    assert excerpt("01") == "'01'"
    assert excerpt("x\u202ey\x00") == "'x\\u202ey\\u0000'"
    assert excerpt("\U000e0001") == "'\\U000e0001'"
    assert len(excerpt(["civil_registry"] * 70_000)) <= MAX_EXCERPT_CHARS + 1
    assert len(excerpt({"a": [[[["deep"]]]]} | {str(n): n for n in range(1000)})) < 80
    assert "too large" in excerpt(10**5000)
    assert clip("A" + "\u0301" * 5) == "A\u0301\u0301\u0301\\u0301\\u0301"
    assert clip("ab", 1) == "a…"
    unassigned = "\U0008bf7c" * 1_000  # each shown as ten characters: the shown text is bounded
    assert len(clip(unassigned)) <= MAX_EXCERPT_CHARS + 1
    assert excerpt(unassigned).endswith("…' (1,000 characters)")


def test_the_codecs_refusals_quote_excerpts_of_at_most_twenty_problems() -> None:
    record = with_changes(SUBMISSION, procedures=["x" * 10_000] * 1_000)
    with pytest.raises(RecordMismatch) as refused:
        CODEC.encode("DossierSubmitted", record)
    message = str(refused.value)
    assert message.endswith("; and more") and len(message) < MAX_REASONS * 200
