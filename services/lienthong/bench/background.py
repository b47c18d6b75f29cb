"""A loop in a daemon thread for the length of a ``with`` block (followers, samplers)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self


class Background:
    """Calls ``step()`` every ``interval`` seconds from entering the block until leaving it."""

    def __init__(self, name: str, interval: float) -> None:
        self.interval = interval
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def step(self) -> None:
        raise NotImplementedError

    def stopped(self) -> None:
        """Release what the loop used, after its last step."""

    def _loop(self) -> None:
        while True:
            self.step()
            if self._halt.wait(self.interval):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._halt.set()
        self._thread.join(timeout=10)
        self.stopped()
