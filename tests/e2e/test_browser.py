"""The citizen's status page and the operator board in headless Chromium, against the running
deployables: what a person would see, checked on the page and kept as screenshots."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka_reading import read_topic
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from lienthong import topics
from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.batch import RunResult, push_through
from lienthong.client.status import Timeline
from lienthong.clocks import OffsetFileClock
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import metadata
from lienthong.domain.declaration import ProcedureGroup
from lienthong.groups.birth.synthetic import Synthetic, generate
from lienthong.groups.death.synthetic import death_dossier
from lienthong.groups.registry import GROUPS
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics
from operators import OPERATOR

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
SEED = 20260305
PHONE = (390, 844)
DESKTOP = (1280, 900)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
PROCEDURES_VI = {
    "civil_registry": "Đăng ký khai sinh",
    "residence": "Đăng ký thường trú",
    "health_insurance": "Cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
}
GARBAGE = b"not an event at all"


class Browser:
    """Headless Chromium (the Debian package) through Selenium, no network but the hub."""

    def __init__(self, shots: Path) -> None:
        binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if binary is None or driver is None:
            pytest.fail("install the Debian packages chromium and chromium-driver (make deps)")
        options = webdriver.ChromeOptions()
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
            options.add_argument(flag)
        options.binary_location = binary
        #: Network events, to see the status and headers of what the browser was answered.
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(driver))
        self.shots = shots

    def sign_in(self, name: str, password: str) -> None:
        """Send HTTP Basic credentials with every request, as after the browser's sign-in box
        (which a headless browser cannot fill in)."""
        token = base64.b64encode(f"{name}:{password}".encode()).decode()
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}}
        )

    def answer_to(self, url: str) -> tuple[int, dict[str, str]]:
        """Load ``url``; the status and headers the page itself was answered with."""
        self.driver.get_log("performance")  # drop older events
        self.driver.get(url)
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            response = event.get("params", {}).get("response", {})
            if event["method"] == "Network.responseReceived" and response.get("url") == url:
                return int(response["status"]), dict(response["headers"])
        raise AssertionError(f"no response for {url} in the browser's network log")

    def open(self, url: str, size: tuple[int, int] = PHONE) -> str:
        """Load ``url`` in a window of ``size``; the page's visible text."""
        self.driver.set_window_size(*size)
        self.driver.get(url)
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def shot(self, name: str, size: tuple[int, int] = PHONE) -> Path:
        """A screenshot of the whole page at the window's width."""
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        self.driver.set_window_size(size[0], max(size[1], height + 140))
        path = self.shots / f"{name}.png"
        assert self.driver.save_screenshot(str(path))
        self.driver.set_window_size(*size)
        return path

    def items(self, selector: str) -> list[Any]:
        return [e for e in self.driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]

    def overflows(self) -> bool:
        return bool(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth"
            )
        )

    def until(self, url: str, seen: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Reload ``url`` until its text satisfies ``seen`` (the board caches a few seconds)."""
        deadline = time.monotonic() + timeout
        text = self.open(url, DESKTOP)
        while not seen(text) and time.monotonic() < deadline:
            time.sleep(1.0)
            text = self.open(url, DESKTOP)
        return text


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = Browser(tmp_path)
    try:
        yield chromium
    finally:
        chromium.driver.quit()


def received(timeline: Timeline) -> dict[str, Any]:
    (record,) = timeline.of("DossierReceived")
    return record


def image_width(path: Path) -> int:
    with Image.open(path) as image:
        return int(image.width)


def check_step_cards(browser: Browser, expected: dict[str, str]) -> None:
    """Each chosen procedure is a visible card naming the procedure and its state."""
    cards = browser.items("li.step-item")
    assert [c.get_attribute("data-step") for c in cards] == list(expected)
    for card in cards:
        step = str(card.get_attribute("data-step"))
        assert PROCEDURES_VI[step] in card.text
        assert expected[step] in card.text, (step, card.text)


# -- a finished dossier and the board ----------------------------------------------------------


def finished_full(result: RunResult, items: list[Synthetic]) -> str:
    """A dossier of the full group that completed (each of its three steps is shown)."""
    for item in items:
        dossier_id = str(item.record["meta"]["dossier_id"])
        final = result.timelines[dossier_id].final
        full = len(item.record["procedures"]) == 3
        if full and final is not None and final[1].get("outcome") == "COMPLETED":
            return dossier_id
    raise AssertionError("no completed dossier of the full group among the generated ones")


def test_a_finished_dossier_and_the_operator_board(
    isolated: Settings, stack: LocalStack, browser: Browser
) -> None:
    now = dt.datetime.now(dt.UTC)
    items = generate(
        6,
        seed=SEED,
        twins_share=0.0,
        start=now - dt.timedelta(minutes=5),
        live=True,
        combinations={("civil_registry", "residence", "health_insurance"): 1.0},
    )
    result = push_through(isolated, items, timeout=120)
    assert result.still_open() == []
    dossier_id = finished_full(result, items)
    receipt = received(result.timelines[dossier_id])

    text = browser.open(receipt["status_url"])
    assert receipt["receipt_number"] in text
    assert "Đã hoàn thành" in text and "Đúng hạn" in text
    check_step_cards(browser, dict.fromkeys(PROCEDURES_VI, "Hoàn thành"))
    assert not browser.overflows(), "the page must fit a 390 px wide phone"
    shot = browser.shot("status-finished")
    assert image_width(shot) == PHONE[0]

    browser.driver.find_element(By.CSS_SELECTOR, "a.lang").click()
    english = str(browser.driver.find_element(By.TAG_NAME, "body").text)
    assert "Birth registration" in english and "Completed" in english and "On time" in english
    browser.shot("status-finished-en")

    with IntakePublisher(isolated) as publisher:
        publisher.send_raw(b"garbage-1", GARBAGE)
    # The board is not on the citizens' listener at all, and its own listener asks for sign-in.
    assert browser.answer_to(f"{isolated.public_base_url}/board")[0] == 404
    status, headers = browser.answer_to(f"{operators(isolated)}/board")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic realm=")
    assert isolated.public_base_url not in operators(isolated)
    browser.sign_in(*OPERATOR)
    board = browser.until(
        f"{operators(isolated)}/board",
        lambda text: "not an Avro single-object message" in text and "100%" in text,
    )
    assert "Đúng hạn hôm nay" in board and "100%" in board
    assert "6 / 6 hồ sơ hoàn thành hôm nay" in board
    assert "Không có hồ sơ quá hạn" in board
    assert f"{isolated.topic('intake')}[" in board and "NotSingleObjectEncoded" in board
    for name in PROCEDURES_VI.values():
        assert name in board
    assert f"Đăng nhập: {OPERATOR[0]}" in board
    browser.shot("board", DESKTOP)

    viewed = [d.record for _, _, d in read_topic(isolated, topics.AUDIT) if d is not None]
    assert {(v["meta"]["dossier_id"], v["channel"]) for v in viewed} == {
        (dossier_id, "status_page")
    }
    assert len(viewed) == 2  # Vietnamese, then English


# -- a dossier waiting for a supplement, and an overdue one ----------------------------------------


def wait_for(settings: Settings, dossier_id: str, event: str, timeout: float = 60.0) -> Timeline:
    follower = StatusFollower(settings).only(dossier_id)
    try:
        found = follower.wait_until(
            lambda t: dossier_id in t and bool(t[dossier_id].of(event)), timeout
        )
        assert found, f"{dossier_id}: no {event} within {timeout:.0f} s"
        return follower.timelines[dossier_id]
    finally:
        follower.close()


def ask_for_a_supplement(settings: Settings, dossier_id: str, cause: str) -> None:
    """What the civil-registry agency publishes when documents are missing (the contract)."""
    meta = metadata(
        "SupplementRequested", dossier_id, "civil-registry", dt.datetime.now(dt.UTC), cause
    )
    record = {
        "meta": meta,
        "step": "civil_registry",
        "missing": ["Giấy chứng sinh (bản chụp rõ nét)"],
        "message": "Ảnh giấy chứng sinh bị mờ, không đọc được số giấy. Xin gửi lại bản rõ nét.",
    }
    data = AvroCodec().encode("SupplementRequested", record)
    with IntakePublisher(settings) as publisher:
        publisher.send_raw(dossier_id.encode(), data, topics.completion("civil_registry"))


def test_a_dossier_waiting_for_a_supplement_and_an_overdue_one_on_the_board(
    isolated: Settings, tmp_path: Path, browser: Browser
) -> None:
    # The legal clock starts when the hub receives a dossier: the late one is received nine
    # days ago on a shared clock, which then moves to today.
    isolated = isolated.model_copy(update={"clock_offset_file": tmp_path / "clock"})
    clock = OffsetFileClock(tmp_path / "clock")
    clock.advance(-dt.timedelta(days=9))
    prepare_topics(isolated)
    # No civil-registry processor: its handoffs wait, as they would for a slow commune.
    agencies = ("hub", "residence", "health-insurance")
    now = dt.datetime.now(dt.UTC)
    full = {("civil_registry", "residence", "health_insurance"): 1.0}
    late = generate(1, seed=SEED + 1, twins_share=0.0, start=now - dt.timedelta(days=9), live=True)
    fresh = generate(
        1,
        seed=SEED + 2,
        twins_share=0.0,
        start=now - dt.timedelta(minutes=3),
        live=True,
        combinations=full,
    )
    late_id, fresh_id = (str(i[0].record["meta"]["dossier_id"]) for i in (late, fresh))
    with LocalStack(isolated, tmp_path / "logs", names=agencies):
        with IntakePublisher(isolated) as publisher:
            publisher.submit(late[0].record, validate=False)
            wait_for(isolated, late_id, "StepHandedOff")
            clock.advance(dt.timedelta(days=9))
            publisher.submit(fresh[0].record, validate=False)
        wait_for(isolated, late_id, "StepHandedOff")
        handed = wait_for(isolated, fresh_id, "StepHandedOff")
        cause = str(handed.of("StepHandedOff")[0]["meta"]["event_id"])
        ask_for_a_supplement(isolated, fresh_id, cause)
        timeline = wait_for(isolated, fresh_id, "SupplementAwaited")

        text = browser.open(received(timeline)["status_url"])
        assert "Việc bạn cần làm" in text
        assert "Giấy chứng sinh (bản chụp rõ nét)" in text
        assert "Ảnh giấy chứng sinh bị mờ" in text and "Hạn bổ sung:" in text
        assert "Đang giải quyết" in text
        check_step_cards(
            browser,
            {
                "civil_registry": "Cần bổ sung hồ sơ",
                "residence": "Chờ bước trước",
                "health_insurance": "Chờ bước trước",
            },
        )
        action = browser.items("#actions")
        assert action and action[0].location["y"] < browser.items("#timeline")[0].location["y"]
        assert not browser.overflows()
        browser.shot("status-supplement")

        late_receipt = received(wait_for(isolated, late_id, "DossierReceived"))
        text = browser.open(late_receipt["status_url"])
        assert "Quá hạn" in text and "Đang xử lý" in text
        browser.shot("status-overdue")

        browser.sign_in(*OPERATOR)
        board = browser.until(
            f"{operators(isolated)}/board?lang=en",
            lambda text: late_receipt["receipt_number"] in text,
        )
        assert "Overdue dossiers (1)" in board
        assert "Commune People's Committee (civil status)" in board
        rows = {
            str(r.get_attribute("data-step")): r.text
            for r in browser.items("#in-flight tr[data-step]")
        }
        assert late_receipt["receipt_number"] in rows["civil_registry"]
        in_flight, with_citizen = (
            browser.driver.find_element(
                By.CSS_SELECTOR, f"#in-flight tr[data-step=civil_registry] td:nth-child({n})"
            ).text
            for n in (2, 3)
        )
        assert (in_flight, with_citizen) == ("1", "1")
        browser.shot("board-overdue", DESKTOP)


# -- each group's own pages: its procedures page, its poster, its dossiers' status page ----------


def label(group: ProcedureGroup, lang: str) -> str:
    return group.label_en if lang == "en" else group.label_vi


def page_title(group: ProcedureGroup, lang: str) -> str:
    assert group.title is not None, f"{group.name} declares no page title"
    return group.title.in_language(lang)


def not_another_groups(text: str, group: ProcedureGroup, lang: str) -> None:
    for other in GROUPS.values():
        if other.name != group.name:
            assert page_title(other, lang) not in text, (group.name, other.name)
            assert label(other, lang) not in text, (group.name, other.name)


def check_procedures_page(browser: Browser, group: ProcedureGroup, lang: str) -> None:
    """The page as a citizen reads it on a phone: the group's title, documents and fees."""
    text = str(browser.driver.find_element(By.TAG_NAME, "body").text)
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == page_title(group, lang)
    documents = [*group.documents, *(d for s in group.steps.values() for d in s.documents)]
    shown = [li.text for li in browser.items("#documents li")]
    assert shown == [d.in_language(lang) for d in documents]
    fees = browser.driver.find_element(By.ID, "fees").text
    if group.fees is not None:
        assert fees == group.fees.in_language(lang)
    else:  # no verified fee rule: the page says so rather than guess one
        assert fees.startswith("Lệ phí: chưa có thông tin" if lang == "vi" else "Fees: no verified")
    assert group.source in browser.driver.find_element(By.ID, "source").text
    for spec in group.steps.values():
        assert (spec.label_en if lang == "en" else spec.label_vi) in text
    not_another_groups(text, group, lang)
    assert not browser.overflows(), "the page must fit a 390 px wide phone"


@pytest.mark.parametrize("name", list(GROUPS))
def test_each_groups_procedures_page_and_poster(
    isolated: Settings, tmp_path: Path, browser: Browser, name: str
) -> None:
    group = GROUPS[name]
    prepare_topics(isolated)
    with LocalStack(isolated, tmp_path / "logs", names=("hub",)):
        for lang in ("vi", "en"):
            url = f"{isolated.public_base_url}/procedures/{name}?lang={lang}"
            assert browser.answer_to(url)[0] == 200
            browser.open(url)
            check_procedures_page(browser, group, lang)
            browser.shot(f"procedures-{name}-{lang}")
            poster = browser.driver.find_element(By.ID, "poster").get_attribute("href")
            png = str(poster).replace("/poster.pdf", "/poster.png", 1)
            status, headers = browser.answer_to(png)
            assert status == 200 and headers["Content-Type"] == "image/png", headers


def dossiers_of(name: str, chosen: tuple[str, ...], now: dt.datetime) -> list[Synthetic]:
    """Valid dossiers of a group's combination, from that group's synthetic maker."""
    if name == "birth":
        return generate(
            3, seed=SEED + 4, twins_share=0.0, start=now, live=True, combinations={chosen: 1.0}
        )
    if name == "death":
        return [
            Synthetic(death_dossier(i, procedures=chosen, submitted_at=now, seed=SEED))
            for i in range(3)
        ]
    pytest.fail(f"the browser test has no synthetic dossiers of the group {name}: add them")


@pytest.mark.parametrize("name", list(GROUPS))
def test_each_groups_status_page_is_its_own(
    isolated: Settings, stack: LocalStack, browser: Browser, name: str
) -> None:
    group = GROUPS[name]
    chosen = tuple(group.order(max(group.combinations, key=len)))
    items = dossiers_of(name, chosen, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    result = push_through(isolated, items, timeout=120)
    assert result.still_open() == []
    done = [
        dossier_id
        for dossier_id, timeline in result.timelines.items()
        if timeline.final is not None and timeline.final[1].get("outcome") == "COMPLETED"
    ]
    assert done, f"no completed dossier of the group {name}"
    receipt = received(result.timelines[done[0]])

    text = browser.open(receipt["status_url"])
    assert receipt["receipt_number"] in text and "Đã hoàn thành" in text
    assert browser.driver.find_element(By.CSS_SELECTOR, "header .service").text == label(
        group, "vi"
    )
    cards = browser.items("li.step-item")
    assert [c.get_attribute("data-step") for c in cards] == list(chosen)
    for card in cards:
        spec = group.steps[str(card.get_attribute("data-step"))]
        assert spec.label_vi in card.text and spec.agency_vi in card.text
        assert "Hoàn thành" in card.text
    not_another_groups(text, group, "vi")
    assert not browser.overflows(), "the page must fit a 390 px wide phone"
    browser.shot(f"status-{name}")

    browser.driver.find_element(By.CSS_SELECTOR, "a.lang").click()
    english = str(browser.driver.find_element(By.TAG_NAME, "body").text)
    assert label(group, "en") in english and "Completed" in english
    for step in chosen:
        assert group.steps[step].label_en in english
    not_another_groups(english, group, "en")
    browser.driver.find_element(By.ID, "procedures").click()
    check_procedures_page(browser, group, "en")


# -- two hub workers: each answers for every dossier -----------------------------------------


def operators(settings: Settings) -> str:
    """The hub's operators' listener (its own port, sign-in required)."""
    return f"http://127.0.0.1:{settings.operator_port()}"


def get(url: str, signed_in: bool = False) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if signed_in:
        token = base64.b64encode(":".join(OPERATOR).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())
    except urllib.error.URLError:  # not listening (yet)
        return 0, b""


def test_every_hub_worker_answers_for_every_dossier(isolated: Settings, stack: LocalStack) -> None:
    now = dt.datetime.now(dt.UTC)
    items = generate(
        12, seed=SEED + 3, twins_share=0.0, start=now - dt.timedelta(minutes=5), live=True
    )
    result = push_through(isolated, items, timeout=120)
    assert result.still_open() == []
    stack.spawn("hub", 1)
    second = isolated.model_copy(update={"worker_index": 1})
    workers = [
        f"http://127.0.0.1:{isolated.web_port('hub')}",
        f"http://127.0.0.1:{second.web_port('hub')}",
    ]
    signed_in = [operators(isolated), operators(second)]
    links = [
        received(t)["status_url"].removeprefix(isolated.public_base_url)
        for t in result.timelines.values()
    ]

    def held() -> list[int]:
        """Dossiers finished today in each worker's own partitions of the table."""
        answers = [get(f"{w}/api/board/local", signed_in=True) for w in signed_in]
        return [json.loads(body)["finished_today"] for status, body in answers if status == 200]

    deadline = time.monotonic() + 90
    counts = held()
    while time.monotonic() < deadline:  # the second worker joins, takes partitions, recovers them
        if len(counts) == 2 and min(counts) > 0 and sum(counts) == len(links):
            break
        time.sleep(1.0)
        counts = held()
    assert len(counts) == 2 and min(counts) > 0 and sum(counts) == len(links), counts

    for link in links:
        answers = [get(f"{w}{link}") for w in workers]
        assert [status for status, _ in answers] == [200, 200], link
        png = link.replace("/status/", "/receipt/", 1).replace("?", ".png?", 1)
        images = [get(f"{w}{png}") for w in workers]
        assert images[0] == images[1] and images[0][1].startswith(b"\x89PNG"), link
    boards = [json.loads(get(f"{w}/api/board", signed_in=True)[1]) for w in signed_in]
    assert [b["today"]["finished"] for b in boards] == [len(links), len(links)]
    assert [b["partial"] for b in boards] == [[], []]
