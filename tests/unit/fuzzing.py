"""Fuzzing at scale: generated hostile inputs through decode, validation and the hub's decisions,
in process, each under a time limit. ``make fuzz`` runs 100,000 of them; ``test_fuzz.py`` a few
thousand on every test run.

    python tests/unit/fuzzing.py [--count N] [--seed S] [--only I] [--limit SECONDS]

Four kinds of input, in turn, each built from the events the hub reads (a submission, the
agencies' answers, supplements, withdrawals, its own timer) in the situations they meet:

- ``bytes``: random bytes, half of them behind the single-object marker and a known fingerprint;
- ``mutated``: a valid message flipped, cut, extended, spliced with huge varints;
- ``hostile``: a valid event whose text, lists, numbers and times are replaced by hostile values
  (huge, invisible characters, combining floods, decomposed text, backtracking traps, markup),
  put to the client's dry run, then published as any producer would: encoded, and refused
  unread when larger than the pipeline takes;
- ``junk``: an event with any field replaced by anything (wrong types, nested junk, huge lists),
  put to validation as it is (the client's dry run for a dossier), then to the codec.

Bytes go through the hub's boundary as its pipeline does (size first, then the topic's contract
after decoding). Every input must end in an answer or a refusal. An answer is the hub's events,
each fitting its schema and the broker's limit, and a state that fits a changelog message. A
refusal is a ``LienthongError`` with a bounded message; a ``ValidationFailed`` lists 1 to
``MAX_REASONS`` reasons, each naming a field, a code and a rule in a bounded message. Anything else
is a crash, and an input that takes longer than the time limit is a hang. Input ``i`` of seed ``s``
is the same on every run: ``--seed s --only i`` replays it.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import json
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # the harness of the hub's unit tests

from hostile_values import anything, at, hostile_value, mutated, paths, replace
from test_hub_detours import CR, FULL, HI, RES, Desk, child_personal_id, submission

from lienthong import topics
from lienthong.client import IntakePublisher
from lienthong.contracts.catalogue import default_catalogue
from lienthong.contracts.codec import HEADER_LEN, MARKER, AvroCodec
from lienthong.errors import (
    LienthongError,
    MessageTooLarge,
    Reason,
    ValidationFailed,
)
from lienthong.hub.screening import screen_event
from lienthong.hub.state import DossierState
from lienthong.hub.transitions import Context, decide
from lienthong.limits import (
    BROKER_MAX_MESSAGE_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_REASONS,
    clip,
)
from lienthong.runtime.boundary import Boundary
from lienthong.runtime.types import Received

Record = dict[str, Any]
CODEC = AvroCodec()
#: The hub's boundary, as its deployable builds it (the prefix and partitions do not matter here).
BOUNDARY = Boundary("lienthong", MAX_MESSAGE_BYTES, 3)
#: The step of the answers that do not name theirs.
STEP_OF = {"BirthRegistered": CR, "PersonalIdIssued": CR, "ResidenceRegistered": RES}
STEP_OF |= {"CardIssued": HI}
KINDS = ("bytes", "mutated", "hostile", "junk")
#: Seconds of CPU time one input may take (a hang is a partition standing still). CPU time,
#: not the wall clock: the decisions do no I/O, and other processes on a busy machine must not
#: turn a quick input into a hang.
TIME_LIMIT = 2.0
#: No refusal says more than this (reasons quote excerpts; a ValidationFailed lists 20).
MAX_ERROR_CHARS = 8_000
MAX_REASON_CHARS = 400
MAX_FIELD_CHARS = 200


# -- the material: events the hub reads, in the situations they meet ----------------------------


@dataclass(frozen=True)
class Case:
    """An event, the dossier state it meets (as the table holds it), and the hub's context."""

    name: str
    record: Record
    state: Record | None
    context: Context


