"""The bridge's series, per agency endpoint, on the deployable's registry.

Declared here rather than in ``lienthong.metrics`` (at its size limit): the same habit, one
place, verbs with domain names, label values bounded by the declared agencies.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from lienthong.topics import AGENCIES

#: From 5 ms (a local endpoint) to the longest delivery allowed (a slow one, then a timeout).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: A status outside 100-599, or none at all (timeout, refused connection).
NO_STATUS = "none"


def _agency(name: str) -> str:
    return name if name in AGENCIES else "other"


def _status(status: int | None) -> str:
    return str(status) if status is not None and 100 <= status <= 599 else NO_STATUS


class BridgeMetrics:
    """Deliveries, failures by status, latency and the oldest undelivered age, per agency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "lienthong_webhook_deliveries_total",
            "Handoffs an agency endpoint accepted (2xx)",
            ["agency"],
            registry=registry,
        )
        self.failures = Counter(
            "lienthong_webhook_failures_total",
            "Delivery attempts an agency endpoint did not accept, by HTTP status (none: no answer)",
            ["agency", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "lienthong_webhook_latency_seconds",
            "Time of one delivery attempt, sent to answered",
            ["agency"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.oldest = Gauge(
            "lienthong_webhook_oldest_undelivered_seconds",
            "Age of the oldest handoff not yet accepted by the agency's endpoint",
            ["agency"],
            registry=registry,
        )
        self.gave_up = Counter(
            "lienthong_webhook_gave_up_total",
            "Handoffs sent to the dead-letter topic after the give-up horizon",
            ["agency"],
            registry=registry,
        )
        self.refused = Counter(
            "lienthong_webhook_completions_refused_total",
            "Completion API requests refused, by HTTP status",
            ["status"],
            registry=registry,
        )
        for agency in AGENCIES:
            self.oldest.labels(agency).set(0)
            self.gave_up.labels(agency)
            self.deliveries.labels(agency)

    def attempted(self, agency: str, delivered: bool, status: int | None, seconds: float) -> None:
        self.latency.labels(_agency(agency)).observe(max(seconds, 0.0))
        if delivered:
            self.deliveries.labels(_agency(agency)).inc()
        else:
            self.failures.labels(_agency(agency), _status(status)).inc()

    def given_up(self, agency: str) -> None:
        self.gave_up.labels(_agency(agency)).inc()

    def undelivered_for(self, agency: str, seconds: float) -> None:
        self.oldest.labels(_agency(agency)).set(max(seconds, 0.0))

    def completion_refused(self, status: int) -> None:
        self.refused.labels(_status(status)).inc()
