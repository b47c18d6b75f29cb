"""A minimal agency receiver for Lienthong's webhook bridge (standard library only).

1. Verify each delivery (Standard Webhooks: HMAC-SHA256 of ``id.timestamp.body`` with your
   ``whsec_`` secret, the timestamp within five minutes); refuse what does not verify.
2. Apply each ``webhook-id`` once: a delivery is retried with the same id until you answer 2xx.
3. Answer the step later through the completion API, signed the same way with the same secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

TOLERANCE_SECONDS = 300


def signature(secret: str, msg_id: str, stamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verified(secret: str, headers: Any, body: bytes) -> bool:
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, msg_id, stamp, body)
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, s) for s in offered)


class Receiver(BaseHTTPRequestHandler):
    """Serve it with ``ThreadingHTTPServer(("", 8443), Receiver)`` behind TLS."""

    secret = "whsec_..."
    seen: ClassVar[set[str]] = set()

    def apply(self, event: dict[str, Any]) -> None:
        """Your system's work: event["type"], event["step"], event["data"] (the handoff)."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not verified(self.secret, self.headers, body):
            self.send_response(401)
            self.send_header("content-length", "0")
        else:
            if self.headers["webhook-id"] not in self.seen:
                self.apply(json.loads(body))
                self.seen.add(self.headers["webhook-id"])
            self.send_response(204)  # any 2xx: delivered, never sent again
        self.end_headers()


def answer_step(
    base: str,
    agency: str,
    secret: str,
    dossier_id: str,
    step: str,
    form: dict[str, Any],
    key: str,
    context: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a completion form ({"type": ..., "data": {...}}); ``key``: your idempotency key."""
    body = json.dumps(form).encode()
    stamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "lienthong-agency": agency,
        "idempotency-key": key,
        "webhook-id": key,
        "webhook-timestamp": stamp,
        "webhook-signature": signature(secret, key, stamp, body),
    }
    url = f"{base}/webhooks/v1/dossiers/{dossier_id}/steps/{step}/answer"
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
