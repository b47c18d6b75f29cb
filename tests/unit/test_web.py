"""The hub's pages and API over HTTP (aiohttp test server on the hub's own web app), no broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import segno
import zxingcpp
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from test_agents import DOSSIERS, Recorder, prepare, settle

from lienthong.client.receipt import fetch_receipt
from lienthong.client.status import partition_of
from lienthong.contracts.codec import AvroCodec
from lienthong.domain.calendar import ManualClock
from lienthong.errors import ClientError
from lienthong.groups.registry import GROUPS, all_steps
from lienthong.hub import app as hub_app
from lienthong.hub import web
from lienthong.hub.pages import board as board_parts
from lienthong.hub.pages import operators as operators_module
from lienthong.hub.pages.deadletters import DeadLettersUnavailable
from lienthong.hub.pages.routing import Workers
from lienthong.hub.state import DossierState, StepState
from lienthong.hub.steps import lookup_code
from lienthong.lookup import Keyring
from lienthong.passwords import hash_password
from lienthong.runtime.deployable import Deployable
from lienthong.settings import Settings

CODEC = AvroCodec()
SECRET = "unit-test-secret"
KEYS = Keyring.single(SECRET.encode())
#: An operator who may sign in (few PBKDF2 iterations: the check is what is tested, not its cost).
OPERATOR = ("ops.alice", "correct horse battery staple")
OPERATOR_LINE = f"{OPERATOR[0]}:{hash_password(OPERATOR[1], iterations=1000)}"
#: Thursday 5 March 2026, 10:00 in Hanoi.
NOW = dt.datetime(2026, 3, 5, 3, 0, tzinfo=dt.UTC)
BASE = "http://hub.example"
FULL = ["civil_registry", "residence", "health_insurance"]


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return NOW + dt.timedelta(days=days, hours=hours)


def dossier(dossier_id: str, **steps: StepState) -> DossierState:
    """An open dossier of the full group received two days ago, with ``steps`` as given."""
    code = lookup_code(KEYS, dossier_id)
    return DossierState(
        dossier_id=dossier_id,
        group="birth",
        procedures=FULL,
        combination="birth+residence+health_insurance",
        channel="PORTAL",
        submitted_at=at(days=-2),
        received_on=at(days=-2).date(),
        due_at=at(days=1, hours=7),
        receipt_number=f"TN-{dossier_id}",
        lookup_code=code,
        steps={name: steps.get(name, StepState()) for name in FULL},
    )


def finished(
    dossier_id: str, on_time: bool = True, when: dt.datetime | None = None
) -> DossierState:
    ended = when or at(hours=-1)
    state = dossier(
        dossier_id,
        civil_registry=StepState(
            phase="completed",
            due_at=at(days=-2, hours=7),
            handed_off_at=at(days=-2),
            finished_at=at(days=-2, hours=1),
            result_ref="HT-01234/2026",
            on_time=True,
        ),
        residence=StepState(
            phase="completed",
            due_at=at(hours=7),
            handed_off_at=at(days=-2, hours=1),
            finished_at=ended,
            result_ref="CT-2026-000777",
            on_time=on_time,
        ),
        health_insurance=StepState(
            phase="completed",
            due_at=at(hours=7),
            handed_off_at=at(days=-2, hours=1),
            finished_at=at(days=-1),
            result_ref="TE1010123456789",
            on_time=True,
        ),
    )
    state.phase, state.outcome, state.finished_at, state.on_time = (
        "finished",
        "COMPLETED",
        ended,
        on_time,
    )
    return state


def waiting_for_supplement(dossier_id: str) -> DossierState:
    return dossier(
        dossier_id,
        civil_registry=StepState(
            phase="supplement",
            due_at=at(days=-2, hours=7),
            handed_off_at=at(days=-2),
            supplement_missing=["Giấy chứng sinh bản rõ nét"],
            supplement_message="Ảnh giấy chứng sinh bị mờ, xin gửi lại.",
            supplement_requested_at=at(days=-1),
            respond_by=at(days=8, hours=7),
        ),
    )


def overdue(dossier_id: str) -> DossierState:
    return dossier(
        dossier_id,
        civil_registry=StepState(
            phase="handed_off", due_at=at(days=-1, hours=7), handed_off_at=at(days=-2)
        ),
    )


FINISHED = finished("DVC-2026-000001-aaaa")
SUPPLEMENT = waiting_for_supplement("DVC-2026-000002-bbbb")
OVERDUE = overdue("DVC-2026-000003-cccc")


def url_of(state: DossierState, kind: str = "status", **query: str) -> str:
    path = {
        "status": f"/status/{state.receipt_number}",
        "api": f"/api/dossiers/{state.receipt_number}",
        "svg": f"/receipt/{state.receipt_number}.svg",
        "png": f"/receipt/{state.receipt_number}.png",
    }[kind]
    params = {"code": state.lookup_code, **query}
    return path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


class Hub:
    """The hub deployable with its two web apps under aiohttp test clients."""

    def __init__(
        self,
        dep: Deployable,
        client: TestClient[Any, Any],
        operators: TestClient[Any, Any],
        sent: Recorder,
    ) -> None:
        self.dep, self.client, self.operators, self.sent = dep, client, operators, sent

    def keep(self, *states: DossierState) -> None:
        for state in states:
            self.dep.tables["dossiers"][state.dossier_id] = (
                state.to_stored()
            )  # as the working table holds it

    async def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        answer = await self.client.get(path, headers=headers)
        return answer.status, dict(answer.headers), await answer.read()

    async def operator(
        self, path: str, auth: tuple[str, str] | None = OPERATOR, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        """GET on the operators' listener, signed in as ``auth`` (None: anonymous)."""
        basic = aiohttp.BasicAuth(*auth) if auth else None
        answer = await self.operators.get(path, headers=headers, auth=basic)
        return answer.status, dict(answer.headers), await answer.read()

    def viewed(self) -> list[dict[str, Any]]:
        return [event.record for _, event in self.sent.on("audit")]


