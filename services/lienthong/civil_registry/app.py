"""The civil-registry deployable: re-key handoffs by birth certificate, then register births."""

from __future__ import annotations

from typing import Any

from lienthong import topics
from lienthong.calendar import Clock
from lienthong.civil_registry.decisions import register_birth, register_key
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope
from lienthong.errors import WrongEventType
from lienthong.runtime.agency_app import build_agency
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.pipeline import Outcome, Received
from lienthong.settings import Settings

#: Internal topic of civil-registry: its handoffs keyed by birth certificate code, so that one
#: partition owns each certificate and a duplicate can never be registered on another worker.
BY_CERTIFICATE = "civil-registry.by-certificate"


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the civil-registry deployable."""
    dep = build_agency(
        "civil_registry",
        settings,
        register_birth,
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
        if decoded.name != "CivilRegistryHandoff":
            raise WrongEventType(f"civil-registry accepts CivilRegistryHandoff, not {decoded.name}")
        key = register_key(decoded.record)
        return Outcome([Envelope(BY_CERTIFICATE, decoded.name, decoded.record, key)])

    @app.agent(handoffs, name="civil-registry-rekey", concurrency=1)
    async def rekey_agent(stream: Any) -> None:
        await dep.pipeline.run(stream, rekey)

    dep.agents["rekey"] = rekey_agent
    return dep
