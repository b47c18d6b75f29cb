"""One builder for every agency deployable: the steps it owns across groups, its registers.

An agency is what the declarations say it is: the steps whose ``deployable`` names it, each with
its decision on the handoff, its answer to a withdrawal, and (for a step that waits on an outside
system) its timer's decision. Nothing here names a group, a step or an agency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from lienthong import topics
from lienthong.agencies.desk import Desk
from lienthong.agencies.keys import Incoming, RegisterKeys
from lienthong.agencies.waiting import schedule_retries
from lienthong.contracts import records
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import Envelope
from lienthong.domain.agency import COMPLETION, AgencyContext, Decision, Entry
from lienthong.domain.allocation import BufferedCounters, Counters, Reservations
from lienthong.domain.calendar import Clock
from lienthong.domain.declaration import AgencyDecision
from lienthong.domain.due_index import DueIndex
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.errors import WrongEventType
from lienthong.groups.registry import all_steps, group_of_step
from lienthong.runtime.app import contract_topic
from lienthong.runtime.deployable import Deployable, build
from lienthong.runtime.types import Outcome, Received
from lienthong.settings import Settings

CANCELLED = "HandoffCancelled"


def addressed(outputs: Iterable[Envelope], deployable: str) -> list[Envelope]:
    """A decision's completions addressed as the deployable publishes them: to its own
    completion topic, the deployable named as their producer (decisions name neither)."""
    out: list[Envelope] = []
    for env in outputs:
        if env.topic == COMPLETION:
            env.meta["producer"] = deployable
            env = dataclasses.replace(env, topic=f"{COMPLETION}.{deployable}")
        out.append(env)
    return out


class Decisions:
    """Which declared decision an event gets: its handoff's step's, the cancelled step's, or
    (the timer's retry) the waiting entry's step's."""

    def __init__(self, name: str, delegated: Iterable[str] = ()) -> None:
        self.name = name
        self.owned = {step: all_steps()[step] for step in topics.STEPS_OF[name]}
        #: Steps the agency answers through the webhook bridge: one owner per step, not us.
        self.delegated = frozenset(delegated) & set(self.owned)
        self.handoff_step = {spec.handoff: step for step, spec in self.owned.items()}
        self.first = next(iter(self.owned))
        self.by_handoff = {spec.handoff: step for step, spec in self.owned.items()}
        self.waiting = {s: spec.retry for s, spec in self.owned.items() if spec.retry is not None}
        self.accepted = (
            *self.by_handoff,
            CANCELLED,
            topics.DESK_ACTION,
            *([topics.RETRY_EVENT] if self.waiting else []),
        )

    def check(self, event_name: str) -> None:
        """Refuse an event type the agency does not read (a dead letter naming what it reads)."""
        if event_name not in self.accepted:
            accepted = ", ".join(self.accepted)
            raise WrongEventType(f"{self.name} accepts {accepted}, not {event_name}")

    def answered_elsewhere(self, event_name: str, event: Incoming) -> bool:
        """Whether the event is about a step the agency answers through webhooks."""
        step = self.handoff_step.get(event_name) or (
            event.get("step") if event_name == CANCELLED else None
        )
        return step in self.delegated

    def __call__(
        self,
        event_name: str,
        event: Incoming,
        entry: Entry | None,
        counters: Counters,
        ctx: AgencyContext,
    ) -> Decision:
        """The declared decision on ``event`` (decoded with the schema ``event_name``)."""
        self.check(event_name)
        # Each branch reads the record as the schema the codec decoded it with.
        if event_name == CANCELLED:
            cancelled = cast(records.HandoffCancelled, event)
            return self.owned[cancelled["step"]].cancel(cancelled, entry, counters, ctx)
        if event_name == topics.RETRY_EVENT and self.waiting:
            retry = cast(records.WaitingRetry, event)
            # an entry names the step it waits for (entries written before they did: the first's)
            step = (entry.get("step") if entry else None) or self.first
            return self.waiting[step](retry, entry, counters, ctx)
        decide = self.decision_in_force(self.by_handoff[event_name], event)
        return decide(cast(records.Event, event), entry, counters, ctx)

    @staticmethod
    def decision_in_force(step: str, handoff: Incoming) -> AgencyDecision[Any, Any]:
        """The step's decision as its group's version in force on the handoff's
        ``dossier_date`` declares it (the version the hub received the dossier under)."""
        day = handoff.get("dossier_date")
        group = group_of_step(step)
        version = group.on(day) if isinstance(day, dt.date) else group
        decide = version.steps[step].decide
        assert decide is not None  # every registered step declares one (REQUIRED)
        return decide


def create(name: str, settings: Settings, clock: Clock | None = None, **kw: Any) -> Deployable:
    """The agency deployable ``name``: reads its handoff topic (re-keyed first when a step of it
    keeps its register by a key of its own), decides each event with the step's decision,
    saves the register entry and counters, then answers on its completion topic."""
    decisions = Decisions(name, settings.webhook_steps)
    keys = RegisterKeys(name, settings)
    first = topics.STEPS_OF[name][0]
    writes = (topics.completion(first), topics.DEADLETTER, topics.DESK)
    dep = build(name, settings, writes, clock, **kw)
    desk = Desk(name, topics.STEPS_OF[name], dep.pipeline.codec, settings)
    app = dep.app
    dep.table("register")
    dep.table("counters")
    # Counters first: they are durable before the register entry that used them is written.
    counters = dep.pipeline.stage(dep.tables["counters"])
    register = dep.pipeline.stage(dep.tables["register"])
    population = EmbeddedPopulationDatabase(settings.population_db_plan)
    retries = DueIndex()
    reserved = Reservations()
    source = keys.wire(dep) or contract_topic(app, settings, topics.handoff(first))

    async def handle(decoded: Decoded, received: Received) -> Outcome:
        decisions.check(decoded.name)
        if decisions.answered_elsewhere(decoded.name, decoded.record):
            return Outcome()  # the webhook bridge delivers it; the agency's system decides
        key = keys.entry_key(decoded.name, decoded.record)
        entry: Entry | None = register.get(key)
        view = BufferedCounters(counters, reserved)
        ctx = AgencyContext(
            dep.clock.now(),
            dep.calendar,
            received.partition,
            settings.partitions,
            population,
            settings.id_retry_base_seconds,
            settings.id_retry_max_seconds,
        )
        decision = desk.decide(decisions, decoded.name, decoded.record, key, entry, view, ctx)
        outputs = addressed(decision.outputs, name)

        def save() -> None:
            if decision.entry is not None:
                register[key] = decision.entry
                retries.schedule(key, keys.retry_at(decision.entry))
                if decision.entry.get("outcome") in ("registered", "issued"):
                    step = decision.entry.get("step") or keys.step_of(decoded.name, decoded.record)
                    dep.metrics.registration(str(step))
            for counter, value in view.updates.items():
                counters[counter] = value
            for env in outputs:
                if env.schema == "StepRejected":
                    record = env.record
                    dep.metrics.step_rejected(str(record["step"]), str(record["reason_code"]))

        return Outcome(outputs, save, save_first=True)

    @app.agent(source, name=f"{name}-decide", concurrency=1)
    async def decide_agent(stream: Any) -> None:
        await dep.pipeline.run(stream, handle)

    dep.agents["decide"] = decide_agent
    if decisions.waiting:
        schedule_retries(dep, keys, retries, settings)
    return dep
