"""The satisfaction question answered in headless Chromium on a finished dossier's page, once,
and only with the lookup code; the province's deadline cut shown on the same page."""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import test_browser
from kafka_reading import read_topic
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from test_browser import Browser, received, wait_for

from lienthong import topics
from lienthong.client.batch import push_through
from lienthong.groups.birth.synthetic import generate
from lienthong.runtime.stack import LocalStack
from lienthong.settings import Settings
from lienthong.worker import prepare_topics

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
#: The browser tests' Chromium, shared under its fixture name.
browser = test_browser.browser
DECISION = "2468/QĐ-UBND"
CUTS = f"""decisions:
  - province: "01"
    group: birth
    step: whole
    decision: "{DECISION}"
    effective: 2025-07-01
    days: 2
"""


def post(url: str, form: dict[str, str]) -> int:
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def page_shows(browser: Browser, words: str, timeout: float = 15.0) -> str:
    """The page's text once it shows ``words`` (a submitted form loads its answer)."""
    wait = WebDriverWait(
        browser.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
    )
    wait.until(lambda driver: words in driver.find_element(By.TAG_NAME, "body").text)
    return str(browser.driver.find_element(By.TAG_NAME, "body").text)


def recorded(settings: Settings, dossier_id: str) -> list[dict[str, object]]:
    return [
        d.record
        for _, _, d in read_topic(settings, topics.STATUS)
        if d is not None
        and d.name == "SatisfactionRecorded"
        and d.record["meta"]["dossier_id"] == dossier_id
    ]


def test_a_citizen_answers_once_and_only_with_the_code(
    isolated: Settings, tmp_path: Path, browser: Browser
) -> None:
    declaration = tmp_path / "deadline-cuts.yaml"
    declaration.write_text(CUTS, encoding="utf-8")
    settings = isolated.model_copy(update={"deadline_cuts_file": declaration})
    prepare_topics(settings)
    now = dt.datetime.now(dt.UTC)
    items = generate(
        2,
        seed=1616,
        twins_share=0.0,
        start=now - dt.timedelta(minutes=5),
        live=True,
        province="01",
        combinations={("civil_registry", "residence", "health_insurance"): 1.0},
    )
    with LocalStack(settings, tmp_path / "logs"):
        result = push_through(settings, items, timeout=120)
        assert result.still_open() == []
        dossier_id = str(items[0].record["meta"]["dossier_id"])
        receipt = received(result.timelines[dossier_id])
        number, code = receipt["receipt_number"], receipt["lookup_code"]
        base = settings.public_base_url

        text = browser.open(receipt["status_url"])
        assert "Đã hoàn thành" in text
        verification = items[0].record.get("verification_needed")
        days = "5 ngày làm việc" if verification else "2 ngày làm việc"
        assert days in text
        if not verification:
            assert f"rút ngắn theo Quyết định {DECISION}; luật định: 3" in text
        assert "Ông/bà có hài lòng với việc giải quyết hồ sơ này không?" in text
        browser.shot("satisfaction-question")

        # Without the code, or with a wrong one, nothing is recorded.
        assert "Không tìm thấy hồ sơ" in browser.open(f"{base}/satisfaction/{number}")
        assert post(f"{base}/satisfaction/{number}", {"satisfied": "no"}) == 404
        browser.open(receipt["status_url"])
        browser.driver.execute_script(
            "document.querySelector('#satisfaction-form input[name=code]').value = 'AAAAAAAA'"
        )
        browser.driver.find_element(By.ID, "satisfied-yes").click()
        browser.driver.find_element(By.ID, "satisfaction-send").click()
        page_shows(browser, "Không tìm thấy hồ sơ")

        # With it: not satisfied, too slow.
        browser.open(receipt["status_url"])
        browser.driver.find_element(By.ID, "satisfied-no").click()
        Select(browser.driver.find_element(By.ID, "satisfaction-reason")).select_by_value(
            "TOO_SLOW"
        )
        browser.driver.find_element(By.ID, "satisfaction-send").click()
        page_shows(browser, "Cảm ơn ông/bà đã đánh giá.")
        browser.shot("satisfaction-thanks")
        timeline = wait_for(settings, dossier_id, "SatisfactionRecorded")
        (answer,) = timeline.of("SatisfactionRecorded")
        assert (answer["satisfied"], answer["reason"]) == (False, "TOO_SLOW")
        assert answer["registering_commune"] == items[0].record["registering_commune"]

        # The page now thanks instead of asking, and a second answer is refused.
        text = browser.open(receipt["status_url"])
        assert "Hồ sơ này đã được đánh giá" in text and "Gửi đánh giá" not in text
        form = {"code": code, "satisfied": "yes"}
        assert post(f"{base}/satisfaction/{number}", form) == 409
        english = browser.open(f"{base}/satisfaction/{number}?code={code}&lang=en")
        assert "already been rated" in english
        time.sleep(2.0)  # time enough for a second answer to show up, were one to get through
        assert len(recorded(settings, dossier_id)) == 1
