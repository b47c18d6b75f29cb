"""``lienthong facility``: a health facility's system, as a hospital would run it, publishing
birth notices (Civil Status Law 2026) on intake as the ``facility`` principal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from lienthong.cli_output import say
from lienthong.settings import Settings


def facility_command(
    births: Annotated[int, typer.Option(min=1, help="Births to notify")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic births")] = 1,
    consent_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of mothers who agree")
    ] = 0.8,
    family_parts: Annotated[
        Path | None,
        typer.Option(help="Write each family's part (JSON Lines) for the completion links"),
    ] = None,
) -> None:
    """Publish birth notices as a hospital would; with consent each opens a dossier that waits
    for the family (its link is on the status topic, ``DossierAwaitingFamily``)."""
    from lienthong.client import IntakePublisher
    from lienthong.groups.birth.facility import family_part, simulate
    from lienthong.groups.birth.notice import NOTICE_EVENT

    notices = simulate(births, seed=seed, consent_share=consent_share, at=dt.datetime.now(dt.UTC))
    with IntakePublisher(Settings()) as publisher:
        for notice, _ in notices:
            data = publisher.codec.encode(NOTICE_EVENT, notice)
            publisher.send_raw(notice["meta"]["dossier_id"].encode(), data)
    agreed = [(n, d) for n, d in notices if n["registration_consent"]]
    if family_parts is not None:
        lines = [
            json.dumps({"dossier_id": n["meta"]["dossier_id"], **family_part(d)}) for n, d in agreed
        ]
        family_parts.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for notice, _ in notices:
        consent = "consent" if notice["registration_consent"] else "no consent: nothing opened"
        say(f"notified {notice['meta']['dossier_id']} ({consent})")
    say(f"{len(notices)} notices, {len(agreed)} with the mother's consent")
