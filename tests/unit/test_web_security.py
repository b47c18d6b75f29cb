"""Issue 12 on the hub's web listeners: secrets, sign-in, lockouts, trusted addresses, privacy,
logs. Each test names the finding it proves fixed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_agents import prepare
from test_web import (
    FINISHED,
    NOW,
    OPERATOR,
    SECRET,
    Hub,
    dossier,
    settings,
    url_of,
    visible,
)

from lienthong import worker
from lienthong.domain.calendar import ManualClock
from lienthong.errors import SettingsError
from lienthong.hub import app as hub_app
from lienthong.hub import web
from lienthong.hub.pages.audit import remote_hash
from lienthong.hub.state import StepState
from lienthong.hub.steps import lookup_code
from lienthong.lookup import DEVELOPMENT_SECRET, Keyring
from lienthong.passwords import Credentials, hash_password
from lienthong.settings import Settings

OLD = Keyring.single(SECRET.encode())  # the key the receipts in test_web were printed with


async def running(tmp_path: Path, **overrides: Any) -> AsyncIterator[Hub]:
    """A hub with its two listeners under test clients, settings changed by ``overrides``."""
    dep = hub_app.create(
        settings(tmp_path, **overrides), clock=ManualClock(NOW), with_web_metrics=True
    )
    sent = prepare(dep)
    dep.tables["dossiers"] = {}
    operators = web.site_of(dep).operators
    assert operators is not None
    dep.app.web.init_server()  # faust's own pages (/router/ ...), as a worker would add them
    async with (
        TestClient(TestServer(dep.app.web.web_app)) as client,
        TestClient(TestServer(operators.app)) as signed_in,
    ):
        one = Hub(dep, client, signed_in, sent)
        one.keep(FINISHED)
        yield one


def metric(hub: Hub, name: str, **labels: str) -> float:
    return hub.dep.registry.get_sample_value(name, labels) or 0.0


# -- finding 1: secrets that cannot be forgotten ------------------------------------------------


def test_the_hub_refuses_the_development_secret_outside_development_mode(tmp_path: Path) -> None:
    public = Settings(state_dir=tmp_path, development=False)
    assert public.lookup_secret.get_secret_value() == DEVELOPMENT_SECRET
    with pytest.raises(SettingsError, match=r"lookup_secret.*LIENTHONG_DEVELOPMENT=true"):
        hub_app.create(public, with_web_metrics=False)
    hub_app.create(public.model_copy(update={"development": True}), with_web_metrics=False)
    real = Settings(state_dir=tmp_path, development=False, lookup_secret="a-real-secret")
    hub_app.create(real, with_web_metrics=False)


def test_lienthong_run_hub_refuses_it_before_waiting_for_kafka(tmp_path: Path) -> None:
    public = Settings(state_dir=tmp_path, development=False, bootstrap_servers="127.0.0.1:9")
    began = time.monotonic()
    with pytest.raises(SettingsError, match="LIENTHONG_LOOKUP_SECRET"):
        worker.run("hub", public)
    assert time.monotonic() - began < 5, "refused at once, not after Kafka's timeout"


def test_codes_carry_their_key_id_the_newest_key_signs_and_all_verify() -> None:
    rotated = Keyring((("B", b"the-new-secret"), ("A", SECRET.encode())))
    dossier_id = "DVC-2026-000001-aaaa"
    printed = OLD.sign(dossier_id)
    fresh = rotated.sign(dossier_id)
    assert printed[0] == "A" and fresh[0] == "B" and len(fresh) == 9
    assert rotated.verify(dossier_id, printed) and rotated.verify(dossier_id, fresh)
    assert rotated.verify(dossier_id, fresh.lower())  # typed from the receipt
    assert rotated.verify(dossier_id, printed[1:]), "codes printed before key ids (8 chars)"
    assert not OLD.verify(dossier_id, fresh), "a key that is not on the ring verifies nothing"
    assert not rotated.verify("DVC-2026-000002-bbbb", fresh)
    assert not rotated.verify(dossier_id, "C" + fresh[1:])
    assert not rotated.verify(dossier_id, None)
    with pytest.raises(SettingsError, match="must differ"):
        Keyring((("A", b"x"), ("A", b"y")))


async def test_receipts_printed_under_a_retired_key_keep_working(tmp_path: Path) -> None:
    rotated = {
        "lookup_secret": "the-new-secret",
        "lookup_key_id": "B",
        "lookup_retired_secrets": f"A={SECRET}",
    }
    async for hub in running(tmp_path, **rotated):
        new = dossier("DVC-2026-000007-hhhh")
        new.lookup_code = lookup_code(Keyring.single(b"the-new-secret", "B"), new.dossier_id)
        hub.keep(new)
        assert (await hub.get(url_of(FINISHED)))[0] == 200  # printed under A
        assert (await hub.get(url_of(new)))[0] == 200
    async for hub in running(tmp_path / "2", lookup_secret="the-new-secret", lookup_key_id="B"):
        assert (await hub.get(url_of(FINISHED)))[0] == 404  # A retired for good


# -- finding 2: two listeners, operators sign in ---------------------------------------------


OPERATOR_PATHS = ("/board", "/api/board", "/api/board/local", "/api/deadletters", "/metrics")


async def test_the_citizens_listener_serves_citizens_pages_only(tmp_path: Path) -> None:
    async for hub in running(tmp_path):
        for path in (*OPERATOR_PATHS, "/router/", "/api/openapi.json", "/", "/table/dossiers"):
            status, _, body = await hub.get(path)
            assert status == 404, path
            assert b"lienthong_" not in body and FINISHED.receipt_number.encode() not in body
        assert (await hub.get(url_of(FINISHED)))[0] == 200


async def test_operators_sign_in_and_anonymous_visitors_are_asked_to(tmp_path: Path) -> None:
    async for hub in running(tmp_path):
        for path in (*OPERATOR_PATHS, "/router/", "/api/openapi.json"):
            status, headers, body = await hub.operator(path, auth=None)
            assert status == 401, path
            assert headers["WWW-Authenticate"].startswith("Basic realm=")
            assert FINISHED.receipt_number.encode() not in body
        status, _, body = await hub.operator("/board?lang=en", auth=None)
        assert "Sign in required" in visible(body)
        assert (await hub.operator("/board", auth=(OPERATOR[0], "wrong password!")))[0] == 401
        assert (await hub.operator("/board", auth=("nobody", OPERATOR[1])))[0] == 401
        status, _, body = await hub.operator("/board?lang=en")
        assert status == 200 and f"Signed in as: {OPERATOR[0]}" in visible(body)
        status, headers, body = await hub.operator("/metrics")
        assert status == 200 and b"lienthong_lookups_failed_total" in body
        assert b"faust_" in body, "faust's sensors too"
        status, _, body = await hub.operator("/router/")
        assert status == 200 and isinstance(json.loads(body), dict)
        assert metric(hub, "lienthong_operator_signins_failed_total") == 2


async def test_failed_sign_ins_lock_the_client_out(tmp_path: Path) -> None:
    async for hub in running(tmp_path):
        for _ in range(10):
            assert (await hub.operator("/api/board", auth=(OPERATOR[0], "guess")))[0] == 401
        status, _, _ = await hub.operator("/api/board")
        assert status == 429, "locked out, even with the right password"


def test_credentials_are_hashed_and_checked() -> None:
    line = f"ops.bob:{hash_password('a long enough password', iterations=1000)}"
    assert "a long enough password" not in line
    credentials = Credentials.parse(f"{line}\nops.carol:{hash_password('x', iterations=1000)}")
    assert credentials.check("ops.bob", "a long enough password")
    assert credentials.check("ops.bob", "a long enough password")  # remembered
    assert not credentials.check("ops.bob", "a long enough passworD")
    assert not credentials.check("ops.carol", "a long enough password")
    assert not credentials.check("mallory", "a long enough password")
    with pytest.raises(SettingsError, match=r"operator_credentials.*ops\.dave"):
        Credentials.parse("ops.dave:plaintext")
    assert Credentials.parse(None).hashed == {}


# -- finding 6: the audit cannot be spoofed --------------------------------------------------


async def test_the_audit_believes_no_header_only_the_sign_in(tmp_path: Path) -> None:
    async for hub in running(tmp_path):
        spoof = {"X-Lienthong-Viewer": "operator", "X-Forwarded-For": "10.9.8.7"}
        assert (await hub.get(url_of(FINISHED), **spoof))[0] == 200
        forged = {"X-Lienthong-Routed": "1", "X-Forwarded-For": "10.9.8.7"}
        assert (await hub.get(url_of(FINISHED), **forged))[0] == 200
        status, _, body = await hub.operator(f"/api/operator/dossiers/{FINISHED.receipt_number}")
        assert status == 200 and json.loads(body)["receipt_number"] == FINISHED.receipt_number
        first, second, third = hub.viewed()
        peer = remote_hash(SECRET.encode(), "127.0.0.1")
        assert first["viewer"] == second["viewer"] == "citizen"
        assert first["remote_address_hash"] == second["remote_address_hash"] == peer
        assert third["viewer"] == f"operator:{OPERATOR[0]}"


async def test_x_forwarded_for_is_believed_from_trusted_proxies_only(tmp_path: Path) -> None:
    async for hub in running(tmp_path, trusted_proxies=("127.0.0.0/8",)):
        chain = {"X-Forwarded-For": "203.0.113.9, 127.0.0.5"}  # client, then our own proxy
        assert (await hub.get(url_of(FINISHED), **chain))[0] == 200
        (viewed,) = hub.viewed()
        assert viewed["remote_address_hash"] == remote_hash(SECRET.encode(), "203.0.113.9")


# -- findings 4 and 5: lockouts ------------------------------------------------------------------


class CountingTable(dict[str, Any]):
    """The dossier table, remembering which keys were read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.append(key)
        return super().get(key, default)


