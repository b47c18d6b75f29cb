"""Who is asking, and whether they may ask again: the client address and the lookup lockouts.

A wrong lookup code counts against the client (its address) and against the receipt. Past
``lookup_failures_per_client`` (or ``..._per_receipt``) failures within the window, that client
(or receipt) is locked out for ``lookup_lockout_seconds``: every lookup is refused with 429, even
with the right code, so guessing gains nothing. An unknown receipt and a wrong code count alike.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from aiohttp import web as aioweb

from lienthong.settings import Settings

#: Clients and receipts remembered at most (the oldest are forgotten first), so a flood of
#: made-up receipts cannot exhaust memory.
CAPACITY = 100_000
#: Separates the signature of a forwarded request from other uses of the lookup key.
ROUTED_LABEL = b"hub-routed|"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class Tally:
    started: float
    failures: int = 0
    locked_until: float = 0.0


class Tallies:
    """Failures per key (a client or a receipt) in fixed windows, with the lockouts."""

    def __init__(self, limit: int, window: float, lockout: float) -> None:
        self.limit, self.window, self.lockout = limit, window, lockout
        self.items: OrderedDict[str, Tally] = OrderedDict()

    def locked_for(self, key: str, now: float) -> float:
        tally = self.items.get(key)
        return max(0.0, tally.locked_until - now) if tally else 0.0

    def fail(self, key: str, now: float) -> bool:
        """Count one failure; True when it starts a lockout."""
        tally = self.items.get(key)
        if tally is None or now - tally.started >= self.window:
            tally = Tally(now)
        tally.failures += 1
        self.items[key] = tally
        self.items.move_to_end(key)
        while len(self.items) > CAPACITY:
            self.items.popitem(last=False)
        if tally.failures >= self.limit and tally.locked_until <= now:
            tally.locked_until = now + self.lockout
            tally.failures, tally.started = 0, tally.locked_until
            return True
        return False


class LookupGuard:
    """The lockouts of one hub worker (each worker counts what it serves)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        window, lockout = settings.lookup_window_seconds, settings.lookup_lockout_seconds
        self.clients = Tallies(settings.lookup_failures_per_client, window, lockout)
        self.receipts = Tallies(settings.lookup_failures_per_receipt, window, lockout)
        self.clock = clock

    def refusal(self, client: str, receipt: str) -> tuple[str, float] | None:
        """("client" | "receipt", seconds left) when a lockout is on; None otherwise."""
        now = self.clock()
        for scope, tallies, key in (
            ("client", self.clients, client),
            ("receipt", self.receipts, receipt),
        ):
            left = tallies.locked_for(key, now)
            if left > 0:
                return scope, left
        return None

    def failed(self, client: str, receipt: str) -> list[str]:
        """Count a failed lookup; the scopes whose lockout it starts."""
        now = self.clock()
        began = [
            ("client", self.clients.fail(client, now)),
            ("receipt", self.receipts.fail(receipt, now)),
        ]
        return [scope for scope, started in began if started]


def networks(settings: Settings) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in settings.trusted_proxies)


def client_address(request: aioweb.Request, trusted: tuple[Network, ...], routed: bool) -> str:
    """The peer address; the last X-Forwarded-For entry added before a trusted proxy when the
    peer is one (or when the request was forwarded by another hub worker, ``routed``)."""
    peer = str(cast(aioweb.BaseRequest, request).remote or "")
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    if not routed and not _within(peer, trusted):
        return peer
    for address in reversed([a for a in forwarded if a]):
        if not _within(address, trusted):
            return address
    return peer


def _within(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def routed_signature(key: bytes, address: str, path: str) -> str:
    """What a hub worker puts in ``X-Lienthong-Routed`` when it forwards a request: only a
    worker holding the lookup key can make it, so a client cannot claim to be one."""
    message = ROUTED_LABEL + f"{address}|{path}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def is_routed(key: bytes, request: aioweb.Request, signature: str | None) -> bool:
    if not signature:
        return False
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    expected = routed_signature(key, forwarded, str(request.rel_url))
    return hmac.compare_digest(signature.encode(), expected.encode())
