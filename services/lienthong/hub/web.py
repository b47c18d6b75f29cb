"""The hub's web pages and JSON API, served by its Faust web server.

    GET /status/{receipt}?code=&lang=      the citizen's status page (vi by default, en)
    GET /api/dossiers/{receipt}?code=      the JSON behind it
    GET /receipt/{receipt}.svg|.png?code=  the receipt card (SVG) or its QR code (PNG)
    GET /board?lang=  GET /api/board       the operator board and its JSON
    GET /api/board/local                   this worker's share of the board (for the others)
    GET /api/openapi.json                  the OpenAPI description of all of the above

A dossier lives in one hub worker's partition of the ``dossiers`` table; with several hub
workers a request that lands on another one is forwarded to the owner (``pages.routing``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import aiohttp
from faust.web import Request, Response, View
from jinja2 import Environment, PackageLoader, select_autoescape

from lienthong import topics
from lienthong.hub.pages import board as board_parts
from lienthong.hub.pages.audit import dossier_viewed
from lienthong.hub.pages.deadletters import READ_SECONDS, DeadLettersUnavailable, read_dead_letters
from lienthong.hub.pages.procedures import register_procedures
from lienthong.hub.pages.receipt import qr_png, receipt_context
from lienthong.hub.pages.routing import ROUTED, VIEWER, Workers, client_address
from lienthong.hub.pages.satisfaction import register_satisfaction, satisfaction_context
from lienthong.hub.pages.status import dossier_view, find
from lienthong.hub.pages.text import (
    BOARD_LABELS,
    DOSSIER_STATES,
    LABELS,
    PROCEDURES,
    STEP_STATES,
    duration,
    language,
    pick,
    when,
)
from lienthong.hub.state import DossierState
from lienthong.hub.steps import dossier_id_of_receipt
from lienthong.runtime.deployable import Deployable

Json = dict[str, Any]
#: The page carries the lookup code in its URL: no caching, no Referer, nothing from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
}
#: The board is recomputed (a scan of the table) at most this often.
BOARD_SECONDS = 5.0
BOARD_REFRESH = 15
DEAD_LETTER_ROWS = 20


class Site:
    """The pages of one hub deployable: lookups, rendering, audit, board, forwarding."""

    def __init__(self, dep: Deployable) -> None:
        self.dep = dep
        self.settings = dep.settings
        self.secret = dep.settings.lookup_secret.get_secret_value().encode()
        self.zone = ZoneInfo(dep.settings.timezone)
        self.templates = Environment(
            loader=PackageLoader("lienthong.hub", "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.workers = Workers(dep.app, "dossiers", dep.settings.partitions)
        self._board: tuple[float, Json] | None = None
        self._letters: tuple[float, Json] | None = None

    # -- the table ------------------------------------------------------------------------------
    def table(self) -> Any:
        return self.dep.tables["dossiers"]

    def state(self, dossier_id: str) -> DossierState | None:
        return DossierState.from_table(self.table().get(dossier_id))

    # -- dossier views ---------------------------------------------------------------------------
    async def dossier(self, view: View, request: Request, channel: str) -> Response:
        receipt = request.match_info["receipt"]
        routed = request.headers.get(ROUTED)
        owner = None if routed else self.workers.owner(dossier_id_of_receipt(receipt))
        if owner is not None:
            return await self.workers.forward(view, request, owner, HEADERS)
        lang = language(request.query.get("lang"))
        stored = self.state(dossier_id_of_receipt(receipt)) if receipt.startswith("TN-") else None
        state = find(stored, receipt, request.query.get("code"), self.secret)
        if state is None:
            return self.not_found(view, channel, lang)
        now = self.dep.clock.now()
        await self.audit(request, state, channel, now)
        if channel == "api":
            return view.json(self.dossier_json(state, now), headers=HEADERS)
        if channel == "receipt_png":
            return view.bytes(
                qr_png(self.status_url(state)), content_type="image/png", headers=HEADERS
            )
        if channel == "receipt_svg":
            context = receipt_context(state, self.status_url(state), lang, self.zone)
            svg = self.templates.get_template("receipt.svg").render(context)
            return view.bytes(svg.encode(), content_type="image/svg+xml", headers=HEADERS)
        return view.html(self.status_html(state, now, lang), headers=HEADERS)

    def not_found(self, view: View, channel: str, lang: str) -> Response:
        """The one answer for an unknown receipt and a wrong code alike."""
        if channel == "api":
            body = {"error": "not_found", "message": pick(LABELS, "not_found", "en")}
            return view.json(body, status=404, headers=HEADERS)
        t = {key: pick(LABELS, key, lang) for key in LABELS}
        html = self.templates.get_template("not_found.html").render(t=t, lang=lang)
        return view.html(html, status=404, headers=HEADERS)

    async def audit(
        self, request: Request, state: DossierState, channel: str, now: dt.datetime
    ) -> None:
        envelope = dossier_viewed(
            state.dossier_id,
            now,
            viewer=request.headers.get(VIEWER, "citizen"),
            channel=channel,
            path=request.rel_url.path,
            address=client_address(request),
            user_agent=request.headers.get("User-Agent"),
            secret=self.secret,
        )
        pipeline = self.dep.pipeline
        data = pipeline.codec.encode(envelope.schema, envelope.record)
        await pipeline.publish(pipeline.topics[topics.AUDIT], envelope.key.encode(), data)

    def status_url(self, state: DossierState) -> str:
        """The link in the QR code: the same as DossierReceived's ``status_url``."""
        base = self.settings.public_base_url
        return f"{base}/status/{state.receipt_number}?code={state.lookup_code}"

    def dossier_json(self, state: DossierState, now: dt.datetime) -> Json:
        base = f"{self.settings.public_base_url}/receipt/{quote(state.receipt_number)}"
        code = urlencode({"code": state.lookup_code})
        return {
            **dossier_view(state, now),
            "links": {
                "status_page": self.status_url(state),
                "receipt_svg": f"{base}.svg?{code}",
                "receipt_png": f"{base}.png?{code}",
            },
        }

    def status_html(self, state: DossierState, now: dt.datetime, lang: str) -> str:
        d = dossier_view(state, now)
        key = "open" if state.phase == "open" else (state.outcome or state.phase)
        other = "en" if lang == "vi" else "vi"
        receipt, code = quote(state.receipt_number), {"code": state.lookup_code}
        return self.templates.get_template("status.html").render(
            d=d,
            lang=lang,
            other_lang=other,
            t={k: pick(LABELS, k, lang) for k in LABELS},
            dossier_state=pick(DOSSIER_STATES, key, lang),
            dossier_state_key=key,
            other_language_url=f"/status/{receipt}?{urlencode({**code, 'lang': other})}",
            receipt_url=f"/receipt/{receipt}.svg?{urlencode({**code, 'lang': lang})}",
            **satisfaction_context(state, lang),
            **self.helpers(lang),
        )

    def helpers(self, lang: str) -> dict[str, Callable[..., str]]:
        def fmt(value: Any) -> str:
            if not value:
                return ""
            at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            return when(at, lang, self.zone)

        return {
            "fmt": fmt,
            "procedure": lambda step: pick(PROCEDURES, step, lang),
            "step_state": lambda phase: pick(STEP_STATES, phase, lang),
            "age": lambda seconds: duration(float(seconds), lang),
        }

    # -- the operator board ------------------------------------------------------------------
    def local_part(self) -> Json:
        holds = self.workers.holding()
        stored = (value for key, value in self.table().items() if value and holds(key))
        return board_parts.part(stored, self.dep.clock.now(), self.zone)

    async def board(self) -> Json:
        cached = self._board
        if cached is not None and time.monotonic() - cached[0] < BOARD_SECONDS:
            return cached[1]
        parts, missing = [self.local_part()], []
        for url in self.workers.peers():
            try:
                parts.append(await self.workers.fetch_json(f"{url}/api/board/local"))
            except (aiohttp.ClientError, TimeoutError, ValueError):
                missing.append(url)
        letters = await self.dead_letters()
        now = self.dep.clock.now()
        board = board_parts.board_view(board_parts.merge(parts), letters, now, partial=missing)
        self._board = (time.monotonic(), board)
        return board

    async def dead_letters(self) -> Json:
        cached = self._letters
        if cached is not None and time.monotonic() - cached[0] < BOARD_SECONDS:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            read = loop.run_in_executor(None, read_dead_letters, self.settings, DEAD_LETTER_ROWS)
            items = await asyncio.wait_for(read, READ_SECONDS + 3)
            letters: Json = {"items": items, "error": None}
        except (DeadLettersUnavailable, TimeoutError) as exc:
            letters = {"items": [], "error": str(exc) or "timed out"}
        self._letters = (time.monotonic(), letters)
        return letters

    def board_html(self, board: Json, lang: str) -> str:
        other = "en" if lang == "vi" else "vi"
        return self.templates.get_template("board.html").render(
            b=board,
            lang=lang,
            t={k: pick(BOARD_LABELS, k, lang) for k in BOARD_LABELS},
            service=pick(LABELS, "service", lang),
            other_language_url=f"/board?lang={other}",
            refresh_seconds=BOARD_REFRESH,
            **self.helpers(lang),
        )


