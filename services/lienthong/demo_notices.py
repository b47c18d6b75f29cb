"""The demo's second path (Civil Status Law 2026): a hospital notifies births, the mothers who
agreed get a link, each family completes its dossier there, and the commune registers it."""

from __future__ import annotations

import datetime as dt
import statistics
import urllib.parse
import urllib.request
from collections.abc import Mapping

from rich.table import Table

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.groups.birth.facility import family_part, simulate
from lienthong.groups.birth.notice import NOTICE_EVENT
from lienthong.settings import Settings

#: Share of mothers who agree to registration on the commune's initiative in the demo.
CONSENT_SHARE = 0.75
#: Added to the demo's seed: the facility's births are not the families' own filings.
OTHER_CHILDREN = 1_000_003


def _complete(settings: Settings, link: str, part: dict[str, str]) -> int:
    """The family's part posted through its link, to the hub's own port (the link's path)."""
    parts = urllib.parse.urlsplit(link)
    code = urllib.parse.parse_qs(parts.query).get("code", [""])[0]
    url = f"http://{settings.web_host}:{settings.web_port('hub')}{parts.path}"
    form = urllib.parse.urlencode({"code": code, **part}).encode()
    with urllib.request.urlopen(url, data=form, timeout=15) as page:
        return int(page.status)


def facility_path(settings: Settings, births: int, seed: int, timeout: float) -> Table:
    """Notify ``births`` births, complete the agreed ones through their links, follow them.

    The births are other children than the families' own filings of the demo (another seed)."""
    notices = simulate(
        births, seed=seed + OTHER_CHILDREN, consent_share=CONSENT_SHARE, at=dt.datetime.now(dt.UTC)
    )
    agreed = {n["meta"]["dossier_id"]: d for n, d in notices if n["registration_consent"]}
    follower = StatusFollower(settings)
    try:
        with IntakePublisher(settings) as publisher:
            for notice, _ in notices:
                data = publisher.codec.encode(NOTICE_EVENT, notice)
                publisher.send_raw(notice["meta"]["dossier_id"].encode(), data)
        waiting = lambda t: all(t.get(i) and t[i].of("DossierAwaitingFamily") for i in agreed)  # noqa: E731
        follower.wait_until(waiting, timeout)
        for dossier_id, dossier in agreed.items():
            timeline = follower.timelines.get(dossier_id)
            if timeline and timeline.of("DossierAwaitingFamily"):
                told: Mapping[str, object] = timeline.of("DossierAwaitingFamily")[-1]
                link = str(told["completion_url"])
                _complete(settings, link, family_part(dossier))
        follower.wait_until(lambda _: len(follower.finished(agreed)) == len(agreed), timeout)
        return _table(follower, len(notices), list(agreed))
    finally:
        follower.close()


def _table(follower: StatusFollower, notified: int, agreed: list[str]) -> Table:
    done = follower.finished(agreed)
    seconds = []
    for dossier_id in done:
        timeline = follower.timelines[dossier_id]
        opened, final = timeline.of("DossierAwaitingFamily"), timeline.final
        if opened and final:
            seconds.append(
                (final[1]["meta"]["occurred_at"] - opened[0]["meta"]["occurred_at"]).total_seconds()
            )
    table = Table(title="Facility notices (Civil Status Law 2026)")
    for column in ("notices", "consent", "no consent", "finished", "median s"):
        table.add_column(column, justify="right")
    median = f"{statistics.median(seconds):.1f}" if seconds else "—"
    table.add_row(
        str(notified), str(len(agreed)), str(notified - len(agreed)), str(len(done)), median
    )
    return table
