"""An agency's register keys: which entry an event is about, and the re-keying that gives one
partition each key (a step declares its key; the others keep one entry per dossier)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import faust

from lienthong import topics
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope, meta_of
from lienthong.domain.agency import Entry
from lienthong.errors import WrongEventType
from lienthong.groups.registry import all_steps
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.types import Outcome, Received
from lienthong.settings import Settings

#: Any event an agency reads, read by its schema's field names (handoff, cancellation, retry).
Incoming = Mapping[str, object]
CANCELLED = "HandoffCancelled"
#: The field of the retry event that carries the waiting entry's whole register key.
RETRY_KEY = "register_key"


class RegisterKeys:
    """The register keys of one agency deployable, derived from its steps' declarations."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        self.steps = {step: all_steps()[step] for step in topics.STEPS_OF[name]}
        self.first = next(iter(self.steps))
        self.of_handoff = {spec.handoff: step for step, spec in self.steps.items()}
        self.keyed = name in topics.KEYED_AGENCIES
        self._topic: faust.TopicT | None = None

    def step_of(self, event_name: str, record: Incoming) -> str:
        """The step an event is about: its handoff's, or the one it names."""
        return self.of_handoff.get(event_name) or str(record.get("step") or self.first)

    def base_key(self, event_name: str, record: Incoming) -> str:
        """The key the step keeps the dossier's entry under (also the re-keyed message key)."""
        if event_name in (topics.RETRY_EVENT, topics.DESK_ACTION):
            return str(record[RETRY_KEY]).split("/", 1)[0]
        key_of = self.steps[self.step_of(event_name, record)].register_key
        return key_of(record) if key_of is not None else str(meta_of(record)["dossier_id"])

    def entry_key(self, event_name: str, record: Incoming) -> str:
        """The register entry an event is about: the base key, then ``/<step>`` for every step
        but the agency's first (one register, one entry per step and key)."""
        if event_name in (topics.RETRY_EVENT, topics.DESK_ACTION):
            return str(record[RETRY_KEY])
        step = self.step_of(event_name, record)
        key = self.base_key(event_name, record)
        return key if step == self.first else f"{key}/{step}"

    @staticmethod
    def retry_at(entry: Entry | None) -> dt.datetime | None:
        """When an entry waiting on an outside system asks again (None: nothing waits)."""
        if not entry or not entry.get("pending"):
            return None
        return dt.datetime.fromisoformat(entry["next_retry_at"])

    def topic(self, dep: Deployable) -> faust.TopicT:
        """The agency's own topic of re-keyed handoffs (created with its contract topics)."""
        if self._topic is not None:
            return self._topic
        role = topics.by_register_key(self.name)
        topic = dep.app.topic(
            self.settings.topic(role),
            key_serializer="raw",
            value_serializer="raw",
            partitions=self.settings.partitions,
        )
        dep.pipeline.topics[role] = topic
        self._topic = topic
        return topic

    def wire(self, dep: Deployable) -> faust.TopicT | None:
        """For a keyed agency: an agent that re-keys each handoff (and cancellation) by its
        register key; the decisions then read the re-keyed topic, returned here."""
        if not self.keyed:
            return None
        role = topics.by_register_key(self.name)
        rekeyed = self.topic(dep)
        accepted = (*self.of_handoff, CANCELLED, topics.DESK_ACTION)
        handoffs = dep.app.topic(
            self.settings.topic(topics.handoff(self.first)),
            key_serializer="raw",
            value_serializer="raw",
        )

        async def rekey(decoded: Decoded, received: Received) -> Outcome:
            if decoded.name not in accepted:
                raise WrongEventType(
                    f"{self.name} accepts {', '.join(accepted)}, not {decoded.name}"
                )
            key = self.base_key(decoded.name, decoded.record)
            return Outcome([Envelope(role, decoded.name, decoded.record, key)])

        # Re-keying keeps no state: its own pipeline, so it neither waits for the decisions'
        # batches nor touches what they staged.
        rekeying = dep.pipeline.stateless()

        @dep.app.agent(handoffs, name=f"{self.name}-rekey", concurrency=1)
        async def rekey_agent(stream: Any) -> None:
            await rekeying.run(stream, rekey)

        dep.agents["rekey"] = rekey_agent
        return rekeyed
