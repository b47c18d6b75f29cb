"""Waiting for something that happens in other processes, with a deadline that names it."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(what: str, done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``done`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)