async def test_a_failed_lookup_never_reads_the_table(tmp_path: Path) -> None:
    """The same path for an unknown receipt and a wrong code: neither touches a dossier
    (tests/e2e/test_lookup_timing.py measures the time)."""
    async for hub in running(tmp_path):
        table = CountingTable(hub.dep.tables["dossiers"])
        hub.dep.tables["dossiers"] = table
        wrong = FINISHED.model_copy(update={"lookup_code": "A2345678"})
        unknown = dossier("DVC-2026-999999-zzzz").model_copy(  # a code made for another id
            update={"lookup_code": FINISHED.lookup_code}
        )
        for target in (wrong, unknown):
            assert (await hub.get(url_of(target, "api")))[0] == 404
        assert table.reads == []
        assert (await hub.get(url_of(FINISHED, "api")))[0] == 200
        assert table.reads == [FINISHED.dossier_id]


def test_the_operators_listener_binds_to_loopback_by_default(tmp_path: Path) -> None:
    dep = hub_app.create(settings(tmp_path), with_web_metrics=False)
    operators = web.site_of(dep).operators
    assert operators is not None
    listener = operators.listener()
    assert (listener.host, listener.port) == ("127.0.0.1", 6070)
    assert dep.settings.web_port("hub") != listener.port


async def test_a_client_guessing_codes_is_locked_out(tmp_path: Path) -> None:
    async for hub in running(tmp_path, lookup_failures_per_client=5):
        wrong = FINISHED.model_copy(update={"lookup_code": "A2345678"})
        unknown = dossier("DVC-2026-999999-zzzz")
        for target in (wrong, unknown, wrong, unknown, wrong):
            assert (await hub.get(url_of(target, "api")))[0] == 404
        status, headers, body = await hub.get(url_of(FINISHED, "api"))
        assert status == 429, "the right code too: guessing gains nothing"
        assert 800 < int(headers["Retry-After"]) <= 900
        assert json.loads(body)["error"] == "locked_out"
        status, _, page = await hub.get(url_of(FINISHED, lang="en"))
        assert status == 429 and b"Too many failed lookups" in page
        assert metric(hub, "lienthong_lookups_failed_total") == 5
        assert metric(hub, "lienthong_lookup_lockouts_total", scope="client") == 1
        assert metric(hub, "lienthong_lookups_refused_total", scope="client") == 2
        assert hub.viewed() == []


