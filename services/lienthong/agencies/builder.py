"""The Faust wiring shared by the three agency processors: register, counters, one agent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lienthong import topics
from lienthong.contracts.codec import Decoded
from lienthong.domain.agency import AgencyContext, Decision
from lienthong.domain.allocation import BufferedCounters, Counters
from lienthong.domain.calendar import Clock
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.errors import WrongEventType
from lienthong.groups.registry import all_steps
from lienthong.runtime.app import contract_topic
from lienthong.runtime.deployable import Deployable, build
from lienthong.runtime.types import Outcome, Received
from lienthong.settings import Settings

Record = dict[str, Any]
Decide = Callable[[Record, Record | None, Counters, AgencyContext], Decision]


def dossier_key(event: Record) -> str:
    return str(event["meta"]["dossier_id"])


def build_agency(
    step: str,
    settings: Settings,
    handlers: Mapping[str, Decide],
    clock: Clock | None = None,
    *,
    source: str | None = None,
    register_key: Callable[[Record], str] = dossier_key,
    on_entry: Callable[[str, Record], None] = lambda key, entry: None,
    **overrides: Any,
) -> Deployable:
    """An agency deployable: reads its handoff topic (or ``source``), decides, answers.

    ``step`` is the deployable's first declared step; the deployable answers for every step it
    owns (``topics.STEPS_OF``), each in its own register entries (keyed with the step's name
    after the register key, except for ``step`` itself). ``on_entry`` is told of each register
    entry a decision stages (an index of the entries a timer looks after).
    """
    name = topics.STEP_TOPIC_NAMES[step]
    own = {all_steps()[s].handoff: s for s in topics.STEPS_OF[name]}

    def step_of(decoded: Decoded) -> str:
        return own.get(decoded.name) or str(decoded.record.get("step") or step)

    dep = build(name, settings, (topics.completion(step), topics.DEADLETTER), clock, **overrides)
    app = dep.app
    dep.table("register")
    dep.table("counters")
    # Counters first: they are durable before the register entry that used them is written.
    counters = dep.pipeline.stage(dep.tables["counters"])
    register = dep.pipeline.stage(dep.tables["register"])
    population = EmbeddedPopulationDatabase(settings.population_db_plan)
    input_topic = (
        app.topic(source, key_serializer="raw", value_serializer="raw")
        if source
        else contract_topic(app, settings, topics.handoff(step))
    )

    async def handle(decoded: Decoded, received: Received) -> Outcome:
        decide = handlers.get(decoded.name)
        if decide is None:
            raise WrongEventType(f"{name} accepts {', '.join(handlers)}, not {decoded.name}")
        answering = step_of(decoded)
        key = register_key(decoded.record)
        key = key if answering == step else f"{key}/{answering}"
        view = BufferedCounters(counters)
        ctx = AgencyContext(
            dep.clock.now(),
            dep.calendar,
            received.partition,
            settings.partitions,
            population,
            settings.id_retry_base_seconds,
            settings.id_retry_max_seconds,
        )
        decision = decide(decoded.record, register.get(key), view, ctx)

        def save() -> None:
            if decision.entry is not None:
                register[key] = decision.entry
                on_entry(key, decision.entry)
                if decision.entry.get("outcome") in ("registered", "issued"):
                    # a timer's retry names no step: the entry does (a death's look-up)
                    dep.metrics.registration(str(decision.entry.get("step") or answering))
            for counter, value in view.updates.items():
                counters[counter] = value
            for env in decision.outputs:
                if env.schema == "StepRejected":
                    dep.metrics.step_rejected(env.record["step"], env.record["reason_code"])

        return Outcome(decision.outputs, save, save_first=True)

    @app.agent(input_topic, name=f"{name}-decide", concurrency=1)
    async def decide_agent(stream: Any) -> None:
        await dep.pipeline.run(stream, handle)

    dep.agents["decide"] = decide_agent
    return dep
