"""The civil-registry deployable: re-key handoffs by birth certificate, then register births."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lienthong import topics
from lienthong.calendar import Clock
from lienthong.civil_registry.death import register_death
from lienthong.civil_registry.decisions import (
    cancel_registration,
    register_birth,
    register_key,
    retry_personal_id,
)
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope, metadata
from lienthong.errors import WrongEventType
from lienthong.runtime.agency_app import build_agency
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.pipeline import Outcome, Received
from lienthong.settings import Settings

#: Internal topic of civil-registry: its handoffs keyed by birth certificate code, so that one
#: partition owns each certificate and a duplicate can never be registered on another worker.
BY_CERTIFICATE = topics.BY_CERTIFICATE
REKEYED = ("CivilRegistryHandoff", "DeathRegistrationHandoff", "HandoffCancelled")


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the civil-registry deployable."""
    handlers = {
        "CivilRegistryHandoff": register_birth,
        "DeathRegistrationHandoff": register_death,
        "HandoffCancelled": cancel_registration,
        "PersonalIdRetry": retry_personal_id,
    }
    dep = build_agency(
        "civil_registry",
        settings,
        handlers,
        clock,
        source=settings.topic(BY_CERTIFICATE),
        register_key=register_key,
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

    @app.timer(interval=interval)  # type: ignore[untyped-decorator]
    async def retry_pending_ids() -> None:
        """Births registered with the ID number pending: ask again when their delay is over."""
        now = dep.clock.now()
        for code, entry in list(register.items()):
            if not entry or not entry.get("pending"):
                continue
            if dt.datetime.fromisoformat(entry["next_retry_at"]) > now:
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
            await dep.pipeline.publish(internal, str(code).encode(), data)

    dep.agents["rekey"] = rekey_agent
    return dep
