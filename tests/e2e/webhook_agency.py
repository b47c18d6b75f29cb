"""A residence agency without Kafka, for the bridge's end-to-end tests: a real HTTPS receiver
(the README's example receiver, verifying with its own HMAC code, not the bridge's) that fails
for a while, then applies each handoff once and answers through the completion API."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from webhook_receiver import Receiver, answer_step

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
#: An older secret still valid (a rotation): the bridge signs with the first.
OLD_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
#: The steps of each group the agency answers through webhooks.
STEPS = ("residence", "residence_deregistration")


def of_webhook_steps(name: str, record: dict[str, Any]) -> bool:
    """Whether an event on the residence topics is about a step answered through webhooks (the
    same deployable also owns steps our processor answers: the child's ID card)."""
    from lienthong.groups.registry import all_steps

    if "step" in record:
        return record["step"] in STEPS
    specs = [all_steps()[step] for step in STEPS]
    return any(name == spec.handoff or name in spec.results for spec in specs)


def self_signed(where: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl for this test."""
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def form_for(event: dict[str, Any]) -> dict[str, Any] | None:
    """The agency's answer to a handoff: registered (or refused where nothing to deregister)."""
    data, today = event["data"], dt.date.today().isoformat()
    ref = "WH-" + data["meta"]["event_id"][:8]
    if event["type"] == "ResidenceHandoff":
        fields = {
            "confirmation_ref": ref,
            "registered_on": today,
            "address": data["parent_permanent_address"],
            "head_of_household": data["parent_full_name"],
        }
        return {"type": "ResidenceRegistered", "data": fields}
    if event["type"] == "ResidenceDeregistrationHandoff" and data["permanent_address"]:
        fields = {"confirmation_ref": ref, "deregistered_on": today}
        fields["address"] = data["permanent_address"]
        return {"type": "ResidenceDeregistered", "data": fields}
    if event["type"] == "ResidenceDeregistrationHandoff":
        fields = {"reason_code": "no_residence", "reason": "No permanent residence to remove."}
        return {"type": "StepRejected", "data": fields}
    return None  # a cancellation: nothing to answer


class Agency:
    """The receiver's state: what arrived, what was applied, what was answered."""

    def __init__(self, bridge_url: str, failing: int = 6, slow_seconds: float = 1.5) -> None:
        self.bridge_url = bridge_url
        self.failing = failing
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        self.arrivals: list[str] = []
        #: When each webhook-id first arrived (Unix seconds).
        self.first_seen: dict[str, float] = {}
        self.applied: Counter[str] = Counter()
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.forms: dict[str, tuple[str, str, dict[str, Any]]] = {}

    def arrived(self, webhook_id: str) -> str:
        """'fail', 'slow' (then fail: the bridge timed out) or 'accept', for this request."""
        with self.lock:
            self.arrivals.append(webhook_id)
            self.first_seen.setdefault(webhook_id, time.time())
            n = len(self.arrivals)
        if self.failing == 0 or n > self.failing:
            return "accept"
        return "fail" if n % 2 or not self.slow_seconds else "slow"

    def apply(self, event: dict[str, Any], webhook_id: str) -> None:
        with self.lock:
            self.applied[webhook_id] += 1
        form = form_for(event)
        if form is not None:
            dossier = event["data"]["meta"]["dossier_id"]
            self.forms[webhook_id] = (dossier, event["step"], form)
            threading.Thread(target=self.answer, args=(webhook_id,), daemon=True).start()

    def answer(self, webhook_id: str) -> None:
        dossier, step, form = self.forms[webhook_id]
        status, body = 0, dict[str, Any]()
        for _ in range(240):  # the bridge may be down a while (the crash test kills it)
            try:
                status, body = answer_step(
                    self.bridge_url, "residence", SECRET, dossier, step, form, key=webhook_id
                )
            except OSError:  # refused, reset: the bridge is restarting
                status = 0
            if status == 202:
                break
            time.sleep(0.5)
        with self.lock:
            self.answers.append((status, body))


def serve(agency: Agency, cert: Path, key: Path) -> ThreadingHTTPServer:
    """The HTTPS receiver on a free loopback port, in a daemon thread."""

    class Handler(Receiver):
        protocol_version = "HTTP/1.1"  # keep-alive, as an agency's web server would
        secret = SECRET
        seen: ClassVar[set[str]] = set()

        def do_POST(self) -> None:
            what = agency.arrived(self.headers.get("webhook-id", ""))
            if what == "accept":
                super().do_POST()
                return
            if what == "slow":
                time.sleep(agency.slow_seconds)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(500)
            self.send_header("content-length", "0")
            self.end_headers()

        def apply(self, event: dict[str, Any]) -> None:
            agency.apply(event, self.headers["webhook-id"])

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def endpoints(url: str) -> str:
    return json.dumps({"residence": {"url": url, "secrets": [SECRET, OLD_SECRET]}})


@contextmanager
def behind_the_bridge(
    isolated: Any, where: Path, agency_options: dict[str, Any], **updates: Any
) -> Iterator[tuple[Any, Agency, Any]]:
    """The agency's HTTPS receiver (a certificate of its own, which the bridge trusts), the
    settings sending ``STEPS`` to it (``updates`` on top), and the four deployables with the
    bridge: (settings, agency, stack); the receiver stops after the stack."""
    from pydantic import SecretStr

    from lienthong.runtime.stack import LocalStack
    from lienthong.topics import BRIDGE, DEPLOYABLES
    from lienthong.worker import prepare_topics
    from netports import free_ports

    cert, key = self_signed(where)
    port = free_ports(1)[0]
    agency = Agency(f"http://127.0.0.1:{port}", **agency_options)
    server = serve(agency, cert, key)
    url = f"https://127.0.0.1:{server.server_address[1]}/lienthong"
    settings = isolated.model_copy(
        update={
            "bridge_web_port": port,
            "webhook_ca_file": cert,  # the bridge trusts the test's own certificate
            "webhook_steps": STEPS,
            "webhook_endpoints": SecretStr(endpoints(url)),
            **updates,
        }
    )
    prepare_topics(settings)
    prepare_topics(settings, BRIDGE)
    try:
        with LocalStack(settings, where / "logs", names=(*DEPLOYABLES, BRIDGE)) as stack:
            yield settings, agency, stack
    finally:
        server.shutdown()
