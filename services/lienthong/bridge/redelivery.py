"""The deliveries the bridge gave up on (its dead letters), and sending one again.

A given-up handoff's dead letter keeps the handoff whole; sent again to its handoff topic, the
bridge reads it as new and delivers it under its first ``webhook-id`` (its event id), with a
fresh give-up horizon: the agency, which applies each id once, applies it at most once.
"""

from __future__ import annotations

from collections.abc import Sequence

from lienthong import topics
from lienthong.bridge.app import GAVE_UP
from lienthong.client.deadletters import DeadLetterEntry, select
from lienthong.client.replay import Replayed, send_originals
from lienthong.errors import ClientError
from lienthong.settings import Settings


def failed(entries: Sequence[DeadLetterEntry]) -> list[DeadLetterEntry]:
    """The dead letters of deliveries the bridge gave up on, oldest first."""
    return [
        e
        for e in entries
        if e.record["deployable"] == topics.BRIDGE and e.record["error_kind"] == GAVE_UP
    ]


def redeliver(settings: Settings, entries: Sequence[DeadLetterEntry], wanted: str) -> Replayed:
    """Send the handoff of the failed delivery ``wanted`` (an id ``deadletters`` takes) again."""
    (entry,) = select(entries, [wanted])
    if entry not in failed(entries):
        raise ClientError(
            f"{wanted}: not a delivery the webhook bridge gave up on ({entry.record['deployable']}"
            f", {entry.record['error_kind']}); see `lienthong deadletters replay`"
        )
    (sent,) = send_originals(settings, [(entry, str(entry.record["topic"]))])
    return sent
