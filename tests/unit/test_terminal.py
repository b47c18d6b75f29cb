"""Text from messages cannot drive the operator's terminal: every command prints it escaped."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rich.console import Console

from lienthong.client.deadletters import DeadLetterEntry, describe, list_lines
from lienthong.client.status import describe as describe_status
from lienthong.client.terminal import safe
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import metadata

#: What a hostile producer puts in a reason, a header or a name.
HOSTILE = {
    "ansi colour": "\x1b[31mred\x1b[0m",
    "clear screen": "\x1b[2J\x1b[H",
    "window title (OSC)": "\x1b]0;pwned\x07",
    "hyperlink (OSC 8)": "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "C1 CSI": "\x9b31m",
    "carriage return": "ok\rFAKE",
    "backspace": "abc\x08\x08\x08xyz",
    "NUL": "a\x00b",
    "right-to-left override": "invoice\u202etxt.exe",
    "isolate": "\u2066hidden\u2069",
    "zero width": "a\u200bb",
    "line separator": "a\u2028b",
    "newline": "one\ntwo",
}
FORBIDDEN = [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
FORBIDDEN += ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068"]
FORBIDDEN += ["\u2069", "\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff"]


def assert_clean(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in text if c in FORBIDDEN})
    assert not bad, f"control characters reach the terminal: {bad} in {text!r}"


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_shows_every_control_as_its_escape(name: str) -> None:
    shown = safe(HOSTILE[name])
    assert_clean(shown)
    assert "\\x" in shown or "\\u" in shown, shown


def test_safe_keeps_vietnamese_text_as_it_is() -> None:
    name = "Nguyễn Thị Ánh Tuyết, Phường Hoàn Kiếm"
    assert safe(name) == name
    decomposed = "Nguye\u0302\u0303n"  # combining marks are letters' parts, not controls
    assert safe(decomposed) == decomposed


def _entry(**fields: Any) -> DeadLetterEntry:
    now = dt.datetime.now(dt.UTC)
    value = AvroCodec().encode(
        "DossierWithdrawn",
        {
            "meta": metadata("DossierWithdrawn", "DVC-1\x1b[2J", "portal", now, None),
            "reason": "\u202eevil\x1b]0;title\x07",
        },
    )
    record = {
        "event_id": uuid.uuid4(),
        "topic": "lienthong.intake",
        "partition": 0,
        "offset": 1,
        "key": b"\x1b[31mkey",
        "value": value,
        "headers": {"trace\x1b[1m": b"\x9b2J\x1b[2J"},
        "deployable": "hub",
        "error_kind": "UnknownDossier",
        "reason": "no dossier \x1b[31mDVC\x1b[0m\r\u202eforged",
        "failed_at": now,
        **fields,
    }
    return DeadLetterEntry(0, 1, record)


def test_dead_letter_list_and_show_print_no_control_character() -> None:
    entry = _entry()
    for line in list_lines([entry]) + describe(entry):
        assert_clean(line)
    shown = "\n".join(describe(entry))
    assert "\\x1b[31mDVC" in shown and "\\u202eforged" in shown
    undecodable = _entry(value=b"\x1b[2J\x1b]0;t\x07not avro")
    for line in list_lines([undecodable]) + describe(undecodable):
        assert_clean(line)


def test_status_lines_print_no_control_character() -> None:
    now = dt.datetime.now(dt.UTC)
    record = {
        "meta": metadata("StepFinished", "DVC-1", "hub", now, None),
        "step": "residence",
        "outcome": "REJECTED",
        "result_ref": "\x1b]8;;http://x\x1b\\",
        "reason": "The address \u202eis wrong\x1b[2J",
    }
    assert_clean(describe_status("StepFinished", record))


def test_the_demo_prints_refusal_reasons_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    from lienthong import demo

    monkeypatch.setattr(
        demo, "top_reasons", lambda result, limit=6: [("residence: \x1b[2J\u202e[bold]x", 3)]
    )
    console = Console(width=80, record=True, force_terminal=False)
    console.print(demo.reasons_table(None))  # type: ignore[arg-type]
    text = console.export_text()
    assert_clean(text.replace("\n", " "))
    assert "[bold]x" in text, "rich markup in a reason is printed, not applied"
