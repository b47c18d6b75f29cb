"""What the broker refused, and whether a retry could change it (the checkpoint's and the
pipeline's publishing share it)."""

from __future__ import annotations

from typing import cast

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)

from lienthong.limits import clip

#: Refusals that no retry can change: the message's outputs are its dead letter's reason.
PERMANENT = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    CorruptRecordException,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
)


def permanent_cause(exc: BaseException) -> BaseException | None:
    """The refusal behind ``exc`` that no retry can change, if any (faust wraps aiokafka's)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, PERMANENT):
            return cast(BaseException, seen)
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: BaseException) -> str:
    """An exception and its causes in one short line, for logs and reasons."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        text = str(seen).strip()
        parts.append(f"{type(seen).__name__}: {clip(text, 160)}" if text else type(seen).__name__)
        seen = seen.__cause__
    return " <- ".join(parts)
