"""Hostile values for the fuzzer (``fuzzing.py``): text, numbers, times, lists and junk chosen to
hurt, mutated bytes, and the paths of a record to put them in. Every function draws from the
``random.Random`` it is given, so an input is the same on every run of its seed."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

#: Lengths near every limit, and far beyond them (the small ones more often).
SIZES = (0, 1, 2, 12, 39, 40, 41, 80, 81, 99, 100, 101, 200, 201, 254, 255, 302, 303, 1000, 1001)
HUGE = (4_096, 30_000, 65_536, 70_000, 300_000, 1_000_000)
#: No input is built larger than this many characters: far beyond what a deployable takes.
LARGEST_INPUT = 2_000_000
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
        count = rng.choice((0, 1, 2, 3, 10, 11, 20, 21, 1_000, 70_000))
        # larger than any deployable takes either way; a bigger one only costs the producer
        return [item] * min(count, max(1, LARGEST_INPUT // max(len(str(item)), 1)))
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
    if kind == 12:  # a huge list of one scalar (of a size a producer could still build)
        item = anything(rng, depth=4)
        count = rng.choice((1_000, 70_000))
        length = len(item) if isinstance(item, str | bytes) else 1
        return [item] * min(count, max(1, LARGEST_INPUT // max(length, 1)))
    return {f"k{n}": n for n in range(rng.choice((100, 10_000)))}


def paths(node: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def replace(record: Any, path: tuple[str | int, ...], make: Callable[[Any], Any]) -> None:
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


def at(record: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        record = record[part]
    return record
