"""Registration on the commune's initiative from a health facility's notice (Civil Status Law
2026), through the real broker and the four deployables as processes: the notice with consent
waits for the family, the family completes it through the signed link, the birth is registered
and handed to the other agencies; the family's own filing for the same child is the same
dossier; a notice without consent opens nothing."""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_reading import read_topic
from scenario import Scenario, finished

from lienthong.contracts.events import event_id
from lienthong.groups.birth.facility import family_part, notice_for
from lienthong.groups.birth.notice import dossier_id_of
from lienthong.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.e2e]
ALL = ("hub", "civil-registry", "residence", "health-insurance")


@pytest.fixture
def scenario(broker: Settings, tmp_path: Path) -> Iterator[Scenario]:
    # the law's date moved back, so that today's notices open dossiers
    running = Scenario(broker.model_copy(update={"notice_in_force": dt.date(2026, 1, 1)}), tmp_path)
    try:
        yield running
    finally:
        running.close()


def _page(scenario: Scenario, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    """A citizen's request to the hub's own port (the link's path and query kept)."""
    parts = urllib.parse.urlsplit(url)
    local = f"http://127.0.0.1:{scenario.settings.hub_web_port}{parts.path}"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    target = f"{local}?{parts.query}" if data is None else local
    with urllib.request.urlopen(target, data=data, timeout=15) as page:
        return page.status, page.read().decode()


def test_a_notice_completed_through_the_link_registers_the_birth_once(
    scenario: Scenario,
) -> None:
    scenario.start(*ALL)
    items = [
        i
        for i in scenario.dossiers(30, seed=2603, twins_share=0.0)
        if not i.invalid and len(i.record["procedures"]) == 3
    ]
    agreed, refused, portal, plain = (i.record for i in items[:4])
    now = scenario.clock.now()
    for dossier, consent in ((refused, False), (agreed, True), (portal, True)):
        notice = notice_for(dossier, consent=consent, at=now)
        scenario.publish("intake", "BirthNoticeIssued", dict(notice))
    dossier_id = dossier_id_of(agreed["birth_certificate"]["code"])
    waiting = scenario.wait_for_event(dossier_id, "DossierAwaitingFamily")
    assert not scenario.timeline(dossier_id).of("DossierReceived"), "no clock before the family"

    status, status_page = _page(
        scenario, waiting["completion_url"].replace("/complete/", "/status/") + "&lang=en"
    )
    assert status == 200 and 'id="complete-link"' in status_page
    assert "Waiting for the family" in status_page
    status, form_page = _page(scenario, waiting["completion_url"])
    assert status == 200 and 'name="given_name"' in form_page
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(waiting["completion_url"]).query)["code"]
    status, answer = _page(
        scenario, waiting["completion_url"], {"code": code[0], "lang": "en", **family_part(agreed)}
    )
    assert status == 200 and "Received" in answer

    final = scenario.wait(dossier_id, finished, timeout=90).final
    assert final is not None and final[1]["outcome"] == "COMPLETED", final
    handed = {e["step"] for e in scenario.timeline(dossier_id).of("StepHandedOff")}
    assert handed == {"civil_registry", "residence", "health_insurance"}

    # The family files the same child again through the portal: the same dossier.
    again = {**agreed, "meta": {**agreed["meta"], "dossier_id": dossier_id}}
    again["meta"]["event_id"] = event_id("portal", dossier_id, uuid.uuid4())
    scenario.submit(again)
    time.sleep(5)
    assert len(scenario.timeline(dossier_id).of("DossierReceived")) == 1
    births = [
        d.record
        for k, _, d in read_topic(scenario.settings, "completion.civil-registry")
        if d and d.name == "BirthRegistered" and k.decode() == dossier_id
    ]
    assert len({b["registration_number"] for b in births}) == 1

    # The portal's usual filing under its own dossier id, matched by the certificate: the
    # notice's dossier is completed, the portal's id is told so and opens nothing.
    notice_id = dossier_id_of(portal["birth_certificate"]["code"])
    scenario.wait_for_event(notice_id, "DossierAwaitingFamily")
    own_id = scenario.submit(portal)
    told = scenario.wait_for_event(own_id, "DossierRejected")
    assert told["reasons"][0]["code"] == "same_child_as_notice", told
    final = scenario.wait(notice_id, finished, timeout=90).final
    assert final is not None and final[1]["outcome"] == "COMPLETED", final
    assert scenario.timeline(own_id).of("DossierReceived") == []
    # A filing with no notice behind it opens as always, under its own id; the facility's
    # notice for that child, arriving after it, opens nothing more.
    assert scenario.wait_for_event(scenario.submit(plain), "DossierReceived")
    late = notice_for(plain, consent=True, at=scenario.clock.now())
    scenario.publish("intake", "BirthNoticeIssued", dict(late))

    # Without consent nothing was opened; nor by the late notice.
    time.sleep(3)
    assert scenario.timeline(dossier_id_of(refused["birth_certificate"]["code"])).events == []
    assert scenario.timeline(dossier_id_of(plain["birth_certificate"]["code"])).events == []
    letters = [d for _, _, d in read_topic(scenario.settings, "deadletter") if d]
    assert letters == [], [d.record["reason"] for d in letters]

    # Bad input costs one dead letter each, with its reason: a notice from a principal that is
    # not a facility, and a malformed one.
    forged = notice_for(items[4].record, consent=True, at=scenario.clock.now())
    forged["meta"]["producer"] = "portal"
    broken = notice_for(items[5].record, consent=True, at=scenario.clock.now())
    broken["weight_grams"] = 12
    for bad in (forged, broken):
        scenario.publish("intake", "BirthNoticeIssued", dict(bad))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(letters) < 2:
        letters = [d for _, _, d in read_topic(scenario.settings, "deadletter") if d]
        time.sleep(0.5)
    reasons = sorted(str(d.record["reason"]) for d in letters)
    assert len(reasons) == 2, reasons
    assert "meta.producer" in reasons[0] and "weight_grams" in reasons[1], reasons
    for bad in (forged, broken):
        assert scenario.timeline(str(bad["meta"]["dossier_id"])).events == []
