"""A satisfaction answer for a dossier already moved to the archive: kept there, counted, once.

Finished dossiers leave the hub's working table after ``finished_retention_seconds``; a
citizen may answer the question on the status page later than that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import test_web
from test_agents import CODEC, GARBAGE, Recorder, deadline_check, prepare, settings, settle
from test_satisfaction import answers_sent, finished_hub, post
from test_web import FINISHED
from test_web import Hub as WebHub

from lienthong.domain.calendar import ManualClock
from lienthong.hub import app as hub_app
from lienthong.hub.satisfaction import satisfaction_given
from lienthong.hub.state import DossierState
from lienthong.runtime.deployable import Deployable

#: The web tests' hub (its web app under a test client), shared under its fixture name.
hub = test_web.hub


@pytest.fixture
async def hub_agent(tmp_path: Path) -> AsyncIterator[tuple[Deployable, Recorder, ManualClock]]:
    clock = ManualClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))
    dep = hub_app.create(settings(tmp_path), clock=clock, with_web_metrics=False)
    yield dep, prepare(dep), clock


async def test_an_answer_for_an_archived_dossier_is_kept_counted_and_taken_once(
    hub_agent: tuple[Deployable, Recorder, ManualClock],
) -> None:
    dep, sent, clock = hub_agent
    finished = finished_hub().state
    assert finished is not None and finished.finished_at is not None
    dossier_id, key = finished.dossier_id, finished.dossier_id.encode()
    dep.tables["dossiers"].data[dossier_id] = finished.to_table()  # as the hub left it
    retention = dt.timedelta(seconds=dep.settings.finished_retention_seconds)
    clock.set(finished.finished_at + retention + dt.timedelta(minutes=1))

    def answer(satisfied: bool, reason: str | None) -> bytes:
        env = satisfaction_given(dossier_id, finished.lookup_code, satisfied, reason, clock.now())
        return CODEC.encode(env.schema, env.record)

    async with dep.agents["route"].test_context() as agent:
        await agent.put(value=deadline_check(dossier_id, clock), key=key)  # its stay is over
        await settle(lambda: dossier_id in dep.tables["archive"].data)
        assert dossier_id not in dep.tables["dossiers"].data
        await agent.put(value=answer(False, "TOO_SLOW"), key=key)
        await settle(lambda: bool(sent.sent))
        await agent.put(value=answer(True, None), key=key)  # a second answer: refused
        await agent.put(value=GARBAGE, key=b"barrier")  # once dead-lettered, all before is done
        await settle(lambda: "DeadLetter" in sent.names())

    assert sent.names() == ["SatisfactionRecorded", "DeadLetter"]
    ((_, recorded),) = sent.on("status")
    assert (recorded.record["satisfied"], recorded.record["reason"]) == (False, "TOO_SLOW")
    assert recorded.record["group"] == finished.group
    assert recorded.record["registering_commune"] == finished.registering_commune
    kept = DossierState.model_validate(dep.tables["archive"].data[dossier_id])
    assert (kept.satisfied, kept.satisfaction_reason) == (False, "TOO_SLOW")
    assert kept.phase == "finished" and kept.submission == ""  # still the archive's record
    assert dossier_id not in dep.tables["dossiers"].data, "not brought back to the working table"
    value = dep.registry.get_sample_value
    assert value("lienthong_dossiers_archived_total") == 1
    labels = {"group": finished.group, "satisfied": "false"}
    answers = [
        s.value
        for metric in dep.registry.collect()
        if metric.name == "lienthong_satisfaction_answers"
        for s in metric.samples
        if s.name.endswith("_total") and labels.items() <= s.labels.items()
    ]
    assert answers == [1.0], "counted once in the satisfaction metric"


async def test_the_page_of_an_archived_dossier_takes_one_answer(hub: WebHub) -> None:
    archive = hub.dep.tables["archive"].data  # as the hub's retirement left it
    archive[FINISHED.dossier_id] = FINISHED.archived()
    hub.dep.tables["dossiers"].pop(FINISHED.dossier_id, None)
    receipt, code = FINISHED.receipt_number, FINISHED.lookup_code
    status, text = await post(hub, receipt, code=code, satisfied="no", reason="TOO_SLOW")
    assert status == 200 and "Cảm ơn ông/bà đã đánh giá." in text
    (sent,) = answers_sent(hub)
    assert (sent["meta"]["dossier_id"], sent["satisfied"]) == (FINISHED.dossier_id, False)
    rated = FINISHED.model_copy(update={"satisfied": False, "satisfaction_reason": "TOO_SLOW"})
    archive[FINISHED.dossier_id] = rated.archived()
    status, text = await post(hub, receipt, code=code, satisfied="yes", lang="en")
    assert status == 409 and "already been rated" in text
    assert len(answers_sent(hub)) == 1
