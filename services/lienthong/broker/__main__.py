"""``python -m lienthong.broker start|stop|status [--cluster]``: manage the local Kafka broker, or
the local three-node cluster (ports 19096-19101, var/kafka-cluster)."""

from __future__ import annotations

import argparse
import sys

from lienthong.broker.cluster import LocalCluster, cluster_settings
from lienthong.broker.local import LocalBroker
from lienthong.errors import LienthongError
from lienthong.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success (``status``: 0 only if the broker answers), else 1."""
    parser = argparse.ArgumentParser(
        prog="python -m lienthong.broker", description="Manage the local Kafka broker."
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--cluster", action="store_true", help="three KRaft nodes, replication 3, min ISR 2"
    )
    args = parser.parse_args(argv)
    try:
        if args.cluster:
            cluster = LocalCluster(cluster_settings(Settings()))
            brokers: list[LocalBroker] = list(cluster.nodes)
            if args.command == "start":
                cluster.start()
                print(f"Kafka cluster of {len(brokers)} nodes answers at {cluster.bootstrap}")
                return 0
            if args.command == "stop":
                print("\n".join(result.message for result in cluster.stop()))
                return 0
        else:
            brokers = [LocalBroker(Settings())]
        if args.command == "start":
            print(brokers[0].start().message)
        elif args.command == "stop":
            print(brokers[0].stop().message)
        else:
            statuses = [broker.status() for broker in brokers]
            print("\n".join(status.message for status in statuses))
            return 0 if all(status.answering for status in statuses) else 1
    except LienthongError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
