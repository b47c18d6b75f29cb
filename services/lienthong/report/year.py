"""A generated year of one province's dossiers, driven through the hub's own decisions.

Agencies answer on time, except the planned late ones (one step answers after the dossier's
due date, and the legal clock's check announces it overdue first) and the planned refusals.
Citizens answer the satisfaction question on some finished dossiers. The plans are the ground
truth a test counts from; the status events are what the report reads.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.codec import AvroCodec
from lienthong.contracts.events import Envelope, metadata
from lienthong.domain import identifiers, units
from lienthong.domain.agency import Cause, completion, rejection
from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadline_cuts import NO_CUTS, DeadlineCuts
from lienthong.errors import ClientError
from lienthong.groups.birth.synthetic import generate
from lienthong.groups.registry import all_steps
from lienthong.hub.satisfaction import REASONS, satisfaction_given
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.lookup import Keyring
from lienthong.settings import Settings

#: An event of the year as the simulation queues it for the hub (any schema, by name).
Queued = Mapping[str, object]
COMPLETED = {
    "civil_registry": "BirthRegistered",
    "residence": "ResidenceRegistered",
    "health_insurance": "CardIssued",
    "child_id_card": "ChildIdCardIssued",
}
#: Working days in a year, roughly: dossiers are spread over them.
WORKING_DAYS = 245
#: How long an agency that is on time takes to answer.
PROMPT = dt.timedelta(minutes=20)


@dataclass(frozen=True)
class Plan:
    """What happens to one generated dossier: the facts a test counts from."""

    dossier_id: str
    submitted_at: dt.datetime
    commune: str
    procedures: tuple[str, ...]
    verification: bool
    #: The step that answers after the dossier's due date (None: every step is on time).
    late_step: str | None
    #: The step its agency refuses (None: none).
    refused_step: str | None
    #: The citizen's answer (None: no answer) and the reason chosen when dissatisfied.
    satisfied: bool | None
    reason: str | None


@dataclass(frozen=True)
class YearShape:
    """How often things go wrong; the late share falls over the year, as reforms hope."""

    late_share: float = 0.04
    refused_share: float = 0.01
    answer_share: float = 0.6
    dissatisfied_share: float = 0.03
    dissatisfied_share_late: float = 0.6


class Year:
    """``dossiers`` received in ``province`` during ``year``, and what became of each."""

    def __init__(
        self,
        province: str,
        year: int,
        dossiers: int,
        *,
        seed: int = 1,
        cuts: DeadlineCuts = NO_CUTS,
        shape: YearShape = YearShape(),
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.calendar = calendar or WorkingCalendar()
        self.cuts, self.shape = cuts, shape
        self.codec = AvroCodec()
        self.rng = random.Random(seed)
        start = dt.datetime.combine(dt.date(year, 1, 1), dt.time(7, 30), self.calendar.zone)
        made = generate(
            dossiers,
            seed=seed,
            start=start,
            twins_share=0.0,
            per_day=max(1, math.ceil(dossiers / WORKING_DAYS)),
            calendar=self.calendar,
            province=province,
        )
        self.dossiers = [(self._plan(d.record), d.record) for d in made]

    def _plan(self, record: records.DossierSubmitted) -> Plan:
        rng, shape = self.rng, self.shape
        procedures = tuple(record["procedures"])
        month = self.calendar.local_date(record["submitted_at"]).month
        late = rng.random() < shape.late_share * (1.5 - month / 12)
        late_step = rng.choice(procedures) if late else None
        refusable = [s for s in procedures if s not in ("civil_registry", late_step)]
        refused = refusable[0] if refusable and rng.random() < shape.refused_share else None
        satisfied, reason = None, None
        if rng.random() < shape.answer_share:
            unhappy = shape.dissatisfied_share_late if late else shape.dissatisfied_share
            satisfied = rng.random() >= unhappy
            if not satisfied:
                reason = "TOO_SLOW" if late else rng.choice([*REASONS, None])
        return Plan(
            dossier_id=str(record["meta"]["dossier_id"]),
            submitted_at=record["submitted_at"],
            commune=record["registering_commune"],
            procedures=procedures,
            verification=bool(record.get("verification_needed")),
            late_step=late_step,
            refused_step=refused,
            satisfied=satisfied,
            reason=reason,
        )

    @property
    def plans(self) -> list[Plan]:
        return [plan for plan, _ in self.dossiers]

    def status_events(self) -> Iterator[Envelope]:
        """Every status event of the year, dossier by dossier."""
        for plan, record in self.dossiers:
            yield from _Dossier(self, plan, record).run()


class _Dossier:
    """One dossier's life: hub decisions at the times its agencies and citizen act."""

    def __init__(self, year: Year, plan: Plan, submission: records.DossierSubmitted) -> None:
        self.year, self.plan = year, plan
        self.state: DossierState | None = None
        self.queue: list[tuple[dt.datetime, int, str, Queued]] = []
        self.order = itertools.count()
        self.asked = False
        self.push(
            submission["submitted_at"] + dt.timedelta(minutes=1), "DossierSubmitted", submission
        )

    def push(self, at: dt.datetime, name: str, record: Queued) -> None:
        heapq.heappush(self.queue, (at, next(self.order), name, record))

    def run(self) -> Iterator[Envelope]:
        codec = self.year.codec
        while self.queue:
            at, _, name, record = heapq.heappop(self.queue)
            ctx = Context(
                at,
                self.year.calendar,
                Keyring.single(b"generated-year"),
                "https://dichvucong.example.vn",
                resend_after=dt.timedelta(days=366),
                cuts=self.year.cuts,
            )
            wired = codec.decode(codec.encode(name, record)).record
            self.state, outputs = decide(self.state, name, wired, ctx)
            for env in outputs:
                if env.topic == topics.STATUS:
                    yield env
                else:
                    self.answer(env, at)
            self.maybe_rate(at)

    def answer(self, handoff_env: Envelope, at: dt.datetime) -> None:
        # one deployable's topic carries several steps' handoffs: the schema names the step
        step = next(s for s in COMPLETED if handoff_env.schema == all_steps()[s].handoff)
        handoff: dict[str, Any] = self.year.codec.decode(
            self.year.codec.encode(handoff_env.schema, handoff_env.record)
        ).record
        assert self.state is not None and self.state.due_at is not None
        if step == self.plan.late_step:
            due = self.state.steps[step].effective_due
            assert due is not None
            check = dt.timedelta(minutes=1)
            meta = metadata("DeadlineCheck", self.plan.dossier_id, "hub", due + check, None, step)
            tick: records.DeadlineCheck = {"meta": meta}
            self.push(due + check, "DeadlineCheck", tick)
            when = max(self.state.due_at, due) + dt.timedelta(days=1)
        else:
            when = at + PROMPT
        if step == self.plan.refused_step:
            reason = "The chosen clinic does not take new registrations for children."
            refused = rejection(step, _cause(handoff), when, "clinic_unavailable", reason)
            self.push(when, "StepRejected", refused.outputs[0].record)
        else:
            self.push(when, COMPLETED[step], self.result(step, handoff, when))

    def result(self, step: str, handoff: dict[str, Any], at: dt.datetime) -> Queued:
        """The agency's completion, shaped as the agencies build theirs."""
        cal = self.year.calendar
        serial = int(self.plan.dossier_id.split("-")[2])
        province = units.commune(self.plan.commune).province_code  # type: ignore[union-attr]
        fields: dict[str, object]
        if step == "civil_registry":
            child = handoff["child"]
            born = cal.local_date(child["born_at"])
            fields = {
                "registration_number": f"{serial:06d}/{born.year}/KS-{self.plan.commune}",
                "registered_on": cal.local_date(at),
                "child": {
                    "full_name": f"{child['family_name']} {child['given_name']}",
                    "born_at": child["born_at"],
                    "sex": child["sex"],
                    "personal_id": identifiers.personal_id(
                        province, child["sex"], born.year, serial
                    ),
                },
                "extract_ref": f"TLKS-{serial:06d}",
            }
        elif step == "residence":
            request = handoff["request"]
            fields = {
                "confirmation_ref": f"CT-{serial:06d}",
                "registered_on": cal.local_date(at),
                "address": request["address"],
                "head_of_household": request["head_of_household"],
            }
        elif step == "child_id_card":
            born = cal.local_date(handoff["child"]["born_at"])
            fields = {
                "card_number": f"CC{serial:08d}00",
                "personal_id": handoff["child"]["personal_id"],
                "issued_on": cal.local_date(at),
                "valid_until": born.replace(year=born.year + 14) - dt.timedelta(days=1),
            }
        else:
            born = cal.local_date(handoff["child"]["born_at"])
            number = f"79{serial:08d}"
            fields = {
                "social_insurance_number": number,
                "card_code": identifiers.card_code(province, number),
                "valid_from": born,
                "valid_until": identifiers.card_valid_until(born),
                "clinic_code": handoff["clinic"]["clinic_code"],
            }
        return completion(step, COMPLETED[step], _cause(handoff), at, **fields).record

    def maybe_rate(self, at: dt.datetime) -> None:
        state = self.state
        if self.asked or state is None or state.phase != "finished" or self.plan.satisfied is None:
            return
        self.asked = True
        answer = satisfaction_given(
            self.plan.dossier_id, state.lookup_code, self.plan.satisfied, self.plan.reason, at
        )
        self.push(at + dt.timedelta(hours=2), "SatisfactionGiven", answer.record)


def _cause(handoff: Mapping[str, Any]) -> Cause:
    """The handoff's ids, which the ids of the agency's answer derive from."""
    meta = handoff["meta"]
    return {"meta": {"dossier_id": meta["dossier_id"], "event_id": meta["event_id"]}}


def publish(settings: Settings, events: Iterable[Envelope]) -> int:
    """Publish status events to the status topic, keyed by dossier id; returns how many."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    from lienthong.runtime.app import ensure_topics

    codec = AvroCodec()
    name = settings.topic(topics.STATUS)
    try:
        ensure_topics(settings, (topics.STATUS,))
        producer = KafkaProducer(
            **settings.kafka_client_options(), client_id="lienthong-year", linger_ms=20
        )
        try:
            sent = 0
            for env in events:
                producer.send(
                    name, key=env.key.encode(), value=codec.encode(env.schema, env.record)
                )
                sent += 1
            producer.flush()
        finally:
            producer.close()
    except KafkaError as exc:
        raise ClientError(f"cannot publish the generated year to {name}: {exc}") from exc
    return sent