async def test_a_receipt_guessed_from_many_clients_is_locked_out(tmp_path: Path) -> None:
    overrides = {"trusted_proxies": ("127.0.0.1",), "lookup_failures_per_receipt": 4}
    async for hub in running(tmp_path, **overrides):
        for n in range(4):
            spread = {"X-Forwarded-For": f"198.51.100.{n}"}
            assert (await hub.get(url_of(FINISHED, code="A2345678"), **spread))[0] == 404
        status, _, _ = await hub.get(url_of(FINISHED), **{"X-Forwarded-For": "198.51.100.99"})
        assert status == 429
        assert metric(hub, "lienthong_lookup_lockouts_total", scope="receipt") == 1
        other = dossier("DVC-2026-000008-iiii")
        hub.keep(other)
        assert (await hub.get(url_of(other), **{"X-Forwarded-For": "198.51.100.99"}))[0] == 200


# -- finding 3: privacy in every answer ----------------------------------------------------------


async def test_a_duplicate_is_linked_for_operators_and_never_shown_to_the_citizen(
    tmp_path: Path,
) -> None:
    other = "DVC-2026-900001-3015"
    refused = dossier(
        "DVC-2026-000011-jjjj",
        civil_registry=StepState(
            phase="rejected",
            reason_code="duplicate_birth",
            reason="This birth is already registered: birth certificate CS-1 was used by an "
            "earlier dossier. Ask the civil registry office for a copy.",
            duplicate_of=other,
        ),
    )
    async for hub in running(tmp_path):
        hub.keep(refused)
        for kind in ("status", "api", "svg"):
            status, _, body = await hub.get(url_of(refused, kind, lang="en"))
            assert status == 200 and other.encode() not in body, kind
        _, _, board = await hub.operator("/api/board")
        assert json.loads(board)["duplicates"] == [
            {
                "receipt": refused.receipt_number,
                "step": "civil_registry",
                "duplicate_of": f"TN-{other}",
            }
        ]
        _, _, page = await hub.operator("/board?lang=en")
        assert "Duplicate birth certificates" in visible(page) and f"TN-{other}" in visible(page)
        _, _, one = await hub.operator(f"/api/operator/dossiers/{refused.receipt_number}")
        assert json.loads(one)["duplicates"] == {"civil_registry": other}