def settings(tmp_path: Path, base: str = BASE, **overrides: Any) -> Settings:
    options: dict[str, Any] = {
        "state_dir": tmp_path,
        "topic_prefix": "unit",
        "partitions": 4,
        "lookup_secret": SECRET,
        "public_base_url": base,
        "bootstrap_servers": "127.0.0.1:9",  # nothing listens: the board must cope
        "operator_credentials": OPERATOR_LINE,
    }
    return Settings(**{**options, **overrides})


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    monkeypatch.setattr(operators_module, "read_dead_letters", lambda settings, limit: [])
    dep = hub_app.create(settings(tmp_path), clock=ManualClock(NOW), with_web_metrics=False)
    sent = prepare(dep)
    dep.tables["dossiers"] = {}  # the fake table: the views read it, the agent is not involved
    operators = web.site_of(dep).operators
    assert operators is not None
    async with (
        TestClient(TestServer(dep.app.web.web_app)) as client,
        TestClient(TestServer(operators.app)) as signed_in,
    ):
        hub = Hub(dep, client, signed_in, sent)
        hub.keep(FINISHED, SUPPLEMENT, OVERDUE)
        yield hub


def visible(html: bytes) -> str:
    """The text a person would read (tags and styles stripped, whitespace collapsed)."""
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", html.decode())
    return re.sub(r"\s+", " ", text)


# -- the status page -------------------------------------------------------------------------


async def test_the_status_page_is_vietnamese_by_default(hub: Hub) -> None:
    status, headers, body = await hub.get(url_of(FINISHED))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    text = visible(body)
    assert '<html lang="vi">' in body.decode()
    for words in (
        FINISHED.receipt_number,
        "Đăng ký khai sinh",
        "Đăng ký thường trú",
        "Cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
        "Đã hoàn thành",
        "Đúng hạn",
        "HT-01234/2026",
        "TE1010123456789",
        "UBND cấp xã (hộ tịch)",
        "17:00 06/03/2026",  # the due date, local time
    ):
        assert words in text, words
    assert text.count("Hoàn thành") >= 3


async def test_the_status_page_speaks_english_on_request(hub: Hub) -> None:
    status, _, body = await hub.get(url_of(FINISHED, lang="en"))
    text = visible(body)
    assert status == 200 and '<html lang="en">' in body.decode()
    for words in ("Birth registration", "Completed", "On time", "06 Mar 2026, 17:00"):
        assert words in text, words
    assert "Đăng ký khai sinh" not in text


