"""The completion link's page: the waiting dossier's form, the family's part checked at once,
then handed to the hub on its own topic as the group's usual filing; the status page shows it."""

from __future__ import annotations

import datetime as dt

import test_web
from test_hub_notices import DOSSIERS
from test_hub_notices import Hub as NoticeHub
from test_web import Hub as WebHub
from test_web import visible

from lienthong.groups.birth.facility import family_part, notice_for
from lienthong.hub import web
from lienthong.hub.state import DossierState

#: The web tests' hub (its web app under a test client), shared under its fixture name.
hub = test_web.hub


def waiting(web_hub: WebHub) -> DossierState:
    """A dossier a notice opened, signed with the web hub's own key, kept in its table."""
    notice = NoticeHub(DOSSIERS[16])
    notice.now = web_hub.dep.clock.now() - dt.timedelta(hours=1)
    keys = web.site_of(web_hub.dep).keys
    record = notice_for(DOSSIERS[16], consent=True, at=notice.now)
    notice.apply("BirthNoticeIssued", dict(record), lookup_secret=keys)
    assert notice.state is not None
    web_hub.keep(notice.state)
    return notice.state


def link(state: DossierState, **query: str) -> str:
    params = {"code": state.lookup_code, **query}
    return f"/complete/{state.receipt_number}?" + "&".join(f"{k}={v}" for k, v in params.items())


async def test_the_waiting_dossier_shows_its_form_and_its_status(hub: WebHub) -> None:
    state = waiting(hub)
    status, _, body = await hub.get(link(state, lang="en"))
    assert status == 200 and 'name="given_name"' in body.decode()
    status, _, body = await hub.get(
        f"/status/{state.receipt_number}?code={state.lookup_code}&lang=en"
    )
    assert status == 200 and "Waiting for the family" in visible(body)
    assert f"/complete/{state.receipt_number}" in body.decode()
    status, _, _ = await hub.get(f"/complete/{state.receipt_number}?code=WRONGCODE")
    assert status == 404


async def test_the_familys_part_is_checked_then_handed_to_the_hub(hub: WebHub) -> None:
    state = waiting(hub)
    part = family_part(DOSSIERS[16])  # type: ignore[arg-type]
    url = f"/complete/{state.receipt_number}"
    bad = await hub.client.post(
        url, data={"code": state.lookup_code, **part, "mother_date_of_birth": "soon"}
    )
    assert bad.status == 400 and "mother_date_of_birth" in visible(await bad.read())
    assert hub.sent.on("hub.deadlines") == []
    good = await hub.client.post(url, data={"code": state.lookup_code, "lang": "en", **part})
    assert good.status == 200 and "Received" in visible(await good.read())
    ((_, filing),) = hub.sent.on("hub.deadlines")
    assert filing.name == "DossierSubmitted"
    assert filing.record["meta"]["dossier_id"] == state.dossier_id
    assert filing.record["child"]["given_name"] == DOSSIERS[16]["child"]["given_name"]
