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

Every input must end in an answer or a refusal. An answer is the hub's events, each fitting its
schema and the broker's limit, and a state that fits a changelog message. A refusal is a
``LienthongError`` with a bounded message; a ``ValidationFailed`` lists 1 to ``MAX_REASONS``
reasons, each naming a field, a code and a rule in a bounded message. Anything else is a crash,
and an input that takes longer than the time limit is a hang. Input ``i`` of seed ``s`` is the
same on every run: ``--seed s --only i`` replays it.
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
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # the harness of the hub's unit tests

from test_hub_detours import CR, FULL, HI, RES, Desk, child_personal_id, submission

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

Record = dict[str, Any]
CODEC = AvroCodec()
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


# -- hostile values ------------------------------------------------------------------------------

#: Lengths near every limit, and far beyond them (the small ones more often).
SIZES = (0, 1, 2, 12, 39, 40, 41, 80, 81, 99, 100, 101, 200, 201, 254, 255, 302, 303, 1000, 1001)
HUGE = (4_096, 30_000, 65_536, 70_000, 300_000, 1_000_000)
INVISIBLE = "\x00\x1b\x7f\n\r\t\u0085\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029"
INVISIBLE += "\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\ue000\U000e0001"
#: Combining marks of several classes (230 above, 220 below, 202 attached, 1 overlay, 0 enclosing).
MARKS = "\u0300\u0301\u0309\u0323\u0327\u0336\u0345\u0489"
VIETNAMESE = ("Nguyễn Thị Ánh Dương", "Trần Văn Hùng", "Bệnh viện Phụ sản Hà Nội", "Đã bổ sung")
TRICKS = ("[bold red]x[/]", "\x1b[31mred\x1b[0m", "{0}%s%n{}", "<script>", "'; DROP", "../..")


def size(rng: random.Random) -> int:
    return rng.choice(HUGE) if rng.random() < 0.05 else rng.choice(SIZES)