# -- finding 7: no code in the logs --------------------------------------------------------------


async def test_a_url_too_long_to_parse_is_logged_without_its_query(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async for hub in running(tmp_path):
        host, port = hub.client.host, hub.client.port
        reader, writer = await asyncio.open_connection(host, port)
        target = url_of(FINISHED) + "&pad=" + "x" * 9000
        writer.write(f"GET {target} HTTP/1.1\r\nHost: hub\r\n\r\n".encode())
        await writer.drain()
        assert b" 400 " in (await reader.read(64))
        writer.close()
        await asyncio.sleep(0.1)
        assert (await hub.get(url_of(FINISHED)))[0] == 200
    logged = caplog.text + "".join(
        logging.Formatter().format(r) for r in caplog.records if r.exc_text or r.exc_info
    )
    assert "8190" in logged, "the long URL was logged (as an error)"
    assert FINISHED.lookup_code not in logged and "code=" + FINISHED.lookup_code not in logged
    assert "?code" not in logged


async def test_no_answer_carries_an_operator_session_or_cacheable_code(tmp_path: Path) -> None:
    async for hub in running(tmp_path):
        _, headers, _ = await hub.get(url_of(FINISHED))
        assert (
            headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
        )
        _, headers, _ = await hub.operator("/api/board")
        assert headers["Cache-Control"] == "no-store"


async def test_other_workers_are_asked_with_the_operators_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, dict[str, str] | None]] = []

    async def fetch(url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        asked.append((url, headers))
        raise aiohttp.ClientError("unreachable in a unit test")

    async for hub in running(tmp_path):
        workers = web.site_of(hub.dep).workers
        monkeypatch.setattr(workers, "peers", lambda: ["http://10.0.0.2:6166"])
        monkeypatch.setattr(workers, "fetch_json", fetch)
        _, _, body = await hub.operator("/api/board")
        assert json.loads(body)["partial"] == ["http://10.0.0.2:6166"]
    ((url, headers),) = asked
    assert url == "http://10.0.0.2:6170/api/board/local"  # its operators' listener
    assert headers is not None and headers["Authorization"].startswith("Basic ")
