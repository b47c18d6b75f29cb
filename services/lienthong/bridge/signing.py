"""Standard Webhooks signatures both ways: the bridge signs what it sends, checks what it takes.

``webhook-id`` is the handoff's event id (the same on every retry: the agency's idempotency
key), ``webhook-timestamp`` the attempt's Unix time, ``webhook-signature`` ``v1,<base64 of
HMAC-SHA256(secret, id.timestamp.body)>``. The HMAC is the ``standardwebhooks`` package's; the
timestamp tolerance is checked here, against the deployable's clock, so a test can move time.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hmac
import math

from standardwebhooks.webhooks import Webhook

from lienthong.errors import CompletionRefused

ID = "webhook-id"
TIMESTAMP = "webhook-timestamp"
SIGNATURE = "webhook-signature"


def signed_headers(
    secrets: str | tuple[str, ...], webhook_id: str, at: dt.datetime, body: bytes
) -> dict[str, str]:
    """The three headers of one delivery of ``body``: one signature per secret, separated by
    spaces (the specification's rotation: an agency that holds either secret verifies)."""
    keys = (secrets,) if isinstance(secrets, str) else secrets
    return {
        ID: webhook_id,
        TIMESTAMP: str(math.floor(at.timestamp())),
        SIGNATURE: " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in keys),
    }


def verify(
    secrets: tuple[str, ...],
    headers: dict[str, str],
    body: bytes,
    now: dt.datetime,
    tolerance_seconds: float,
) -> str:
    """The request's ``webhook-id`` if one of ``secrets`` signed ``body`` within the tolerance;
    CompletionRefused (401) naming the header and the rule otherwise."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in (ID, TIMESTAMP, SIGNATURE):
        if not lower.get(name):
            raise CompletionRefused(401, name, "required (Standard Webhooks signing)")
    try:
        sent = float(lower[TIMESTAMP])
    except ValueError:
        raise CompletionRefused(401, TIMESTAMP, "must be Unix seconds") from None
    if not math.isfinite(sent) or abs(now.timestamp() - sent) > tolerance_seconds:
        raise CompletionRefused(
            401, TIMESTAMP, f"more than {tolerance_seconds:.0f} s from now (a replay?)"
        )
    at = dt.datetime.fromtimestamp(math.floor(sent), dt.UTC)
    offered = lower[SIGNATURE].split(" ")
    for secret in secrets:
        try:
            expected = Webhook(secret).sign(lower[ID], at, body)
        except (binascii.Error, ValueError):  # a malformed secret never matches
            continue
        if any(hmac.compare_digest(expected.encode(), s.encode()) for s in offered):
            return lower[ID]
    raise CompletionRefused(401, SIGNATURE, "no signature matches the agency's secrets")