def hostile_text(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice("a0 .@ễ_-D") * size(rng)
    if kind == 1:
        return "a@" + "a." * (size(rng) // 2) + "@"
    if kind == 2:  # an invisible character in an otherwise fine text
        text = rng.choice((*VIETNAMESE, "DVC-2026-000001-ab12", "001095123456"))
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(INVISIBLE) * rng.choice((1, 1, 2, 50)) + text[at:]
    if kind == 3:  # a flood of marks, of alternating classes so that normalising is slow
        first, second = rng.sample(MARKS, 2)
        return "A" + (first + second) * (min(size(rng), 70_000) // 2)
    if kind == 4:
        text = rng.choice(VIETNAMESE)
        return unicodedata.normalize(rng.choice(("NFD", "NFKD", "NFC")), text)
    if kind == 5:  # any code points but surrogates (which no UTF-8 producer can send)
        points = (rng.choice((rng.randrange(0x80), rng.randrange(0x110000))) for _ in range(64))
        return "".join(chr(p) for p in points if not 0xD800 <= p <= 0xDFFF)[: rng.randrange(65)]
    if kind == 6:
        return rng.choice(TRICKS) * rng.choice((1, 3, 1000))
    if kind == 7:
        return ""
    return rng.choice(VIETNAMESE) * rng.choice((1, 5, 60))


def hostile_number(rng: random.Random) -> int:
    return rng.choice((0, -1, 1, 2, 5, 6, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63), 10**12))


def hostile_time(rng: random.Random, like: dt.datetime) -> dt.datetime:
    utc = dt.UTC
    return rng.choice(
        (
            dt.datetime(1900, 1, 1, tzinfo=utc),
            dt.datetime(1, 1, 2, tzinfo=utc),
            dt.datetime(9999, 12, 30, tzinfo=utc),
            dt.datetime(1970, 1, 1, tzinfo=utc),
            like + dt.timedelta(days=50),
            like - dt.timedelta(days=rng.choice((1, 61, 365 * 7))),
            like + dt.timedelta(milliseconds=1),
        )
    )


def hostile_date(rng: random.Random, like: dt.date) -> dt.date:
    return rng.choice(
        (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1899, 12, 31), like, like.replace(day=1))
    )


def hostile_value(rng: random.Random, like: Any) -> Any:
    """A value of the same type as ``like``, chosen to hurt."""
    if isinstance(like, bool):
        return not like
    if isinstance(like, int):
        return hostile_number(rng)
    if isinstance(like, dt.datetime):
        return hostile_time(rng, like)
    if isinstance(like, dt.date):
        return hostile_date(rng, like)
    if isinstance(like, list):
        item = like[0] if like and rng.random() < 0.5 else hostile_text(rng)
        return [item] * rng.choice((0, 1, 2, 3, 10, 11, 20, 21, 1_000, 70_000))
    return hostile_text(rng)


def anything(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON-ish or Python value: wrong types, odd numbers, nested junk, huge containers."""
    kind = rng.randrange(14 if depth < 4 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False))
    if kind == 2:
        return rng.choice((0, -1, 2**70, -(2**70), 10**5000, 9232))
    if kind == 3:
        return rng.choice((0.5, 1e308, -1e308, float("nan"), float("inf"), -0.0))
    if kind == 4:
        return hostile_text(rng)
    if kind == 5:
        return rng.choice((b"\xff\xfe", b"", bytes(100)))
    if kind == 6:
        return rng.choice(
            ("2026-03-06", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "yesterday")
        )
    if kind == 7:
        return rng.choice(("civil_registry", "MALE", "PORTAL", "MOTHER", "01", "00070", "\ud800"))
    if kind == 8:
        return dt.datetime(2026, 3, 6, tzinfo=None if rng.random() < 0.5 else dt.UTC)
    if kind == 9:
        return [anything(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 10:
        return {hostile_text(rng)[:30]: anything(rng, depth + 1) for _ in range(rng.randrange(4))}
    if kind == 11:  # deep nesting
        value: Any = "x"
        for level in range(rng.choice((50, 500, 3_000))):
            value = {"a": value} if level % 2 else [value]
        return value
    if kind == 12:
        return [anything(rng, depth + 1)] * rng.choice((1_000, 70_000))
    return {f"k{n}": n for n in range(rng.choice((100, 10_000)))}


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(record: Any, path: tuple[str | int, ...], make: Callable[[Any], Any]) -> None:
    """Replace the value at ``path``, unless an earlier replacement removed it."""
    target = record
    try:
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = make(target[path[-1]])
    except (KeyError, IndexError, TypeError):
        pass


def mutated(rng: random.Random, data: bytes) -> bytes:
    """``data`` with bytes flipped, cut, added, deleted, or a huge varint spliced in."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind, at = rng.randrange(6), rng.randrange(max(len(out), 1))
        if kind == 0 and out:
            out[at] ^= rng.randint(1, 255)
        elif kind == 1:
            del out[at:]
        elif kind == 2:
            out += rng.randbytes(rng.randint(1, 64))
        elif kind == 3:
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == 4:
            del out[at : at + rng.randint(1, 16)]
        else:
            out[at:at] = rng.choice(
                (b"\xfe" + b"\xff" * 8 + b"\x01", b"\xff" * 9 + b"\x01", b"\x01")
            )
    return bytes(out)


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


def through_the_wire(data: bytes, case: Case) -> Outcome:
    """As the pipeline takes a message: its size, its decoding, then the hub's decision."""
    if len(data) > MAX_MESSAGE_BYTES:
        check_refusal(MessageTooLarge(len(data)))
        return Outcome("unread")
    decoded = CODEC.decode(data)
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
    paths = list(_paths(record))
    if kind == "hostile":
        leaves = [p for p in paths if not isinstance(_at(record, p), dict)]
        for path in rng.sample(leaves, min(len(leaves), rng.randint(1, 3))):
            _replace(record, path, lambda like: hostile_value(rng, like))
        try:  # the client's dry run first: it has no size limit before validating
            validated(case.name, record)
        except ValidationFailed as refused:
            check_refusal(refused)
        return through_the_wire(CODEC.encode(case.name, record), case)
    if rng.random() < 0.9:
        _replace(record, rng.choice(paths), lambda like: anything(rng))
    else:
        record = anything(rng)
    validated(case.name, record)
    if not isinstance(record, dict):
        return Outcome("refused")
    return through_the_wire(CODEC.encode(case.name, record), case)


def _at(record: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        record = record[part]
    return record


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
