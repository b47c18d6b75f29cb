"""The operators' listener: its own aiohttp server, its own port, sign-in on every request.

    GET /board?lang=  GET /api/board          the board and its JSON
    GET /api/board/local                      this worker's share (asked by the other workers)
    GET /api/deadletters                      the newest dead letters
    GET /api/operator/dossiers/{receipt}      one dossier, with the duplicate it was refused for
    GET /metrics                              Prometheus
    GET /router/                              which worker holds which partitions
    GET /api/openapi.json                     the OpenAPI description of both listeners

Sign-in is HTTP Basic against ``operator_credentials`` (PBKDF2 hashes from a Secret); the name
signed in is what the audit records. It binds to ``operator_host`` (loopback by default).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web as aioweb
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lienthong.hub.pages import board as board_parts
from lienthong.hub.pages.deadletters import READ_SECONDS, DeadLettersUnavailable, read_dead_letters
from lienthong.hub.pages.guard import Tallies, client_address
from lienthong.hub.pages.openapi import openapi_document
from lienthong.hub.pages.routing import operator_url
from lienthong.hub.pages.site import Handler, Site
from lienthong.hub.pages.status import dossier_view
from lienthong.hub.pages.text import BOARD_LABELS, LABELS, SIGN_IN, language, pick
from lienthong.hub.state import stored_json
from lienthong.hub.steps import dossier_id_of_receipt
from lienthong.passwords import Credentials

Json = dict[str, Any]
REALM = 'Basic realm="Lienthong operators", charset="UTF-8"'
#: Failed sign-ins from one client before it is locked out (for the lookup lockout's time).
SIGN_IN_FAILURES = 10
#: The board is recomputed (a scan of the table) at most this often.
BOARD_SECONDS = 5.0
BOARD_REFRESH = 15
DEAD_LETTER_ROWS = 20
#: The name signed in, kept on the request for the handlers and the audit.
OPERATOR = aioweb.RequestKey("operator", str)


class Operators:
    """The operators' web app over a hub ``Site``."""

    def __init__(self, site: Site) -> None:
        self.site = site
        settings = site.settings
        self.credentials = Credentials.parse(
            settings.operator_credentials.get_secret_value()
            if settings.operator_credentials
            else None
        )
        self.failures = Tallies(
            SIGN_IN_FAILURES, settings.lookup_window_seconds, settings.lookup_lockout_seconds
        )
        self._board: tuple[float, Json] | None = None
        self._letters: tuple[float, Json] | None = None
        self.app = aioweb.Application(middlewares=[self.signed_in])
        get = self.app.router.add_get
        get("/board", self.board_page)
        get("/api/board", self.board_api)
        get("/api/board/local", self.board_local)
        get("/api/deadletters", self.dead_letters_api)
        get("/api/operator/dossiers/{receipt}", self.dossier)
        get("/metrics", self.metrics)
        get("/router/", self.router)
        get("/api/openapi.json", self.openapi)

    # -- the board -----------------------------------------------------------------------------
    def local_part(self) -> Json:
        holds = self.site.workers.holding()
        table = self.site.table().items()
        stored = (stored_json(value) for key, value in table if value and holds(key))
        return board_parts.part(stored, self.site.dep.clock.now(), self.site.zone)

    async def board(self, authorization: str) -> Json:
        """The whole board; other workers' parts are asked for with the operator's sign-in."""
        cached = self._board
        if cached is not None and time.monotonic() - cached[0] < BOARD_SECONDS:
            return cached[1]
        parts, missing = [self.local_part()], []
        conf = self.site.settings
        for url in self.site.workers.peers():
            peer = operator_url(url, conf.hub_web_port, conf.hub_operator_port)
            try:
                asked = {"Authorization": authorization}
                parts.append(await self.site.workers.fetch_json(f"{peer}/api/board/local", asked))
            except (aiohttp.ClientError, TimeoutError, ValueError):
                missing.append(url)
        letters = await self.dead_letters()
        now = self.site.dep.clock.now()
        board = board_parts.board_view(
            board_parts.merge(parts),
            letters,
            now,
            partial=missing,
            webhook_steps=self.site.settings.webhook_steps,
        )
        self._board = (time.monotonic(), board)
        return board

    async def dead_letters(self) -> Json:
        cached = self._letters
        if cached is not None and time.monotonic() - cached[0] < BOARD_SECONDS:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            read = loop.run_in_executor(
                None, read_dead_letters, self.site.settings, DEAD_LETTER_ROWS
            )
            items = await asyncio.wait_for(read, READ_SECONDS + 3)
            letters: Json = {"items": items, "error": None}
        except (DeadLettersUnavailable, TimeoutError) as exc:
            letters = {"items": [], "error": str(exc) or "timed out"}
        self._letters = (time.monotonic(), letters)
        return letters

    def board_html(self, board: Json, lang: str, operator: str) -> str:
        other = "en" if lang == "vi" else "vi"
        return self.site.templates.get_template("board.html").render(
            b=board,
            lang=lang,
            operator=operator,
            t={k: pick(BOARD_LABELS, k, lang) for k in BOARD_LABELS},
            service=pick(LABELS, "service", lang),
            other_language_url=f"/board?lang={other}",
            refresh_seconds=BOARD_REFRESH,
            **self.site.helpers(lang),
        )

    def listener(self) -> OperatorListener:
        settings = self.site.settings
        return OperatorListener(self.app, settings.operator_host, settings.operator_port())

    # -- sign-in ----------------------------------------------------------------------------
    def operator(self, request: aioweb.Request) -> str | None:
        """The name signed in with the request's HTTP Basic credentials; None otherwise."""
        header = request.headers.get("Authorization", "")
        try:
            given = aiohttp.BasicAuth.decode(header) if header else None
        except ValueError:
            given = None
        if given is None or not self.credentials.check(given.login, given.password):
            return None
        return str(given.login)

    @aioweb.middleware
    async def signed_in(self, request: aioweb.Request, handler: Handler) -> aioweb.StreamResponse:
        address = client_address(request, self.site.proxies, routed=False)
        now = self.site.guard.clock()
        lang = language(request.query.get("lang"))
        if self.failures.locked_for(address, now) > 0:
            return self.sign_in(lang, "locked", 429)
        name = self.operator(request)
        if name is None:
            if request.headers.get("Authorization"):
                self.failures.fail(address, now)
                self.site.dep.metrics.operator_signin_failed()
            return self.sign_in(lang, "text", 401)
        request[OPERATOR] = name
        return await handler(request)

    def sign_in(self, lang: str, key: str, status: int) -> aioweb.Response:
        t = {k: pick(SIGN_IN, k, lang) for k in SIGN_IN}
        html = self.site.templates.get_template("sign_in.html").render(
            t=t, lang=lang, message=t[key], service=pick(LABELS, "service", lang)
        )
        headers = {"WWW-Authenticate": REALM, "Cache-Control": "no-store"}
        return aioweb.Response(text=html, status=status, content_type="text/html", headers=headers)

    # -- pages ------------------------------------------------------------------------------
    async def board_page(self, request: aioweb.Request) -> aioweb.StreamResponse:
        board = await self.board(request.headers["Authorization"])
        html = self.board_html(board, language(request.query.get("lang")), request[OPERATOR])
        return aioweb.Response(text=html, content_type="text/html", headers=_no_store())

    async def board_api(self, request: aioweb.Request) -> aioweb.StreamResponse:
        board = await self.board(request.headers["Authorization"])
        return aioweb.json_response(board, headers=_no_store())

    async def board_local(self, request: aioweb.Request) -> aioweb.StreamResponse:
        return aioweb.json_response(self.local_part(), headers=_no_store())

    async def dead_letters_api(self, request: aioweb.Request) -> aioweb.StreamResponse:
        return aioweb.json_response(await self.dead_letters(), headers=_no_store())

    async def dossier(self, request: aioweb.Request) -> aioweb.StreamResponse:
        """One dossier for an operator (no lookup code needed), audited under their name."""
        receipt = request.match_info["receipt"]
        site = self.site
        owner = site.workers.owner(dossier_id_of_receipt(receipt))
        if owner is not None:  # held by another worker: ask its operators' listener
            conf = site.settings
            peer = operator_url(owner, conf.hub_web_port, conf.hub_operator_port)
            asked = {"Authorization": request.headers["Authorization"]}
            try:
                body = await site.workers.fetch_json(f"{peer}{request.rel_url}", asked)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                return aioweb.json_response({"error": "unavailable"}, status=503)
            return aioweb.json_response(body, headers=_no_store())
        state = site.state(dossier_id_of_receipt(receipt))
        if state is None or state.receipt_number != receipt:
            return aioweb.json_response({"error": "not_found"}, status=404, headers=_no_store())
        now = site.dep.clock.now()
        address = client_address(request, site.proxies, routed=False)
        viewer = f"operator:{request[OPERATOR]}"
        await site.audit(state, "api", request, viewer, address, now)
        body = dossier_view(state, now)
        body["duplicates"] = {
            name: step.duplicate_of for name, step in state.steps.items() if step.duplicate_of
        }
        return aioweb.json_response(body, headers=_no_store())

    async def metrics(self, request: aioweb.Request) -> aioweb.StreamResponse:
        body = generate_latest(self.site.dep.registry)
        return aioweb.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def router(self, request: aioweb.Request) -> aioweb.StreamResponse:
        return aioweb.json_response(self.site.workers.layout())

    async def openapi(self, request: aioweb.Request) -> aioweb.StreamResponse:
        return aioweb.Response(body=openapi_document(), content_type="application/json")


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class OperatorListener(Service):
    """Runs the operators' aiohttp app on its own port for as long as the Faust app runs."""

    def __init__(self, app: aioweb.Application, host: str, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app, self.host, self.port = app, host, port
        self.runner: aioweb.AppRunner | None = None

    async def on_start(self) -> None:
        #: No access log: URLs are kept out of logs (``pages.logs``).
        self.runner = aioweb.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        await aioweb.TCPSite(self.runner, self.host, self.port).start()
        self.log.info("operators' listener on http://%s:%s", self.host, self.port)

    async def on_stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
