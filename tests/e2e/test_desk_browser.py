"""The agency official's desk in headless Chromium against the running deployables: births the
review policy sends to a person wait on the desk; an official claims and approves one, a second
official cannot decide it, the dossier completes; a refused one shows its reason to the citizen.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from desk_client import AN, BINH, POLICE, api, desk_settings, until, waiting
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.client.status import received_event
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
OFFICE = (1366, 768)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run")
#: Where the desk's screenshots go when asked for (a directory named by the environment).
SHOTS = Path(os.environ.get("DESK_SCREENSHOTS", "")) if os.environ.get("DESK_SCREENSHOTS") else None


class Chromium:
    def __init__(self) -> None:
        binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if binary is None or driver is None:
            pytest.fail("install the Debian packages chromium and chromium-driver (make deps)")
        options = webdriver.ChromeOptions()
        for flag in (*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
            options.add_argument(flag)
        options.binary_location = binary
        self.driver = webdriver.Chrome(options=options, service=Service(driver))
        self.driver.set_window_size(*OFFICE)

    def sign_in(self, who: tuple[str, str]) -> None:
        token = base64.b64encode(f"{who[0]}:{who[1]}".encode()).decode()
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}}
        )

    def press(self, button: str) -> str:
        """Press a button of the case's form; the page it leads to (after the agency's answer).

        The page is loaded whole before the button is looked for, and a click that finds its
        button gone from the document (chromedriver: "Node with given id does not belong to the
        document", seen once in CI right after a page came) is made again on the page as it is:
        the click never reached the page, so nothing is sent twice.
        """
        wait = WebDriverWait(self.driver, 30)
        for attempt in range(3):
            wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
            old = self.driver.find_element(By.TAG_NAME, "body")
            try:
                wait.until(expected_conditions.element_to_be_clickable((By.ID, button))).click()
                break
            except WebDriverException as exc:  # a stale element's exception is one too
                gone = isinstance(exc, StaleElementReferenceException) or (
                    "does not belong to the document" in str(exc.msg)
                )
                if not gone or attempt == 2:
                    raise
        wait.until(expected_conditions.staleness_of(old))
        WebDriverWait(self.driver, 30).until(
            expected_conditions.presence_of_element_located((By.ID, "message"))
        )
        return self.text()

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def fits(self) -> bool:
        return not self.driver.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"
        )

    def shot(self, name: str) -> None:
        if SHOTS is not None and SHOTS.is_dir():
            self.driver.save_screenshot(str(SHOTS / f"desk-{name}.png"))


@pytest.fixture
def chromium() -> Iterator[Chromium]:
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.driver.quit()


def final_of(settings: Settings, dossier_id: str, timeout: float = 90.0) -> tuple[str, Any]:
    """The dossier's outcome once final, and its timeline."""
    follower = StatusFollower(settings).only(dossier_id)
    try:
        follower.wait_until(lambda t: dossier_id in t and t[dossier_id].final is not None, timeout)
        final = follower.timelines[dossier_id].final
        assert final is not None, f"{dossier_id} did not finish"
        return str(final[1].get("outcome") or final[0]), follower.timelines[dossier_id]
    finally:
        follower.close()


def test_an_official_claims_and_approves_another_refuses_and_the_citizen_reads_why(
    isolated: Settings, tmp_path: Path, chromium: Chromium
) -> None:
    settings = desk_settings(isolated)
    prepare_topics(settings)
    births = generate(
        2,
        seed=2411,
        twins_share=0.0,
        live=True,
        combinations={("civil_registry", "health_insurance"): 1.0},
    )
    ids = [str(b.record["meta"]["dossier_id"]) for b in births]
    base = f"http://127.0.0.1:{settings.operator_port()}"
    with LocalStack(settings, tmp_path / "logs"):
        with IntakePublisher(settings) as publisher:
            for birth in births:
                publisher.submit(birth.record, validate=False)
        listed = until(lambda: waiting(settings, 2))
        assert {c["dossier_id"] for c in listed} == set(ids)
        # the police's official sees no civil-registry case and cannot decide one
        assert api(settings, POLICE, "/api/desk/cases")[1]["cases"] == []
        first = next(c for c in listed if c["dossier_id"] == ids[0])
        second = next(c for c in listed if c["dossier_id"] == ids[1])
        key = first["register_key"]
        assert api(settings, POLICE, f"/api/desk/case?key={key}")[0] == 404
        police = {"register_key": key, "action": "claim"}
        assert api(settings, POLICE, "/api/desk/case", police)[0] == 404

        # the citizen reads that the commune reviews the dossier
        received = received_event(settings, ids[0])
        assert received is not None
        chromium.driver.get(str(received["status_url"]))
        assert "Hồ sơ đang được UBND cấp xã (hộ tịch) xem xét" in chromium.text()
        chromium.shot("reviewing-status")
        chromium.sign_in(AN)
        chromium.driver.get(f"{base}/desk")
        page = chromium.text()
        assert "Bàn làm việc của cán bộ" in page and "Đăng ký khai sinh" in page
        assert len(chromium.driver.find_elements(By.CSS_SELECTOR, "tr.case")) == 2
        assert chromium.fits(), "the desk must fit a 1366x768 office screen"
        chromium.shot("list")
        row = chromium.driver.find_element(By.CSS_SELECTOR, f"tr.case[data-key='{key}'] a")
        row.click()
        assert "Thông tin cơ quan nhận được" in chromium.text()
        assert first["projection"]["birth_certificate"]["code"] in chromium.text()
        page = chromium.press("claim")
        assert "Đã thực hiện." in page and "Đang xử lý" in page

        # a second official can neither claim nor decide it
        status, body = api(
            settings, BINH, "/api/desk/case", {"register_key": key, "action": "approve"}
        )
        assert status == 409 and body["answer"].startswith(f"claimed by {AN[0]}")
        chromium.shot("case")
        page = chromium.press("approve")
        assert "Đã thực hiện." in page and "Đã phê duyệt" in page
        outcome, timeline = final_of(settings, ids[0])
        assert outcome == "COMPLETED"
        (note,) = [w for w in timeline.of("StepWaiting") if w["step"] == "civil_registry"]
        assert "xem xét" in note["message"]
        status, body = api(
            settings, BINH, "/api/desk/case", {"register_key": key, "action": "claim"}
        )
        assert status == 409 and "already decided (approved) by an.nguyen" in body["answer"]

        # the second case: refused with a declared reason, which the citizen reads
        chromium.driver.get(f"{base}/desk/case?key={second['register_key']}")
        chromium.press("claim")
        Select(chromium.driver.find_element(By.ID, "reason_code")).select_by_value(
            "paternity_unproven"
        )
        assert "Đã từ chối" in chromium.press("refuse")
        outcome, timeline = final_of(settings, ids[1])
        assert outcome == "REJECTED", outcome
        (refused,) = timeline.of("DossierReceived")
        chromium.driver.get(str(refused["status_url"]))
        assert "Chưa có giấy tờ chứng minh quan hệ cha con" in chromium.text()
        chromium.shot("refused-status")
        assert api(settings, AN, "/api/desk/cases")[1]["cases"] == []