@cache
def cases() -> tuple[Case, ...]:
    """One valid event of every type the hub reads, built as the agencies and integrators do."""
    found: list[Case] = []

    def add(desk: Desk, name: str, record: Record, later: dt.timedelta | None = None) -> None:
        state = None if desk.state is None else desk.st.to_table()
        context = desk.context()
        if later is not None:
            context = dataclasses.replace(context, now=context.now + later)
        found.append(Case(name, record, state, context))

    opened = Desk(submission(FULL))
    add(opened, "DossierSubmitted", opened.submission)
    opened.submit()
    add(opened, "DossierSubmitted", opened.submission)  # a redelivery
    add(opened, "BirthRegistered", opened.completion(CR))
    add(opened, "StepRejected", opened.rejection(CR, "certificate_mismatch", "Refused."))
    asked = {"step": CR, "missing": ["Giấy xác nhận"], "message": "Please supply it."}
    add(opened, "SupplementRequested", opened.agency_event(CR, "SupplementRequested", **asked))
    extended = {"step": CR, "new_due_at": opened.now + dt.timedelta(days=3), "apology": "Sorry."}
    add(
        opened,
        "DeadlineExtended",
        opened.own_event("civil-registry", "DeadlineExtended", **extended),
    )
    add(opened, "DossierWithdrawn", opened.own_event("portal", "DossierWithdrawn", reason="Moved."))
    add(opened, "DeadlineCheck", opened.own_event("hub", "DeadlineCheck"), dt.timedelta(days=30))

    opened.ask_supplement(CR)
    supplied = {"step": CR, "documents": ["GXN-1"], "note": "Đã bổ sung."}
    add(
        opened, "DossierSupplemented", opened.own_event("portal", "DossierSupplemented", **supplied)
    )
    add(opened, "DeadlineCheck", opened.own_event("hub", "DeadlineCheck"), dt.timedelta(days=30))

    split = Desk(submission(FULL))
    split.submit()
    split.complete(CR)
    add(split, "ResidenceRegistered", split.completion(RES))
    add(split, "CardIssued", split.completion(HI))
    add(split, "StepRejected", split.rejection(RES, "no_consent", "The head did not consent."))
    wrong = {"step": RES, "target_step": CR, "reason": "The name is misspelt."}
    add(split, "CorrectionRequested", split.agency_event(RES, "CorrectionRequested", **wrong))

    pending = Desk(submission(FULL))
    pending.submit()
    pending.register(pending=True)
    registered = pending.completion(CR)
    child = dict(registered["child"], personal_id=child_personal_id(pending.submission))
    issued = pending.agency_event(
        CR,
        "PersonalIdIssued",
        registration_number=registered["registration_number"],
        child=child,
        attempts=3,
    )
    add(pending, "PersonalIdIssued", issued)
    return tuple(found)


@cache
def encodings() -> tuple[tuple[Case, bytes], ...]:
    return tuple((case, CODEC.encode(case.name, case.record)) for case in cases())


FINGERPRINTS = sorted({entry.fingerprint for entry in default_catalogue()})


# -- what must come out ---------------------------------------------------------------------------


class BadAnswer(AssertionError):
    """The hub answered, or refused, in a way that breaks the boundary's promises."""


def check_reasons(reasons: list[Reason]) -> None:
    if not 1 <= len(reasons) <= MAX_REASONS:
        raise BadAnswer(f"{len(reasons)} reasons")
    for reason in reasons:
        if not (isinstance(reason, Reason) and reason.field and reason.code and reason.message):
            raise BadAnswer(f"a reason without a field, a code or a message: {reason!r:.200}")
        if len(reason.message) > MAX_REASON_CHARS or len(reason.field) > MAX_FIELD_CHARS:
            raise BadAnswer(f"an unbounded reason: {clip(str(reason), 200)}")


def check_refusal(error: LienthongError) -> None:
    if isinstance(error, ValidationFailed):
        check_reasons(error.reasons)
    if not str(error) or len(str(error)) > MAX_ERROR_CHARS:
        raise BadAnswer(f"{type(error).__name__} of {len(str(error)):,} characters")