async def test_a_supplement_is_shown_as_the_citizens_action(hub: Hub) -> None:
    _, _, body = await hub.get(url_of(SUPPLEMENT))
    text = visible(body)
    assert "Việc bạn cần làm" in text
    assert "Cần bổ sung hồ sơ" in text
    assert "Giấy chứng sinh bản rõ nét" in text and "Ảnh giấy chứng sinh bị mờ" in text
    assert "Hạn bổ sung: 17:00 13/03/2026" in text


async def test_an_overdue_step_says_so(hub: Hub) -> None:
    _, _, body = await hub.get(url_of(OVERDUE, lang="en"))
    text = visible(body)
    assert "In progress at the agency" in text and "Overdue" in text
    assert "Waiting for the previous step" in text


# -- unknown and wrong code --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["status", "api", "svg", "png"])
async def test_unknown_receipt_and_wrong_code_get_the_same_answer(hub: Hub, kind: str) -> None:
    unknown = dossier("DVC-2026-999999-zzzz")  # never stored
    wrong = FINISHED.model_copy(update={"lookup_code": "AAAAAAAA"})
    answers = [
        await hub.get(url_of(unknown, kind)),
        await hub.get(url_of(wrong, kind)),
        await hub.get(url_of(FINISHED, kind).split("?")[0]),  # no code at all
    ]
    for status, headers, body in answers:
        headers.pop("Date", None)
        assert status == 404
        assert (status, headers, body) == (answers[0][0], answers[0][1], answers[0][2])
    assert hub.viewed() == []


async def test_a_dossier_refused_at_intake_has_no_receipt_to_look_up(hub: Hub) -> None:
    refused = DossierState(dossier_id="DVC-2026-000009-dddd", phase="rejected", group="birth")
    hub.keep(refused)
    code = lookup_code(KEYS, refused.dossier_id)
    status, _, _ = await hub.get(f"/status/TN-{refused.dossier_id}?code={code}")
    assert status == 404


# -- the JSON API --------------------------------------------------------------------------------


async def test_the_api_gives_the_dossier_without_personal_data(hub: Hub) -> None:
    status, headers, body = await hub.get(url_of(SUPPLEMENT, "api"))
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["receipt_number"] == SUPPLEMENT.receipt_number
    assert [s["state"] for s in data["steps"]] == ["supplement", "waiting", "waiting"]
    (action,) = data["actions"]
    assert action["step"] == "civil_registry" and action["kind"] == "supplement"
    assert action["missing"] == ["Giấy chứng sinh bản rõ nét"]
    assert dt.datetime.fromisoformat(action["deadline"]) == at(days=8, hours=7)
    assert data["links"]["status_page"] == f"{BASE}{url_of(SUPPLEMENT)}"
    assert not {"child", "submission", "pending", "timeline"} & set(data)
    assert "personal_id" not in body.decode()


async def test_a_finished_dossier_says_whether_its_due_date_was_met(hub: Hub) -> None:
    _, _, body = await hub.get(url_of(FINISHED, "api"))
    data = json.loads(body)
    assert (data["phase"], data["outcome"], data["on_time"]) == ("finished", "COMPLETED", True)
    refs = {s["step"]: s["result_ref"] for s in data["steps"]}
    assert refs["civil_registry"] == "HT-01234/2026"


# -- the receipt ----------------------------------------------------------------------------------


def decode_qr(png: bytes) -> str:
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


async def test_the_receipt_png_is_a_qr_code_of_the_status_url(hub: Hub) -> None:
    status, headers, body = await hub.get(url_of(FINISHED, "png"))
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert decode_qr(body) == f"{BASE}/status/{FINISHED.receipt_number}?code={FINISHED.lookup_code}"


def modules_of(path: str, unit: float, size: int) -> list[list[bool]]:
    """Read back the dark modules from the SVG path of ``qr_path`` (runs of ``hN`` wide)."""
    grid = [[False] * size for _ in range(size)]
    for x, y, width in re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)", path):
        row, col = round(float(y) / unit), round(float(x) / unit)
        for i in range(round(float(width) / unit)):
            grid[row][col + i] = True
    return grid


