"""The local Kafka broker used for development, tests and demos."""

from lienthong.broker.local import LocalBroker, running_broker
from lienthong.broker.probe import BrokerStatus, StartResult, StopResult, is_answering

__all__ = [
    "BrokerStatus",
    "LocalBroker",
    "StartResult",
    "StopResult",
    "is_answering",
    "running_broker",
]
