"""Fetch a dossier's receipt image from the hub, for a portal to show or print."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Literal
from urllib.parse import quote, urlencode

from lienthong.errors import ClientError
from lienthong.settings import Settings

Format = Literal["png", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
TIMEOUT_SECONDS = 10.0


def receipt_url(settings: Settings, receipt: str, code: str, fmt: Format, lang: str = "vi") -> str:
    """Where the hub serves the receipt: ``{public_base_url}/receipt/{receipt}.{fmt}?code=...``."""
    query = urlencode({"code": code, "lang": lang})
    return f"{settings.public_base_url.rstrip('/')}/receipt/{quote(receipt)}.{fmt}?{query}"


def fetch_receipt(
    settings: Settings, receipt: str, code: str, fmt: Format = "svg", lang: str = "vi"
) -> bytes:
    """The receipt as SVG (the whole card) or PNG (its QR code), from the hub over HTTP.

    The receipt number and lookup code come from the DossierReceived status event. The hub
    records the fetch as a view by an integrator. ClientError when the hub does not know the
    receipt with this code (it does not say which of the two is wrong) or cannot be reached.
    """
    if fmt not in CONTENT_TYPES:
        raise ClientError(f"a receipt is png or svg, not {fmt!r}")
    request = urllib.request.Request(
        receipt_url(settings, receipt, code, fmt, lang),
        headers={"X-Lienthong-Viewer": "integrator", "User-Agent": "lienthong-client"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            kind = answer.headers.get("Content-Type", "")
            body: bytes = answer.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ClientError(f"no receipt {receipt} with this lookup code") from exc
        raise ClientError(f"the hub answered {exc.code} for receipt {receipt}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ClientError(f"cannot reach the hub at {settings.public_base_url}: {exc}") from exc
    if not kind.startswith(CONTENT_TYPES[fmt]):
        raise ClientError(f"the hub sent {kind!r}, not a {fmt} receipt")
    return body
