"""The boundary: what may arrive on each topic, checked before any decision sees a message.

Every deployable reads messages that someone else wrote: integrators on any stack write intake,
an agency's own system may write its completion topic. Nothing about such a message is trusted:

- its size (``limits.MAX_MESSAGE_BYTES``), before it is decoded;
- its event type, against the topic's declared contract (``topics.CARRIES``): a result published
  on intake, or a dossier on a completion topic, changes no state and is a dead letter;
- the step an answer names, against the step whose completion topic carried it;
- its partition, for the hub: a producer may hash keys differently from Java (librdkafka's CRC32)
  or send no key at all. The hub keeps a dossier's state in the partition that its own
  partitioner gives the dossier id, so a message found elsewhere is forwarded, with its origin in
  a header, through ``hub.inbox``, which only the hub writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kafka.partitioner.default import murmur2

from lienthong import topics
from lienthong.errors import MessageTooLarge, WrongEventType

if TYPE_CHECKING:
    from lienthong.contracts.codec import Decoded
    from lienthong.runtime.types import Received

#: Header naming where a forwarded message was first read: ``<topic>[<partition>]@<offset>``.
ORIGIN_HEADER = "lienthong-origin"
_ORIGIN = re.compile(
    r"^(?P<topic>[A-Za-z0-9._-]{1,249})\[(?P<partition>\d{1,6})\]@(?P<offset>\d{1,19})$"
)
#: Roles written by producers outside the project: their partitioning is not ours.
OUTSIDE_ROLES = frozenset(topics.HUB_READS)


def partition_for(key: str, partitions: int) -> int:
    """The partition the project's producers (Java's and aiokafka's default) give ``key``."""
    return int(murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class Boundary:
    """The contract of the topics one deployable reads, under one topic prefix."""

    prefix: str
    max_message_bytes: int
    partitions: int

    def role(self, topic: str) -> str | None:
        """The role of a full topic name (``lienthong.intake`` -> ``intake``), if ours."""
        head = f"{self.prefix}."
        return topic[len(head) :] if topic.startswith(head) else None

    def unwrap(self, received: Received) -> Received:
        """A message forwarded through the hub's inbox, as it was first read (origin kept)."""
        if self.role(received.topic) != topics.INBOX:
            return received
        match = _ORIGIN.match(received.headers.get(ORIGIN_HEADER, b"").decode("ascii", "replace"))
        if match is None or self.role(match["topic"]) not in OUTSIDE_ROLES:
            raise WrongEventType(
                f"{received.topic} carries only messages the hub forwarded, with a valid "
                f"{ORIGIN_HEADER} header naming an intake or completion topic"
            )
        return replace(
            received,
            topic=match["topic"],
            partition=int(match["partition"]),
            offset=int(match["offset"]),
            via=str(received),
        )

    def check_size(self, received: Received) -> None:
        """Refuse a message larger than any event the contract allows, before decoding it."""
        size = len(received.value or b"")
        if size > self.max_message_bytes:
            raise MessageTooLarge(size, self.max_message_bytes)

    def check(self, topic: str, decoded: Decoded) -> None:
        """Refuse an event type the topic does not carry, or an answer for another step."""
        role = self.role(topic)
        allowed = topics.CARRIES.get(role or "")
        if allowed is None:
            return
        if decoded.name not in allowed:
            raise WrongEventType(
                f"{topic} carries {', '.join(sorted(allowed))}, not {decoded.name}: "
                "the event changed nothing"
            )
        meta = decoded.record.get("meta")
        producer = str(meta.get("producer", "")) if isinstance(meta, dict) else ""
        if (
            producer.startswith(f"{topics.FACILITY}:")
            and decoded.name not in topics.FACILITY_EVENTS
        ):
            raise WrongEventType(
                f"a health facility publishes only {', '.join(sorted(topics.FACILITY_EVENTS))}, "
                f"not {decoded.name}: the event changed nothing"
            )
        steps = topics.STEPS_OF_ROLE.get(role or "")
        named = decoded.record.get("step")
        if steps is not None and named is not None and named not in steps:
            raise WrongEventType(
                f"{topic} answers only for the step {' or '.join(steps)}; a {decoded.name} "
                f"for the step "
                f"{str(named)[:40]} must come from that step's own completion topic"
            )

    def misplaced(self, received: Received, dossier_id: str) -> bool:
        """Whether an outside message sits on another partition than the hub's own choice."""
        if received.via or self.role(received.topic) not in OUTSIDE_ROLES:
            return False
        return received.partition != self.partition_of(dossier_id)

    def partition_of(self, dossier_id: str) -> int:
        """The hub partition that owns a dossier."""
        return partition_for(dossier_id, self.partitions)

    def origin_header(self, received: Received) -> tuple[str, bytes]:
        """The header that keeps a forwarded message's first coordinates."""
        return ORIGIN_HEADER, received.coordinates.encode("ascii")