def openapi_document() -> bytes:
    return (resources.files("lienthong.hub") / "openapi.json").read_bytes()


def register_views(dep: Deployable) -> None:
    """Add the citizen and operator pages to the hub's web server."""
    site = Site(dep)
    app = dep.app
    register_satisfaction(site, HEADERS)
    register_procedures(site, HEADERS)

    @app.page("/status/{receipt}")
    async def status_page(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, "status_page")

    @app.page("/api/dossiers/{receipt}")
    async def dossier_api(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, "api")

    @app.page("/receipt/{receipt}.{fmt:png|svg}")
    async def receipt_image(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, f"receipt_{request.match_info['fmt']}")

    @app.page("/board")
    async def board_page(view: View, request: Request, **_: Any) -> Response:
        lang = language(request.query.get("lang"))
        return view.html(site.board_html(await site.board(), lang), headers=HEADERS)

    @app.page("/api/board")
    async def board_api(view: View, request: Request, **_: Any) -> Response:
        return view.json(await site.board(), headers=HEADERS)

    @app.page("/api/board/local")
    async def board_local(view: View, request: Request, **_: Any) -> Response:
        return view.json(site.local_part(), headers=HEADERS)

    @app.page("/api/openapi.json")
    async def openapi(view: View, request: Request, **_: Any) -> Response:
        return view.bytes(openapi_document(), content_type="application/json")
