"""Publish parcel dossiers as an integrator would and follow them to their end; prints each
dossier's outcome and finished steps as JSON (run in a process told of the group)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from lienthong.client import IntakePublisher, StatusFollower
from lienthong.contracts.events import metadata
from lienthong.settings import Settings
from parcel_group.rules import REQUEST, REVIEW, UNBUILDABLE


def dossier(n: int, note: str) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {
        "meta": metadata("ParcelSubmitted", f"PCL-2026-{n:06d}", "portal", now, None),
        "channel": "PORTAL",
        "submitted_at": now,
        "group": "parcel",
        "procedures": [REVIEW, REQUEST],
        "note": note,
    }


def main(count: int) -> None:
    settings = Settings()
    notes = [f"Lot {n}" if n % 3 else f"Lot {n}, {UNBUILDABLE}" for n in range(count)]
    records = [dossier(n, note) for n, note in enumerate(notes)]
    with IntakePublisher(settings) as publisher:
        ids = [publisher.submit(record) for record in records]
        publisher.flush()
    follower = StatusFollower(settings)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            follower.poll()
            if all((t := follower.timelines.get(i)) and t.final for i in ids):
                break
            time.sleep(0.3)
        out = {}
        for i in ids:
            timeline = follower.timelines.get(i)
            final = timeline.final if timeline else None
            out[i] = {
                "outcome": final[1].get("outcome") if final else None,
                "steps": {
                    f["step"]: f["outcome"]
                    for f in (timeline.of("StepFinished") if timeline else [])
                },
                "notes": records[ids.index(i)]["note"],
            }
    finally:
        follower.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main(int(sys.argv[1]))
