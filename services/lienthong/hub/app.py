"""The hub deployable: one agent over intake and completions, the dossier table, the metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import Decoded
from lienthong.contracts.events import metadata
from lienthong.domain.calendar import Clock
from lienthong.domain.deadline_cuts import load_cuts
from lienthong.domain.due_index import DueIndex
from lienthong.domain.population import EmbeddedPopulationDatabase
from lienthong.errors import LienthongError
from lienthong.hub import early, matching, notices
from lienthong.hub.due import next_check
from lienthong.hub.observing import observe
from lienthong.hub.state import DossierState
from lienthong.hub.steps import UnknownDossier
from lienthong.hub.transitions import Context, decide
from lienthong.hub.web import register_views
from lienthong.lookup import keyring
from lienthong.runtime.deployable import Deployable, build
from lienthong.runtime.staged import Parsing
from lienthong.runtime.types import Forward, Outcome, Received
from lienthong.settings import Settings

#: The hub's own topic for its legal-clock timer, co-partitioned with intake (same key, count).
DEADLINES = topics.DEADLINES
WRITES = (
    topics.STATUS,
    topics.DEADLETTER,
    topics.AUDIT,
    topics.INBOX,
    *topics.HANDOFFS,
)


def create(settings: Settings, clock: Clock | None = None, **overrides: Any) -> Deployable:
    """Build the hub deployable."""
    dep = build("hub", settings, WRITES, clock, **overrides)
    app = dep.app
    dep.table("dossiers", as_bytes=True)  # DossierState.to_stored: JSON encoded once, by pydantic
    dep.table("early")
    dep.table("archive")
    # The status events one input announces about a dossier go as one message (DossierEvents).
    dep.pipeline.together = frozenset({topics.STATUS})
    # Made durable in this order: a dossier is archived before it leaves the working table,
    # and saved before the answers parked for it are let go.
    archive = dep.pipeline.stage(dep.tables["archive"])
    in_progress = DossierState.in_progress
    dossiers = dep.kept(
        "dossiers", Parsing(DossierState.from_table, DossierState.to_stored, in_progress)
    )
    parked = dep.pipeline.stage(dep.tables["early"])
    index = DueIndex()
    resend_after = dt.timedelta(seconds=settings.resend_after_seconds)
    retention = dt.timedelta(seconds=settings.finished_retention_seconds)
    wait = dt.timedelta(seconds=settings.unknown_dossier_wait_seconds)
    source = app.topic(
        *(settings.topic(role) for role in (*topics.HUB_READS, DEADLINES, topics.INBOX)),
        key_serializer="raw",
        value_serializer="raw",
    )
    deadlines = app.topic(settings.topic(DEADLINES), key_serializer="raw", value_serializer="raw")
    secret = keyring(settings)  # refuses the development secret outside development mode
    cuts = load_cuts(settings.deadline_cuts_file)

    def context() -> Context:
        return Context(
            dep.clock.now(),
            dep.calendar,
            secret,
            settings.public_base_url,
            settings.supplement_days,
            settings.supplement_clock,
            dt.timedelta(seconds=settings.resend_after_seconds),
            cuts,
            settings.group_deadline_days,
            notice_in_force=settings.notice_in_force,
            notice_window=dt.timedelta(days=settings.notice_completion_days),
            population=population,
        )

    population = EmbeddedPopulationDatabase(settings.population_db_plan)
    boundary = dep.pipeline.boundary
    assert boundary is not None

    async def handle(decoded: Decoded, received: Received) -> Outcome:
        dossier_id = str(decoded.record["meta"]["dossier_id"])
        if boundary.misplaced(received, dossier_id):
            return forward(dossier_id, received)
        hop = received.headers.get(matching.CLAIM_HEADER) if received.via else None
        if hop == matching.TO_NOTICE:
            return claim(decoded, received)
        in_force = settings.notice_in_force
        claimed = matching.notice_dossier(decoded.name, decoded.record, dep.clock.now(), in_force)
        if hop is None and claimed is not None and dossiers.get(dossier_id) is None:
            return forward(claimed, received, matching.TO_NOTICE)
        before = dossiers.take(dossier_id)
        if before is None and (kept := archive.get(dossier_id)) is not None:
            return from_archive(dossier_id, kept, decoded)
        if before is None and decoded.name not in early.INTAKE_EVENTS:
            return await unknown_dossier(dossier_id, decoded, received)
        if decoded.name == "DeadlineCheck" and before is not None and retired(before):
            return retire(before)
        after, outputs = decide(before, decoded.name, decoded.record, context())
        waiting = parked.get(dossier_id) if after is not None else None
        for entry in waiting or []:  # answers that came before the submission
            original = early.received_of(entry)
            answer = dep.pipeline.codec.decode(original.value or b"")
            try:
                after, more = decide(after, answer.name, answer.record, context())
            except LienthongError as exc:
                await dep.pipeline.dead_letter(original, exc)
                continue
            outputs += more

        if after is None and (notice := notices.notice_of(decoded.name)) is not None:
            dep.metrics.notice(notice[0].name, "no_consent")  # no consent: nothing opened

        def save() -> None:
            if after is not None:
                dossiers.put(dossier_id, after)
                index.schedule(dossier_id, next_check(after, resend_after, retention))
                observe(dep.metrics, after, outputs, decoded.name)
            if waiting:
                parked.pop(dossier_id, None)

        return Outcome(outputs, save)

    def claim(decoded: Decoded, received: Received) -> Outcome:
        """A family's filing in its notice's partition: the waiting dossier takes it (the
        filing's own id is told so); no such dossier: back to the filing's own partition."""
        record, now = decoded.record, dep.clock.now()
        notice_id = matching.notice_dossier(decoded.name, record, now, dt.date.min)
        state = dossiers.take(notice_id) if notice_id else None
        if notice_id is None or state is None or not matching.takes(state):
            back = forward(str(record["meta"]["dossier_id"]), received, matching.BACK_TO_FAMILY)
            if notice_id is not None and state is None:  # a later notice opens nothing more
                back.save = keep(matching.filed_by_family(notice_id, record, now))
            return back
        after, outputs = decide(state, decoded.name, record, context())
        assert after is not None
        outputs.append(matching.same_child(after, record, now))

        def save() -> None:
            dossiers.put(notice_id, after)
            index.schedule(notice_id, next_check(after, resend_after, retention))
            observe(dep.metrics, after, outputs, decoded.name)

        return Outcome(outputs, save)

    def keep(state: DossierState) -> Callable[[], None]:
        def save() -> None:
            dossiers.put(state.dossier_id, state)
            index.schedule(state.dossier_id, next_check(state, resend_after, retention))

        return save

    def from_archive(dossier_id: str, kept: dict[str, object], decoded: Decoded) -> Outcome:
        """A dossier finished long ago answers from the archive; what it still learns there (the
        citizen's satisfaction answer) is kept in the archive, never lost."""
        after, outputs = decide(
            DossierState.from_table(kept), decoded.name, decoded.record, context()
        )
        changed = after.archived() if after is not None else kept
        if changed == kept:
            return Outcome(outputs)

        def save() -> None:
            archive[dossier_id] = changed
            if after is not None:
                observe(dep.metrics, after, outputs, decoded.name)

        return Outcome(outputs, save)

    def retired(state: DossierState) -> bool:
        """A finished dossier whose stay in the working table is over."""
        when = next_check(state, resend_after, retention)
        closed = not state.in_progress()
        return closed and when is not None and when <= dep.clock.now()

    def retire(state: DossierState) -> Outcome:
        """Move a finished dossier to the archive: what its status page needs, nothing more."""

        def save() -> None:
            archive[state.dossier_id] = state.archived()
            dossiers.pop(state.dossier_id, None)
            dep.metrics.dossier_archived()

        return Outcome([], save)

    def forward(dossier_id: str, received: Received, hop: bytes | None = None) -> Outcome:
        """Pass a message placed by another partitioner on to the dossier's own partition (or
        a family's filing on its way to and from its notice's dossier, ``hop``)."""
        name, origin = boundary.origin_header(received)
        target = boundary.partition_of(dossier_id)
        dep.metrics.message_forwarded(received.topic)
        headers = {**received.headers, name: origin}
        if hop is not None:
            headers[matching.CLAIM_HEADER] = hop
        value = received.value or b""
        key = dossier_id.encode()
        return Outcome(forwards=[Forward(topics.INBOX, key, value, target, headers)])

    async def unknown_dossier(dossier_id: str, decoded: Decoded, received: Received) -> Outcome:
        """Park an answer for a dossier not received yet; dead-letter those that waited enough."""
        now = dep.clock.now()
        waiting = parked.get(dossier_id)
        if decoded.name == "DeadlineCheck":  # our own tick: the wait of parked answers is over?
            over, waiting = early.expired(waiting, now, wait)
            for entry in over:
                await dep.pipeline.dead_letter(
                    early.received_of(entry),
                    UnknownDossier(
                        f"no dossier {dossier_id} was ever received by the hub "
                        f"(its answer waited {wait.total_seconds():.0f} s)"
                    ),
                )
        elif wait:
            event_id = str(decoded.record["meta"]["event_id"])
            before = len(waiting or [])
            waiting = early.park(waiting, received, event_id, now)
            if len(waiting) > before:
                dep.metrics.answer_parked(decoded.name)
        else:
            raise UnknownDossier(f"no dossier {dossier_id} was ever received by the hub")

        def save() -> None:
            if waiting:
                parked[dossier_id] = waiting
            else:
                parked.pop(dossier_id, None)

        return Outcome([], save)

    @app.agent(source, name="hub-route", concurrency=1)
    async def route(stream: Any) -> None:
        await dep.pipeline.run(stream, handle)

    async def check(dossier_id: str, now: dt.datetime) -> None:
        tick = int(now.timestamp() // settings.deadline_check_seconds)
        meta = metadata("DeadlineCheck", dossier_id, "hub", now, None, tick)
        tick_event: records.DeadlineCheck = {"meta": meta}
        data = dep.pipeline.codec.encode("DeadlineCheck", tick_event)
        await dep.pipeline.publish(deadlines, dossier_id.encode(), data)

    @app.timer(interval=settings.deadline_check_seconds)  # type: ignore[untyped-decorator]
    async def legal_clock() -> None:
        """On every worker, for the dossiers of its own partitions: ask for the checks due."""
        now = dep.clock.now()
        for dossier_id, waiting in list(parked.items()):
            if early.expired(waiting, now, wait)[0]:
                await check(dossier_id, now)
        if index.stale:
            rebuild(now)
        for dossier_id in index.due(now):
            await check(dossier_id, now)

    def rebuild(now: dt.datetime) -> None:
        """Index the partitions this worker holds now (once after each rebalance)."""
        index.clear()
        index.stale = False
        # One entry at a time (nothing awaits here, so the table cannot change meanwhile): a
        # list of every dossier at once took 60 MiB more RSS at each rescan of a soak.
        for dossier_id, value in dossiers.items():
            if not value:
                continue
            state = DossierState.from_table(value)
            assert state is not None
            index.schedule(dossier_id, next_check(state, resend_after, retention))
            for step, step_state in state.steps.items():  # in-flight gauges survive restarts
                if step_state.phase in ("handed_off", "supplement") and step_state.handed_off_at:
                    dep.metrics.still_in_flight(
                        step, dossier_id, step_state.handed_off_at.timestamp()
                    )
        dep.metrics.dossiers_indexed(len(index))

    dep.keep_fresh(index)

    dep.agents["route"] = route
    register_views(dep)
    return dep
