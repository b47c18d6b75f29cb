"""The README's webhook receiver is the example receiver's own code, and it verifies what the
bridge signs (and nothing else)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import time
from typing import Any

from lienthong.bridge.signing import signed_headers
from lienthong.settings import SOURCE_ROOT

README = (SOURCE_ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = (SOURCE_ROOT / "examples" / "webhook_receiver.py").read_text(encoding="utf-8")
SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()


def receiver_block() -> str:
    section = README.split("## Agencies without Kafka: the webhook bridge", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block, "the webhook section shows the receiver's check"
    return block.group(1)


def test_the_readme_shows_the_example_receivers_code() -> None:
    assert receiver_block().strip() in EXAMPLE


def test_the_readme_receiver_verifies_the_bridges_signature_only() -> None:
    scope: dict[str, Any] = {
        "base64": base64,
        "hashlib": hashlib,
        "hmac": hmac,
        "time": time,
        "Any": Any,
        "TOLERANCE_SECONDS": 300,
    }
    exec(receiver_block(), scope)
    verified = scope["verified"]
    body = b'{"type": "ResidenceHandoff"}'
    headers = signed_headers(SECRET, "a-webhook-id", dt.datetime.now(dt.UTC), body)
    assert verified(SECRET, headers, body)
    assert not verified(SECRET, headers, body + b" ")
    assert not verified("whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body)
    old = signed_headers(
        SECRET, "a-webhook-id", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), body
    )
    assert not verified(SECRET, old, body)
