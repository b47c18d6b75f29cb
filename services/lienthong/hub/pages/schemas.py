"""The writer schemas by fingerprint, for subscribers that meet one they do not know.

    GET /schemas/{fingerprint}     the schema (JSON) whose CRC-64-AVRO fingerprint is given

Every released and current schema is served; nothing about dossiers is. A fingerprint names
one schema forever, so the answer may be cached for good.
"""

from __future__ import annotations

import json
from typing import Any

from faust.web import Request, Response, View

from lienthong.contracts.catalogue import default_catalogue
from lienthong.contracts.published import writer_schema
from lienthong.errors import SchemaError
from lienthong.hub.pages.site import Site

#: A fingerprint's schema never changes: it may be cached as long as a client likes.
CACHE = "public, max-age=31536000, immutable"


def _answer(view: View, status: int, body: object, headers: dict[str, str]) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return view.bytes(
        text.encode(), content_type="application/json", status=status, headers=headers
    )


def register_schemas(site: Site, headers: dict[str, str]) -> None:
    """Add the read-only schema lookup to the hub's public web server."""
    found = {**headers, "Cache-Control": CACHE}

    @site.dep.app.page("/schemas/{fingerprint}")
    async def schema_by_fingerprint(view: View, request: Request, **_: Any) -> Response:
        text = request.match_info["fingerprint"]
        try:
            schema = writer_schema(default_catalogue(), text)
        except SchemaError as exc:
            return _answer(view, 400, {"error": str(exc)}, headers)
        if schema is None:
            error = f"fingerprint: no released or current schema has fingerprint {text}"
            return _answer(view, 404, {"error": error}, headers)
        return _answer(view, 200, schema, found)
