"""Limits as data: the sizes every deployable and the integrator client hold messages to."""

from __future__ import annotations

#: The largest message a deployable accepts. A dossier with every optional section is about
#: 2 KB; 64 KiB leaves room for any honest use while every output derived from an accepted input
#: stays far below the broker's default maximum (1 MiB).
MAX_MESSAGE_BYTES = 64 * 1024
#: The largest output a deployable publishes; above it the input that caused it is dead-lettered
#: (a broker's default ``max.message.bytes`` is 1 MiB; aiokafka's ``max_request_size`` too).
MAX_OUTPUT_BYTES = 512 * 1024
#: A dead letter's reason is cut to this many characters (it never echoes unbounded input).
MAX_REASON_CHARS = 500
#: A dead letter keeps at most this much of a message's key and this many of its headers.
MAX_KEY_BYTES = 256
MAX_HEADERS = 32


def excerpt(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


#: How far ahead of the hub's clock a claimed submission time may be (clocks drift a little).
MAX_CLOCK_SKEW_SECONDS = 300
