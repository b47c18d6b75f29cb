"""The civil-registry deployable: re-key handoffs by birth certificate, then register births."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong import topics
from lienthong.agencies.builder import build_agency
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain.calendar import Clock
from lienthong.domain.due_index import DueIndex
from lienthong.errors import WrongEventType
from lienthong.groups.birth.registration import (
    cancel_registration,
    register_birth,
    register_key,
    retry_pending,
)
from lienthong.groups.death.registration import register_death
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.types import Outcome, Received
from lienthong.settings import Settings

#: Internal topic of civil-registry: its handoffs keyed by birth certificate code, so that one
#: partition owns each certificate and a duplicate can never be registered on another worker.
BY_CERTIFICATE = topics.BY_CERTIFICATE
REKEYED = ("CivilRegistryHandoff", "DeathRegistrationHandoff", "HandoffCancelled")


def retry_at(entry: dict[str, Any] | None) -> dt.datetime | None:
    """When an entry waiting on the population database asks again (None: nothing pending):
    a birth with its ID number pending, a death whose look-up waits."""
    if not entry or not entry.get("pending"):
        return None
    return dt.datetime.fromisoformat(entry["next_retry_at"])


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the civil-registry deployable."""
    handlers = {
        "CivilRegistryHandoff": register_birth,
        "DeathRegistrationHandoff": register_death,
        "HandoffCancelled": cancel_registration,
        "PersonalIdRetry": retry_pending,
    }
    # Entries waiting on the population database (a birth's ID number, a death's look-up), by
    # when to ask again: the timer takes only those due, never a walk through every
    # registration of the year.
    retries = DueIndex()
    dep = build_agency(
        "civil_registry",
        settings,
        handlers,
        clock,
        source=settings.topic(BY_CERTIFICATE),
        register_key=register_key,
        on_entry=lambda key, entry: retries.schedule(key, retry_at(entry)),
        **overrides,
    )
    app = dep.app
    internal = app.topic(
        settings.topic(BY_CERTIFICATE),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
    dep.pipeline.topics[BY_CERTIFICATE] = internal
    handoffs = app.topic(
        settings.topic(topics.handoff("civil_registry")),
        key_serializer="raw",
        value_serializer="raw",
    )

    async def rekey(decoded: Decoded, received: Received) -> Outcome:
        if decoded.name not in REKEYED:
            raise WrongEventType(f"civil-registry accepts {', '.join(REKEYED)}, not {decoded.name}")
        key = register_key(decoded.record)
        return Outcome([Envelope(BY_CERTIFICATE, decoded.name, decoded.record, key)])

    # Re-keying keeps no state: its own pipeline, so it neither waits for the registrations'
    # batches nor touches what they staged.
    rekeying = dep.pipeline.stateless()

    @app.agent(handoffs, name="civil-registry-rekey", concurrency=1)
    async def rekey_agent(stream: Any) -> None:
        await rekeying.run(stream, rekey)

    register = dep.tables["register"]
    interval = min(settings.id_retry_base_seconds, 5.0)

    async def retry_pending_ids() -> None:
        """Entries waiting on the population database: ask again when their delay is over."""
        now = dep.clock.now()
        if retries.stale:
            rebuild()
        for code in retries.due(now):
            entry = register.get(code)
            when = retry_at(entry)
            if when is None:  # issued meanwhile, or its staged write was dropped
                continue
            if when > now:
                retries.schedule(code, when)
                continue
            meta = metadata(
                "PersonalIdRetry",
                entry["dossier_id"],
                "civil-registry",
                now,
                None,
                entry["attempts"],
            )
            data = dep.pipeline.codec.encode(
                "PersonalIdRetry", {"meta": meta, "birth_certificate_code": code}
            )
            # keyed as the handoff was re-keyed (a step's entry adds "/<step>" to that key),
            # so the retry reaches the partition that holds the entry
            partition_key = str(code).split("/", 1)[0]
            await dep.pipeline.publish(internal, partition_key.encode(), data)
            # Asked again: the retry's registration schedules the next one. Should the retry
            # be lost, the rescan finds the entry still pending.

    app.timer(interval=interval)(retry_pending_ids)
    dep.ticks["retry_pending_ids"] = retry_pending_ids

    def rebuild() -> None:
        """Index the registrations this worker holds now (once after each rebalance)."""
        retries.clear()
        retries.stale = False
        for code, entry in register.items():  # one at a time: nothing awaits here
            retries.schedule(code, retry_at(entry))

    dep.keep_fresh(retries)

    dep.agents["rekey"] = rekey_agent
    return dep
