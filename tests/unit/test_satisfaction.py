"""The satisfaction question: the hub's decision, the page that asks it, the metric."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import test_web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry
from test_agents import prepare
from test_hub_transitions import CR, HI, RES, Hub, submission, wire
from test_web import FINISHED, SUPPLEMENT, url_of, visible
from test_web import Hub as WebHub

from lienthong.domain.calendar import ManualClock
from lienthong.hub import app as hub_app
from lienthong.hub.pages.routing import Workers
from lienthong.hub.satisfaction import REASONS, satisfaction_given
from lienthong.hub.transitions import NotExpected
from lienthong.metrics import Metrics

#: The web tests' hub (its web app under a test client), shared under its fixture name.
hub = test_web.hub
FORBIDDEN = ("full_name", "personal_id", "phone", "email", "address", "name")


def finished_hub() -> Hub:
    made = Hub(copy.deepcopy(submission((CR, RES, HI))))
    made.submit()
    for step in (CR, RES, HI):
        made.complete(step)
    assert made.state is not None and made.state.phase == "finished"
    return made


def answer(made: Hub, satisfied: bool, reason: str | None = None, code: str | None = None) -> Any:
    assert made.state is not None
    env = satisfaction_given(
        made.state.dossier_id, code or made.state.lookup_code, satisfied, reason, made.now
    )
    return made.apply(env.schema, env.record)


def test_one_answer_per_dossier_becomes_one_status_event() -> None:
    made = finished_hub()
    (recorded,) = answer(made, False, "TOO_SLOW")
    record = wire(recorded.schema, recorded.record)
    assert recorded.schema == "SatisfactionRecorded" and recorded.topic == "status"
    assert (record["satisfied"], record["reason"], record["group"]) == (False, "TOO_SLOW", "birth")
    assert record["registering_commune"] == made.submission["registering_commune"]
    assert record["on_time"] is True
    assert not any(key in record for key in FORBIDDEN)
    # the same answer again, or a different one: the first stands, nothing more is said
    assert answer(made, False, "TOO_SLOW") == []
    assert answer(made, True) == []
    assert made.state is not None and made.state.satisfied is False


def test_a_satisfied_answer_drops_any_reason() -> None:
    made = finished_hub()
    (recorded,) = answer(made, True, "OTHER")
    assert (recorded.record["satisfied"], recorded.record["reason"]) == (True, None)


def test_the_hub_checks_the_code_and_that_the_dossier_is_finished() -> None:
    with pytest.raises(NotExpected, match="lookup code does not match"):
        answer(finished_hub(), True, code="AAAAAAAA")
    opened = Hub(copy.deepcopy(submission((CR, RES))))
    opened.submit()
    with pytest.raises(NotExpected, match="is not finished"):
        answer(opened, True)


def test_the_metric_counts_answers_by_group_commune_and_choice() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    metrics.satisfaction_recorded("birth", "00004", True)
    metrics.satisfaction_recorded("birth", "99999", False)
    value = registry.get_sample_value
    labels = {"group": "birth", "commune": "00004", "satisfied": "true"}
    assert value("lienthong_satisfaction_answers_total", labels) == 1
    unknown = {"group": "birth", "commune": "other", "satisfied": "false"}
    assert value("lienthong_satisfaction_answers_total", unknown) == 1


# -- the page ----------------------------------------------------------------------------------


async def post(web_hub: WebHub, receipt: str, **form: str) -> tuple[int, str]:
    answer = await web_hub.client.post(f"/satisfaction/{receipt}", data=form)
    return answer.status, visible(await answer.read())


def answers_sent(web_hub: WebHub) -> list[dict[str, Any]]:
    return [decoded.record for _, decoded in web_hub.sent.on("hub.deadlines")]


async def test_the_status_page_of_a_finished_dossier_asks_the_question(hub: WebHub) -> None:
    _, _, body = await hub.get(url_of(FINISHED))
    assert "Ông/bà có hài lòng với việc giải quyết hồ sơ này không?" in visible(body)
    _, _, body = await hub.get(url_of(FINISHED, lang="en"))
    text = visible(body)
    assert "Are you satisfied with how this dossier was handled?" in text
    assert all(en in text for _, en in REASONS.values())
    _, _, body = await hub.get(url_of(SUPPLEMENT))
    assert "hài lòng" not in visible(body).lower()


async def test_an_answer_with_the_code_is_handed_to_the_hub(hub: WebHub) -> None:
    status, text = await post(
        hub, FINISHED.receipt_number, code=FINISHED.lookup_code, satisfied="no", reason="TOO_SLOW"
    )
    assert status == 200 and "Cảm ơn ông/bà đã đánh giá." in text
    (sent,) = answers_sent(hub)
    assert sent["meta"]["dossier_id"] == FINISHED.dossier_id
    assert (sent["satisfied"], sent["reason"], sent["meta"]["producer"]) == (
        False,
        "TOO_SLOW",
        "status-page",
    )


@pytest.mark.parametrize("code", ["AAAAAAAA", ""])
async def test_without_the_right_code_nothing_is_recorded(hub: WebHub, code: str) -> None:
    status, _ = await post(hub, FINISHED.receipt_number, code=code, satisfied="yes")
    assert status == 404 and answers_sent(hub) == []


async def test_a_dossier_not_finished_or_already_rated_is_refused(hub: WebHub) -> None:
    status, text = await post(
        hub, SUPPLEMENT.receipt_number, code=SUPPLEMENT.lookup_code, satisfied="yes", lang="en"
    )
    assert status == 409 and "once it is finished" in text
    rated = FINISHED.model_copy(update={"satisfied": True})
    hub.keep(rated)
    status, text = await post(hub, rated.receipt_number, code=rated.lookup_code, satisfied="no")
    assert status == 409 and "đã được đánh giá" in text
    _, _, body = await hub.get(url_of(rated))
    assert "Hồ sơ này đã được đánh giá" in visible(body) and "satisfaction-form" not in str(body)
    assert answers_sent(hub) == []


@pytest.mark.parametrize(
    "form", [{"satisfied": "maybe"}, {}, {"satisfied": "no", "reason": "NOT_A_REASON"}]
)
async def test_a_choice_outside_the_list_is_refused(hub: WebHub, form: dict[str, str]) -> None:
    status, text = await post(
        hub, FINISHED.receipt_number, code=FINISHED.lookup_code, lang="en", **form
    )
    assert status == 400 and "Please choose Satisfied or Not satisfied." in text
    assert answers_sent(hub) == []


async def test_the_question_alone_at_its_own_address(hub: WebHub, tmp_path: Path) -> None:
    status, _, body = await hub.get(
        f"/satisfaction/{FINISHED.receipt_number}?code={FINISHED.lookup_code}"
    )
    assert status == 200 and 'id="satisfaction-form"' in body.decode()
    status, _, _ = await hub.get(f"/satisfaction/{FINISHED.receipt_number}?code=AAAAAAAA")
    assert status == 404
    (viewed,) = hub.viewed()  # the answered view is in the audit trail, the failed one is not
    assert (viewed["channel"], viewed["path"]) == (
        "satisfaction_page",
        f"/satisfaction/{FINISHED.receipt_number}",
    )


async def test_an_answer_reaching_another_worker_is_posted_to_the_owner(
    hub: WebHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "owner").mkdir()
    owner = hub_app.create(
        test_web.settings(tmp_path / "owner"),
        clock=ManualClock(test_web.NOW),
        with_web_metrics=False,
    )
    owner_sent = prepare(owner)
    owner.tables["dossiers"] = {FINISHED.dossier_id: FINISHED.to_table()}
    async with TestServer(owner.app.web.web_app) as server:
        url = str(server.make_url("")).rstrip("/")
        monkeypatch.setattr(Workers, "owner", lambda self, dossier_id: url)
        try:
            status, text = await post(
                hub, FINISHED.receipt_number, code=FINISHED.lookup_code, satisfied="yes"
            )
        finally:
            await hub.dep.app.http_client.close()
    assert status == 200 and "Cảm ơn ông/bà đã đánh giá." in text
    assert answers_sent(hub) == []  # the worker asked published nothing itself
    (sent,) = [decoded.record for _, decoded in owner_sent.on("hub.deadlines")]
    assert (sent["meta"]["dossier_id"], sent["satisfied"]) == (FINISHED.dossier_id, True)
