"""``python -m lienthong.broker start|stop|status``: manage the local Kafka broker."""

from __future__ import annotations

import argparse
import sys

from lienthong.broker.local import LocalBroker
from lienthong.errors import LienthongError
from lienthong.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success (``status``: 0 only if the broker answers), else 1."""
    parser = argparse.ArgumentParser(
        prog="python -m lienthong.broker", description="Manage the local Kafka broker."
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    try:
        broker = LocalBroker(Settings())
        if args.command == "start":
            print(broker.start().message)
        elif args.command == "stop":
            print(broker.stop().message)
        else:
            status = broker.status()
            print(status.message)
            return 0 if status.answering else 1
    except LienthongError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
