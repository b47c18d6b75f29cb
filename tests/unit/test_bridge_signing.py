"""The bridge's Standard Webhooks signatures, checked against a hand-written HMAC; its backoff;
its delivery ledger; its JSON forms from the Avro contracts."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random

import pytest

from lienthong.bridge import ledger
from lienthong.bridge.backoff import Backoff
from lienthong.bridge.forms import json_schema, to_json, to_record
from lienthong.bridge.signing import signed_headers, verify
from lienthong.contracts.catalogue import default_catalogue
from lienthong.errors import CompletionRefused
from lienthong.runtime.types import Received

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
BODY = b'{"type":"ResidenceHandoff"}'


def by_hand(secret: str, msg_id: str, stamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def test_the_signature_is_hmac_sha256_of_id_timestamp_body() -> None:
    headers = signed_headers(SECRET, "id-1", NOW, BODY)
    assert headers["webhook-id"] == "id-1"
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert headers["webhook-signature"] == by_hand(
        SECRET, "id-1", headers["webhook-timestamp"], BODY
    )


def test_either_secret_of_a_rotation_verifies() -> None:
    old = signed_headers(OTHER, "id-2", NOW, BODY)
    assert verify((SECRET, OTHER), old, BODY, NOW, 300) == "id-2"
    with pytest.raises(CompletionRefused) as refused:
        verify((SECRET,), old, BODY, NOW, 300)
    assert (refused.value.status, refused.value.field) == (401, "webhook-signature")


def test_a_delivery_during_a_rotation_verifies_with_either_secret() -> None:
    headers = signed_headers((SECRET, OTHER), "id-5", NOW, BODY)
    stamp = headers["webhook-timestamp"]
    offered = headers["webhook-signature"].split(" ")
    assert offered == [by_hand(SECRET, "id-5", stamp, BODY), by_hand(OTHER, "id-5", stamp, BODY)]
    assert verify((OTHER,), headers, BODY, NOW, 300) == "id-5"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"webhook-signature": "v1,AAAA"}, "webhook-signature"),
        ({"webhook-id": "another"}, "webhook-signature"),
        ({"webhook-timestamp": str(int(NOW.timestamp()) - 301)}, "webhook-timestamp"),
        ({"webhook-timestamp": "soon"}, "webhook-timestamp"),
        ({"webhook-id": ""}, "webhook-id"),
    ],
)
def test_a_forged_or_replayed_request_is_refused_naming_the_header(
    change: dict[str, str], field: str
) -> None:
    headers = {**signed_headers(SECRET, "id-3", NOW, BODY), **change}
    with pytest.raises(CompletionRefused) as refused:
        verify((SECRET,), headers, BODY, NOW, 300)
    assert (refused.value.status, refused.value.field) == (401, field)


def test_a_changed_body_does_not_verify() -> None:
    headers = signed_headers(SECRET, "id-4", NOW, BODY)
    with pytest.raises(CompletionRefused):
        verify((SECRET,), headers, BODY + b" ", NOW, 300)


def test_backoff_grows_with_jitter_within_its_bounds_and_gives_up_at_the_horizon() -> None:
    backoff = Backoff(1.0, 30.0, 3600.0)
    rng = random.Random(7)
    for failures, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (60, 30.0)):
        delays = [backoff.delay(failures, rng) for _ in range(200)]
        assert all(0.5 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10 or ceiling == 1.0  # spread
    assert not backoff.gives_up(NOW, NOW + dt.timedelta(seconds=3599))
    assert backoff.gives_up(NOW, NOW + dt.timedelta(seconds=3600))


def _received(offset: int) -> Received:
    return Received("t.handoff.residence", 0, offset, b"D1", b"\xc3\x01value", {})


def _attempt(webhook_id: str, n: int, delivered: bool) -> dict[str, object]:
    return {
        "meta": {},
        "webhook_id": webhook_id,
        "attempt": n,
        "delivered": delivered,
        "status": 200 if delivered else 500,
        "answer": "500 down",
        "latency_ms": 3,
    }


def test_the_ledger_delivers_a_dossiers_handoffs_in_order_each_once() -> None:
    first = ledger.delivery(
        "h1", "ResidenceHandoff", "residence", "residence", b"{}", _received(1), NOW
    )
    second = ledger.delivery(
        "h2", "ResidenceHandoff", "residence", "residence", b"{}", _received(2), NOW
    )
    entry = ledger.take(ledger.take(ledger.take(None, first), second), first)  # a reread
    assert [d["webhook_id"] for d in entry["queue"]] == ["h1", "h2"]
    backoff = Backoff(1.0, 10.0, 60.0)
    failed = _attempt("h1", 1, False)
    assert ledger.current(entry, failed)  # type: ignore[arg-type]
    entry, gave_up = ledger.attempted(entry, failed, NOW, backoff)  # type: ignore[arg-type]
    assert gave_up is None and ledger.head(entry)["attempts"] == 1  # type: ignore[index]
    assert ledger.due_at(entry) > NOW  # type: ignore[operator]
    assert not ledger.current(entry, failed)  # type: ignore[arg-type]  # the same answer again
    entry, _ = ledger.attempted(entry, _attempt("h1", 2, True), NOW, backoff)  # type: ignore[arg-type]
    assert ledger.head(entry)["webhook_id"] == "h2"  # type: ignore[index]
    late = NOW + dt.timedelta(seconds=61)
    entry, gave_up = ledger.attempted(entry, _attempt("h2", 1, False), late, backoff)  # type: ignore[arg-type]
    assert gave_up is not None and gave_up["last"] == "500 down"
    assert ledger.head(entry) is None
    assert entry["handed"] == {"residence": "h2"}
    cancelled = ledger.delivery(
        "c1", "HandoffCancelled", "residence", "residence", b"{}", _received(3), NOW
    )
    entry = ledger.take(entry, cancelled)
    assert ledger.head(entry)["webhook_id"] == "c1"  # type: ignore[index]  # delivered too
    assert entry["handed"] == {"residence": "h2"}  # but it hands nothing to answer


def test_the_first_answer_to_an_idempotency_key_is_kept() -> None:
    entry = ledger.answered(None, "residence:k", 202, "first")
    entry = ledger.answered(entry, "residence:k", 202, "second")
    assert entry["answers"]["residence:k"] == {"status": 202, "answer": "first"}


def test_json_forms_come_from_the_avro_schemas_and_read_back() -> None:
    schema = default_catalogue().get("ResidenceRegistered").expanded
    form = json_schema(schema)
    assert form["properties"]["registered_on"]["format"] == "date"
    assert "head_of_household" in form["required"]
    assert form["additionalProperties"] is False
    record = to_record(schema, {"registered_on": "2026-12-07"}, "data")
    assert record == {"registered_on": dt.date(2026, 12, 7)}
    assert to_json(record) == {"registered_on": "2026-12-07"}
    with pytest.raises(CompletionRefused) as refused:
        to_record(schema, {"registered_on": "7/12/2026"}, "data")
    assert (refused.value.field, refused.value.status) == ("data.registered_on", 422)
    with pytest.raises(CompletionRefused) as refused:
        to_record(schema, {"colour": "red"}, "data")
    assert refused.value.field == "data.colour"