async def test_the_receipt_svg_is_a_card_whose_qr_code_is_the_status_url(hub: Hub) -> None:
    status, headers, body = await hub.get(url_of(FINISHED, "svg"))
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(body)
    text = " ".join(t for t in root.itertext())
    for words in (FINISHED.receipt_number, FINISHED.lookup_code, "17:00 06/03/2026"):
        assert words in text
    assert "1. Đăng ký khai sinh" in text and "3. Cấp thẻ BHYT cho trẻ em dưới 6 tuổi" in text
    url = f"{BASE}/status/{FINISHED.receipt_number}?code={FINISHED.lookup_code}"
    expected = [list(row) for row in segno.make(url, error="m").matrix_iter(border=4)]
    ns = "{http://www.w3.org/2000/svg}"
    (qr,) = [p for p in root.iter(f"{ns}path") if p.get("fill") == "#000000"]
    drawn = modules_of(qr.get("d", ""), 220 / len(expected), len(expected))
    assert drawn == [[bool(m) for m in row] for row in expected]


async def test_the_english_receipt(hub: Hub) -> None:
    _, _, body = await hub.get(url_of(FINISHED, "svg", lang="en"))
    assert b"DOSSIER RECEIPT" in body and b"Birth registration" in body


async def test_the_client_fetches_the_receipt(tmp_path: Path, hub: Hub) -> None:
    base = str(hub.client.make_url("")).rstrip("/")
    mine = settings(tmp_path, base)
    loop = asyncio.get_running_loop()
    svg = await loop.run_in_executor(
        None, fetch_receipt, mine, FINISHED.receipt_number, FINISHED.lookup_code, "svg"
    )
    png = await loop.run_in_executor(
        None, fetch_receipt, mine, FINISHED.receipt_number, FINISHED.lookup_code, "png"
    )
    assert svg.startswith(b"<svg") and decode_qr(png).endswith(FINISHED.lookup_code)
    with pytest.raises(ClientError, match="no receipt"):
        await loop.run_in_executor(
            None, fetch_receipt, mine, FINISHED.receipt_number, "WRONGCOD", "png"
        )
    # The client declares itself an integrator; no header is believed: it is a citizen's view.
    assert [v["viewer"] for v in hub.viewed()] == ["citizen", "citizen"]


# -- the audit trail -----------------------------------------------------------------------------


async def test_every_view_of_a_dossier_is_an_audit_event(hub: Hub) -> None:
    agent = "Mozilla/5.0 (iPhone) " + "x" * 300
    for kind in ("status", "api", "svg", "png"):
        status, _, _ = await hub.get(
            url_of(FINISHED, kind), **{"User-Agent": agent, "X-Forwarded-For": "203.0.113.7"}
        )
        assert status == 200
    viewed = hub.viewed()
    assert [v["channel"] for v in viewed] == ["status_page", "api", "receipt_svg", "receipt_png"]
    assert {v["meta"]["dossier_id"] for v in viewed} == {FINISHED.dossier_id}
    assert {k for t, k, _ in hub.sent.sent} == {FINISHED.dossier_id.encode()}
    assert all(v["viewer"] == "citizen" and v["meta"]["producer"] == "hub" for v in viewed)
    assert viewed[0]["path"] == f"/status/{FINISHED.receipt_number}"  # never the code
    assert all(FINISHED.lookup_code not in json.dumps(v, default=str) for v in viewed)
    hashes = {v["remote_address_hash"] for v in viewed}
    assert len(hashes) == 1 and "203.0.113.7" not in hashes.pop()
    assert viewed[0]["user_agent"] == agent[:200]
    assert len({v["meta"]["event_id"] for v in viewed}) == 4


# -- the operator board --------------------------------------------------------------------------


