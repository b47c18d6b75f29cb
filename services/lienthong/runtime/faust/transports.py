"""The faust transports the adapter runs the workers on; any other is refused, saying what it lacks.

faust-streaming ships two Kafka transports: ``kafka://`` (aiokafka, its default) and
``confluent://`` (librdkafka through confluent-kafka, the ``ckafka`` extra). The offset guard
(:mod:`lienthong.runtime.faust.offsets`) is built on the aiokafka driver. The confluent driver of
faust-streaming 0.15.3 was tried with the four deployables and falls short of our delivery order
at the points listed in :data:`CONFLUENT_LACKS` (each names the line of faust's
``transport/drivers/confluent.py``, or of the module it says, in that release);
``tests/unit/test_transports.py`` and ``tests/integration/test_confluent_transport.py`` check each
claim against the installed driver, so a release that mends one fails them and is looked at again.
"""

from __future__ import annotations

from importlib import metadata
from typing import Literal

from lienthong.errors import UnsupportedTransport

#: The transports a worker may be configured with (``LIENTHONG_TRANSPORT``).
Transport = Literal["kafka://", "confluent://"]
KAFKA: Transport = "kafka://"
CONFLUENT: Transport = "confluent://"

#: What the confluent driver lacks for our delivery order, by faust-streaming release.
CONFLUENT_LACKS: dict[str, tuple[str, ...]] = {
    "0.15.3": (
        "no partition is ever assigned: librdkafka hands a worker its assignment only inside "
        "consume() (on_assign, lines 315-324; consume, line 429), and faust's fetcher calls it "
        "only once partitions are assigned and flowing (transport/consumer.py lines 779-783 and "
        "798, tables/recovery.py line 331), so the group is Stable on the broker with every "
        "partition given to the worker, and the worker never reads a message",
        "headers are dropped both ways: every message read has none (line 148) and "
        "Producer.send ignores them (lines 662-682), while the hub's inbox needs the "
        "lienthong-origin header",
        "seeking is broken: seek_to_committed awaits librdkafka's seek, which returns None "
        "(line 334: a TypeError that crashes the worker on each assignment), and seek_wait "
        "calls seek and position on a wrapper that has neither (lines 363-373), which the "
        "offset guard needs to read skipped events again",
        "the commit livelock detector calls verify_event_path, which the driver's consumer "
        "thread lacks (lines 164-173): an AttributeError that would crash the consumer once "
        "it holds partitions (transport/consumer.py lines 917-930)",
        "the clients ignore broker_credentials (no SASL, no TLS), producer_acks, "
        "consumer_group_instance_id and faust's partition assignor (lines 266-281, 501-509), "
        "and create no topic (lines 440-453, 623-637)",
    ),
}


def installed_faust() -> str:
    """The installed faust-streaming release."""
    return metadata.version("faust-streaming")


def refusal(transport: str, faust_version: str) -> str | None:
    """Why the adapter refuses ``transport`` on this faust release; None when it runs on it."""
    if transport == KAFKA:
        return None
    head = (
        f"transport: {transport} is not supported by lienthong's faust adapter on "
        f"faust-streaming {faust_version}"
    )
    lacks = CONFLUENT_LACKS.get(faust_version) if transport == CONFLUENT else None
    if lacks is None:
        return (
            f"{head}: it was not tried with this release; use {KAFKA} (aiokafka), or run the "
            "end-to-end and crash-point tests with it and record what it lacks here"
        )
    listed = "; ".join(f"({n}) {lack}" for n, lack in enumerate(lacks, start=1))
    return f"{head}; its driver lacks what our delivery order needs: {listed}. Use {KAFKA}"


def check_transport(transport: str, faust_version: str | None = None) -> None:
    """Refuse a transport the adapter does not run on, naming the setting and the reasons."""
    reason = refusal(transport, faust_version or installed_faust())
    if reason is not None:
        raise UnsupportedTransport(reason)