def check_answer(state: DossierState | None, outputs: list[Any]) -> int:
    """The largest output; BadAnswer when one does not fit its schema or the broker's limit."""
    largest = 0
    for env in outputs:
        try:
            data = CODEC.encode(env.schema, env.record)
        except LienthongError as exc:
            raise BadAnswer(f"the hub's {env.schema} does not fit its schema: {exc}") from exc
        largest = max(largest, len(data) + len(env.key.encode()))
        if env.schema == "DossierRejected":
            check_reasons([Reason(**r) for r in env.record["reasons"]])
    if largest > BROKER_MAX_MESSAGE_BYTES:
        raise BadAnswer(f"an output of {largest:,} bytes")
    if state is not None and len(json.dumps(state.to_table())) > BROKER_MAX_MESSAGE_BYTES:
        raise BadAnswer("a state larger than the broker takes")
    return largest


# -- the paths an input takes ---------------------------------------------------------------------


@dataclass
class Outcome:
    verdict: str  # "accepted", "refused", "unread" (too large to open)
    largest: int = 0


def decided(name: str, record: Record, case: Case) -> Outcome:
    state = DossierState.from_table(copy.deepcopy(case.state)) if case.state else None
    after, outputs = decide(state, name, record, case.context)
    return Outcome("accepted", check_answer(after, outputs))


def topic_of(case: Case) -> str:
    """The topic the case's event arrives on (an answer: its own step's completion topic)."""
    step = case.record.get("step") or STEP_OF.get(case.name)
    for role, carried in topics.CARRIES.items():
        if case.name in carried and step in topics.STEPS_OF_ROLE.get(role, (step,)):
            return BOUNDARY.prefix + "." + role
    raise LookupError(f"no topic carries {case.name}")


def through_the_wire(data: bytes, case: Case) -> Outcome:
    """As the pipeline takes a message from the case's topic: the boundary's size check, the
    decoding, the topic's contract, then the hub's decision."""
    topic = topic_of(case)
    try:
        BOUNDARY.check_size(Received(topic, 0, 0, b"key", data, {}))
    except MessageTooLarge as refused:
        check_refusal(refused)
        return Outcome("unread")
    decoded = CODEC.decode(data)
    BOUNDARY.check(topic, decoded)
    situation = case
    if decoded.name != case.name:  # a mutated fingerprint: meet the situation of that event
        situation = next((c for c in cases() if c.name == decoded.name), case)
    return decided(decoded.name, decoded.record, situation)


def validated(name: str, value: Any) -> None:
    """Validation of anything, as the client and the hub each do it."""
    if name == "DossierSubmitted":
        IntakePublisher.check(value, cases()[0].context.now)
    elif isinstance(value, dict):
        screen_event(name, value)


def one_input(rng: random.Random, kind: str) -> Outcome:
    case = rng.choice(cases())
    if kind == "bytes":
        prefix = MARKER + rng.choice(FINGERPRINTS) if rng.random() < 0.5 else b""
        length = rng.choice((0, 1, 2, 8, 9, 10, 64, 600, 70_000)) if rng.random() < 0.2 else None
        body = rng.randbytes(length if length is not None else rng.randrange(600))
        return through_the_wire(prefix + body, case)
    if kind == "mutated":
        case, data = rng.choice(encodings())
        if rng.random() < 0.5:  # the body only, behind an intact header
            return through_the_wire(data[:HEADER_LEN] + mutated(rng, data[HEADER_LEN:]), case)
        return through_the_wire(mutated(rng, data), case)
    record = copy.deepcopy(case.record)
    places = list(paths(record))
    if kind == "hostile":
        leaves = [p for p in places if not isinstance(at(record, p), dict)]
        for path in rng.sample(leaves, min(len(leaves), rng.randint(1, 3))):
            replace(record, path, lambda like: hostile_value(rng, like))
        try:  # the client's dry run first: it has no size limit before validating
            validated(case.name, record)
        except ValidationFailed as refused:
            check_refusal(refused)
        return through_the_wire(CODEC.encode(case.name, record), case)
    if rng.random() < 0.9:
        replace(record, rng.choice(places), lambda like: anything(rng))
    else:
        record = anything(rng)
    validated(case.name, record)
    if not isinstance(record, dict):
        return Outcome("refused")
    return through_the_wire(CODEC.encode(case.name, record), case)


# -- running them ---------------------------------------------------------------------------------


class Hang(BaseException):
    """The input took longer than the time limit (CPU time: the decisions do no I/O)."""