async def test_the_board_counts_in_flight_overdue_and_today(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = finished("DVC-2026-000004-eeee", on_time=False)
    yesterday = finished("DVC-2026-000005-ffff", when=at(days=-1))
    hub.keep(late, yesterday)
    letter = {
        "failed_at": at(hours=-2).isoformat(),
        "topic": "unit.intake",
        "partition": 1,
        "offset": 42,
        "deployable": "hub",
        "error_kind": "NotSingleObjectEncoded",
        "reason": "not an Avro single-object message",
    }
    monkeypatch.setattr(operators_module, "read_dead_letters", lambda settings, limit: [letter])
    status, _, body = await hub.operator("/api/board")
    board = json.loads(body)
    assert status == 200
    steps = {s["step"]: s for s in board["steps"]}
    assert steps["civil_registry"]["in_flight"] == 1
    assert steps["civil_registry"]["with_citizen"] == 1
    assert steps["civil_registry"]["oldest"]["receipt"] == OVERDUE.receipt_number
    assert steps["civil_registry"]["oldest"]["age_seconds"] == 2 * 86400
    (row,) = board["overdue"]
    assert (row["receipt"], row["step"]) == (OVERDUE.receipt_number, "civil_registry")
    assert row["agency"]["vi"] == "UBND cấp xã (hộ tịch)"
    assert board["today"] == {"finished": 2, "on_time": 1, "share": 0.5}
    assert board["dead_letters"] == {"items": [letter], "error": None}

    _, _, html = await hub.operator("/board")
    text = visible(html)
    for words in ("50%", "1 / 2", OVERDUE.receipt_number, "UBND cấp xã (hộ tịch)"):
        assert words in text, words
    assert "not an Avro single-object message" in text and "unit.intake[1]@42" in text
    assert "Đang xử lý theo bước" in text
    _, _, english = await hub.operator("/board?lang=en")
    assert "In flight per step" in visible(english) and "Overdue dossiers" in visible(english)


async def test_the_board_says_when_dead_letters_cannot_be_read(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(settings: Settings, limit: int) -> list[dict[str, Any]]:
        raise DeadLettersUnavailable("cannot reach Kafka: NoBrokersAvailable")

    monkeypatch.setattr(operators_module, "read_dead_letters", unreachable)
    _, _, body = await hub.operator("/board?lang=en")
    assert "Dead letters cannot be read: cannot reach Kafka" in visible(body)


def test_board_parts_of_two_workers_add_up() -> None:
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    one = board_parts.part([OVERDUE.to_table(), FINISHED.to_table()], NOW, zone)
    other = overdue("DVC-2026-000010-gggg")
    two = board_parts.part([other.to_table(), SUPPLEMENT.to_table()], NOW, zone)
    merged = board_parts.merge([one, two])
    steps = {s["step"]: s for s in merged["steps"]}
    assert steps["civil_registry"]["in_flight"] == 2
    assert steps["civil_registry"]["with_citizen"] == 1
    assert merged["overdue_count"] == 2 and merged["finished_today"] == 1


# -- several hub workers ------------------------------------------------------------------------


class FakeApp:
    """Just what ``Workers`` reads of a faust app: the table, the router, the canonical URL."""

    class Topic:
        def get_topic_name(self) -> str:
            return "hub-dossiers-changelog"

    class Table:
        changelog_topic = None

    def __init__(self, layout: dict[str, list[int]], me: str) -> None:
        table = FakeApp.Table()
        table.changelog_topic = FakeApp.Topic()  # type: ignore[assignment]
        self.tables = {"dossiers": table}
        self.conf = type("Conf", (), {"canonical_url": me})()
        metadata = {url: {"hub-dossiers-changelog": parts} for url, parts in layout.items()}
        self.router = type("Router", (), {"table_metadata": lambda _, name: metadata})()


def test_a_dossier_held_by_another_worker_is_forwarded_there() -> None:
    layout = {"http://10.0.0.1:6066": [0, 1], "http://10.0.0.2:6066": [2, 3]}
    workers = Workers(FakeApp(layout, "http://10.0.0.1:6066/"), "dossiers", 4)
    ids = [f"DVC-2026-{i:06d}-abcd" for i in range(40)]
    for dossier_id in ids:
        mine = partition_of(dossier_id, 4) in (0, 1)
        assert workers.owner(dossier_id) == (None if mine else "http://10.0.0.2:6066")
    assert workers.peers() == ["http://10.0.0.2:6066"]
    holds = workers.holding()
    assert [holds(i) for i in ids] == [workers.owner(i) is None for i in ids]
    alone = Workers(
        FakeApp({"http://10.0.0.1:6066": [0, 1, 2, 3]}, "http://10.0.0.1:6066"), "dossiers", 4
    )
    assert alone.owner(ids[0]) is None and alone.peers() == []
    assert all(map(alone.holding(), ids))


# -- the real agent and table, end to end in one process ------------------------------------------


async def test_a_received_dossier_is_found_with_the_link_of_its_receipt(tmp_path: Path) -> None:
    record = DOSSIERS[0]
    clock = ManualClock(record["submitted_at"] + dt.timedelta(minutes=5))
    dep = hub_app.create(settings(tmp_path), clock=clock, with_web_metrics=False)
    sent = prepare(dep)
    key = record["meta"]["dossier_id"].encode()
    async with dep.agents["route"].test_context() as agent:
        await agent.put(value=CODEC.encode("DossierSubmitted", record), key=key)
        await settle(lambda: sent.settled() >= 3)
    ((_, received),) = [(k, e) for k, e in sent.on("status") if e.name == "DossierReceived"]
    link = received.record["status_url"]
    assert link.startswith(BASE)
    async with TestClient(TestServer(dep.app.web.web_app)) as client:
        page = await client.get(link.removeprefix(BASE))
        assert page.status == 200
        assert received.record["receipt_number"] in visible(await page.read())
        png = await client.get(
            link.removeprefix(BASE).replace("/status/", "/receipt/", 1).replace("?", ".png?", 1)
        )
        assert decode_qr(await png.read()) == link


async def test_the_openapi_document_lists_the_registered_groups_and_steps(hub: Hub) -> None:
    _, _, body = await hub.operator("/api/openapi.json")
    document = json.loads(body)
    groups = [
        p["schema"]["enum"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
        if p.get("name") == "group"
    ]
    assert groups and all(g == list(GROUPS) for g in groups)
    steps = document["components"]["schemas"]["Step"]["properties"]["step"]["enum"]
    assert steps == list(all_steps())
    assert {"civil_registry", "death_registration"} <= set(steps)  # both groups' steps


async def test_the_openapi_document_describes_every_page(hub: Hub) -> None:
    status, _, body = await hub.operator("/api/openapi.json")
    document = json.loads(body)
    assert status == 200 and document["openapi"].startswith("3.")
    operators = web.site_of(hub.dep).operators
    assert operators is not None
    apps = (hub.dep.app.web.web_app, operators.app)  # type: ignore[attr-defined]
    served = {r.canonical for app in apps for r in app.router.resources()}
    described = {
        p.replace("{receipt}.svg", "{receipt}.{fmt}").replace("{receipt}.png", "{receipt}.{fmt}")
        for p in document["paths"]
    }
    assert served == described
    signed_in_only = {p for p, item in document["paths"].items() if "servers" in item}
    assert signed_in_only == {r.canonical for r in operators.app.router.resources()}


def test_the_docs_document_every_endpoint() -> None:
    root = Path(__file__).resolve().parents[2]
    page = root / "docs" / "integrators" / "pages-and-api.md"
    section = page.read_text(encoding="utf-8")
    document = json.loads((root / "services/lienthong/hub/openapi.json").read_text())
    for path in document["paths"]:
        assert f"`GET {path}" in section, path
    assert "](../status-page.png)" in section and (page.parent / "../status-page.png").is_file()


async def test_a_death_dossier_s_page_names_its_own_group_and_procedures(
    hub: Hub, tmp_path: Path
) -> None:
    from lienthong.domain.calendar import WorkingCalendar
    from lienthong.groups.death.synthetic import ALL_FOUR, death_dossier
    from lienthong.hub.transitions import Context, decide
    from lienthong.lookup import keyring

    context = Context(NOW, WorkingCalendar(), keyring(settings(tmp_path)), BASE)
    record = (
        AvroCodec()
        .decode(
            AvroCodec().encode(
                "DeathDossierSubmitted", death_dossier(1, procedures=ALL_FOUR, submitted_at=NOW)
            )
        )
        .record
    )
    state, _ = decide(None, "DeathDossierSubmitted", record, context)
    assert state is not None
    hub.keep(state)
    status, _, body = await hub.get(url_of(state))
    text = visible(body)
    assert status == 200
    for words in (
        "Liên thông khai tử",
        "Đăng ký khai tử",
        "Xóa đăng ký thường trú",
        "Trợ cấp mai táng",
        "Trợ cấp tuất",
    ):
        assert words in text, words
    assert "khai sinh" not in text
    _, _, english = await hub.get(url_of(state, lang="en"))
    assert "Funeral allowance" in visible(english) and "Survivor benefit" in visible(english)
