"""Who viewed which dossier: the ``DossierViewed`` audit event of one page view."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from lienthong import topics
from lienthong.contracts import records
from lienthong.contracts.events import Envelope, metadata

#: Who viewed: a citizen (anyone with the lookup code, on the citizens' listener) or
#: ``operator:<name>``, the name signed in on the operators' listener. No request header counts.
CITIZEN = "citizen"
OPERATOR = "operator:"
#: What a view serves, as recorded in the event's ``channel``.
CHANNELS = ("status_page", "api", "receipt_png", "receipt_svg")
USER_AGENT_CHARS = 200
#: Separates this use of the hub's secret from the lookup codes made with the same key.
REMOTE_LABEL = b"audit-remote-address|"


def remote_hash(secret: bytes, address: str) -> str:
    """A keyed hash of the client address: the same address gives the same hash (so repeated
    looks are visible), the address itself cannot be recovered without the key (a plain hash of
    an IPv4 address can be reversed by trying all 2^32)."""
    return hmac.new(secret, REMOTE_LABEL + address.encode(), hashlib.sha256).hexdigest()[:16]


def viewer_of(viewer: str) -> str:
    return viewer if viewer.startswith(OPERATOR) and len(viewer) > len(OPERATOR) else CITIZEN


def dossier_viewed(
    dossier_id: str,
    at: dt.datetime,
    *,
    viewer: str,
    channel: str,
    path: str,
    address: str,
    user_agent: str | None,
    secret: bytes,
) -> Envelope:
    """The audit event of one view; its id derives from what was seen, by whom, and when."""
    hashed = remote_hash(secret, address)
    agent = user_agent[:USER_AGENT_CHARS] if user_agent else None
    meta = metadata(
        "DossierViewed", dossier_id, "hub", at, None, at.isoformat(), channel, path, hashed, agent
    )
    record: records.DossierViewed = {
        "meta": meta,
        "viewer": viewer_of(viewer),
        "channel": channel,
        "path": path,
        "remote_address_hash": hashed,
        "user_agent": agent,
    }
    return Envelope(topics.AUDIT, "DossierViewed", record)
