"""The desk's store (SQLite fed by DeskCase versions) and who may see what on the desk."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import make_mocked_request

from lienthong.contracts import records
from lienthong.domain.calendar import ManualClock, WorkingCalendar
from lienthong.hub.desk.store import DeskStore
from lienthong.hub.pages.desk import DeskPages
from lienthong.hub.pages.operators import OPERATOR
from lienthong.settings import Settings

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


def case(key: str, *, deployable: str = "civil-registry", version: int = 1, **kw: Any) -> Any:
    record: records.DeskCase = {
        "meta": {
            "event_id": f"00000000-0000-0000-0000-{version:012d}",
            "dossier_id": kw.get("dossier", f"D-{key}"),
            "occurred_at": NOW,
            "producer": deployable,
            "causation_id": None,
        },
        "register_key": key,
        "deployable": deployable,
        "step": kw.get("step", "civil_registry"),
        "version": version,
        "state": kw.get("state", "waiting"),
        "commune": kw.get("commune", "00004"),
        "received_at": NOW - dt.timedelta(hours=1),
        "due_at": NOW + dt.timedelta(hours=kw.get("due_hours", 5)),
        "flags": ["late_registration"],
        "projection": json.dumps({"registering_commune": kw.get("commune", "00004")}),
        "claimed_by": kw.get("claimed_by"),
        "claimed_until": kw.get("claimed_until"),
        "audit": "[]",
        "answer_to": kw.get("answer_to"),
        "answer": kw.get("answer"),
    }
    return record


def test_the_newest_version_wins_whatever_order_the_versions_come_in() -> None:
    store = DeskStore()
    store.apply([case("k", version=2, state="claimed", claimed_by="an")], {0: 5})
    store.apply([case("k", version=1)], {0: 6})
    found = store.case("k")
    assert found is not None and (found["state"], found["claimed_by"]) == ("claimed", "an")
    assert store.offsets() == {0: 6}


def test_the_list_is_the_agency_s_open_cases_oldest_due_first_fifty_a_page() -> None:
    store = DeskStore()
    cases = [case(f"k{n:03d}", due_hours=200 - n) for n in range(120)]
    cases += [case("police", deployable="residence", step="residence", due_hours=-5)]
    cases += [case("done", state="approved", due_hours=-9)]
    cases += [case("elsewhere", commune="00007", due_hours=-3)]
    store.apply(cases, {0: len(cases)})
    first = store.waiting("civil-registry")
    assert len(first) == 50 and first[0]["register_key"] == "elsewhere"
    assert [c["due_at"] for c in first] == sorted(c["due_at"] for c in first)
    second = store.waiting("civil-registry", after=(first[-1]["due_at"], first[-1]["register_key"]))
    assert second[0]["due_at"] > first[-1]["due_at"]
    everything = (
        first
        + second
        + store.waiting("civil-registry", after=(second[-1]["due_at"], second[-1]["register_key"]))
    )
    assert len(everything) == 121 and {c["deployable"] for c in everything} == {"civil-registry"}
    assert [c["register_key"] for c in store.waiting("civil-registry", "00007")] == ["elsewhere"]


def test_answers_and_the_figures_of_the_queue() -> None:
    store = DeskStore()
    store.apply(
        [
            case("a", due_hours=2),
            case("b", version=3, state="claimed", claimed_by="an", claimed_until=NOW, due_hours=2),
            case("c", version=2, state="approved", answer_to="cmd-1", answer="ok"),
        ],
        {0: 3},
    )
    assert store.answer("cmd-1") == "ok" and store.answer("cmd-2") is None
    (row,) = store.queue(NOW)
    assert (row["n"], row["unclaimed"]) == (2, 2)  # b's claim lapses at NOW
    (soon,) = store.due_unclaimed(NOW + dt.timedelta(hours=3), NOW)
    assert (soon["deployable"], soon["step"], soon["n"]) == ("civil-registry", "civil_registry", 2)
    (held,) = store.due_unclaimed(NOW + dt.timedelta(hours=3), NOW - dt.timedelta(hours=1))
    assert held["n"] == 1  # an hour earlier, b's claim still held
    assert store.due_unclaimed(NOW + dt.timedelta(hours=1), NOW) == []
    (decided,) = store.decided()
    assert (decided["state"], decided["n"]) == ("approved", 1)


# -- who sees what --------------------------------------------------------------------------


def pages(store: DeskStore) -> DeskPages:
    settings = Settings(desk_officials={"an": "civil-registry", "cong.an": "residence"})
    dep = SimpleNamespace(clock=ManualClock(NOW), calendar=WorkingCalendar())
    site = SimpleNamespace(settings=settings, dep=dep)
    return DeskPages(site, store, OPERATOR)  # type: ignore[arg-type]


def request(official: str, path: str) -> aioweb.Request:
    made = make_mocked_request("GET", path)
    made[OPERATOR] = official
    return made


def test_a_police_official_cannot_see_or_decide_a_civil_registry_case() -> None:
    store = DeskStore()
    store.apply([case("birth"), case("home", deployable="residence", step="residence")], {0: 2})
    desk = pages(store)
    police = request("cong.an", "/api/desk/cases")
    listed, _ = desk.listed(police)
    assert [c["register_key"] for c in listed] == ["home"]
    with pytest.raises(aioweb.HTTPNotFound):
        desk.visible(police, "birth")
    post = make_mocked_request("POST", "/api/desk/case")
    post[OPERATOR] = "cong.an"

    async def decide() -> None:
        async def body() -> dict[str, str]:
            return {"register_key": "birth", "action": "approve"}

        post.json = body  # type: ignore[method-assign]
        await desk.action_api(post)

    with pytest.raises(aioweb.HTTPNotFound):  # refused before anything is published
        asyncio.run(decide())
    assert desk.visible(request("an", "/"), "birth")["deployable"] == "civil-registry"


def test_an_operator_who_is_no_agency_s_official_has_no_desk() -> None:
    desk = pages(DeskStore())
    with pytest.raises(aioweb.HTTPForbidden) as refused:
        desk.agency(request("board.watcher", "/desk"))
    assert "không phải cán bộ" in str(refused.value.text)
