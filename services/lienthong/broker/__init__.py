"""The local Kafka broker used for development, tests and demos."""

from lienthong.broker.local import (
    BrokerStatus,
    LocalBroker,
    StartResult,
    StopResult,
    is_answering,
    running_broker,
)

__all__ = [
    "BrokerStatus",
    "LocalBroker",
    "StartResult",
    "StopResult",
    "is_answering",
    "running_broker",
]
