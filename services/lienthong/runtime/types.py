"""The small types the runtime passes between the boundary, the handlers and the checkpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope


@dataclass(frozen=True)
class Received:
    """Where a message came from, for logs and dead letters."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]
    #: Where a forwarded message was read from (``hub.inbox[1]@7``); empty when read first-hand.
    via: str = ""

    @property
    def coordinates(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"

    def __str__(self) -> str:
        return f"{self.coordinates} via {self.via}" if self.via else self.coordinates


def received_from(message: Any) -> Received:
    """The coordinates, key, value and headers of a message a stream read."""
    headers = message.headers or {}
    pairs = headers.items() if isinstance(headers, dict) else headers
    return Received(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key if isinstance(message.key, bytes) else None,
        value=message.value if isinstance(message.value, bytes) else None,
        headers={str(k): bytes(v or b"") for k, v in pairs},
    )


@dataclass(frozen=True)
class Forward:
    """A message passed on unchanged to a partition the deployable chooses (the hub's inbox)."""

    topic: str
    key: bytes
    value: bytes
    partition: int
    headers: dict[str, bytes]


@dataclass
class Outcome:
    """What a handler decided: events to publish, and how to save the new state.

    By default the events go out first, then the state is saved: a crash between the two makes
    the handler see the event again as new and decide the same again (the hub, whose answers
    derive from the event alone). With ``save_first`` the state is saved and written to the
    broker before any event goes out: a crash between the two makes the handler find its saved
    decision and publish it again, never decide anew (the agencies, whose numbers come from
    counters: a number once announced is never given again, nor to another child).
    """

    outputs: list[Envelope] = field(default_factory=list)
    save: Callable[[], None] = lambda: None
    save_first: bool = False
    forwards: list[Forward] = field(default_factory=list)


Handler = Callable[[Decoded, Received], Awaitable[Outcome]]


@dataclass
class Decided:
    """One message of a batch once handled: what to publish and whether to save first."""

    received: Received
    outcome: Outcome
    #: The outputs as (topic role, key, encoded value).
    encoded: list[tuple[str, bytes, bytes]]
    #: The event type decided on (for the metrics).
    name: str
    #: For each message of ``encoded`` that carries several events together, its events in
    #: order, by (topic role, key); the checkpoint may join them with other inputs' events.
    parts: dict[tuple[str, bytes], list[bytes]] = field(default_factory=dict)