@contextmanager
def cpu_alarm() -> Iterator[None]:
    """SIGPROF on CPU time, so pytest-timeout's SIGALRM is left alone."""

    def alarm(signum: int, frame: Any) -> None:
        raise Hang

    previous = signal.signal(signal.SIGPROF, alarm)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@dataclass(frozen=True)
class Failure:
    index: int
    kind: str
    what: str


@dataclass
class Report:
    seed: int
    inputs: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    crashes: list[Failure] = field(default_factory=list)
    hangs: list[Failure] = field(default_factory=list)
    slowest: float = 0.0
    slowest_input: str = ""
    largest_output: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.crashes and not self.hangs

    def summary(self) -> str:
        kinds = " · ".join(f"{kind} {self.kinds[kind]:,}" for kind in KINDS)
        verdicts = " · ".join(f"{v} {n:,}" for v, n in sorted(self.verdicts.items()))
        lines = [
            f"fuzz: {self.inputs:,} inputs (seed {self.seed}) in {self.seconds:.1f} s",
            f"  {kinds}",
            f"  {verdicts}",
            f"  crashes {len(self.crashes)} · hangs {len(self.hangs)} · slowest input "
            f"{self.slowest:.3f} s of CPU ({self.slowest_input}) · largest output "
            f"{self.largest_output:,} bytes",
        ]
        for failure in (self.crashes + self.hangs)[:10]:
            lines.append(f"  #{failure.index} ({failure.kind}): {failure.what}")
            lines.append(f"    replay: --seed {self.seed} --only {failure.index}")
        return "\n".join(lines)


def rng_of(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}:{index}")


def run(
    count: int,
    seed: int,
    *,
    only: int | None = None,
    limit: float = TIME_LIMIT,
    progress: Callable[[Report], None] = lambda report: None,
) -> Report:
    """Run ``count`` inputs (or only input ``only``) of ``seed``; the report of what happened.

    ``progress`` is told of the report every 10,000 inputs."""
    cases()  # built before the clock starts
    encodings()
    report = Report(seed)
    began = time.monotonic()
    indexes = range(count) if only is None else [only]
    with cpu_alarm():
        for index in indexes:
            kind = KINDS[index % len(KINDS)]
            rng = rng_of(seed, index)
            start = time.process_time()
            try:
                signal.setitimer(signal.ITIMER_PROF, limit)
                outcome = one_input(rng, kind)
            except Hang:
                outcome = Outcome("hang")
            except BadAnswer as exc:
                report.crashes.append(Failure(index, kind, clip(str(exc), 300)))
                outcome = Outcome("crash")
            except LienthongError as exc:
                try:
                    check_refusal(exc)
                    outcome = Outcome("refused")
                except BadAnswer as bad:
                    report.crashes.append(Failure(index, kind, clip(str(bad), 300)))
                    outcome = Outcome("crash")
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                place = f"{Path(where.filename).name}:{where.lineno}"
                what = f"{type(exc).__name__} at {place}: {clip(str(exc), 200)}"
                report.crashes.append(Failure(index, kind, what))
                outcome = Outcome("crash")
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            took = time.process_time() - start
            if outcome.verdict == "hang" or took > limit:
                report.hangs.append(Failure(index, kind, f"took {took:.2f} s"))
            report.inputs += 1
            report.kinds[kind] += 1
            report.verdicts[outcome.verdict] += 1
            report.largest_output = max(report.largest_output, outcome.largest)
            if took > report.slowest:
                report.slowest, report.slowest_input = took, f"#{index}, {kind}"
            if report.inputs % 10_000 == 0:
                progress(report)
    report.seconds = time.monotonic() - began
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="how many inputs")
    parser.add_argument("--seed", type=int, default=None, help="random when not given")
    parser.add_argument("--only", type=int, default=None, help="replay this one input")
    parser.add_argument("--limit", type=float, default=TIME_LIMIT, help="seconds per input")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)

    def progress(report: Report) -> None:
        found = f"{len(report.crashes)} crashes, {len(report.hangs)} hangs"
        print(f"  {report.inputs:,} inputs, {found}", file=sys.stderr, flush=True)

    report = run(args.count, seed, only=args.only, limit=args.limit, progress=progress)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
