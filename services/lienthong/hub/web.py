"""The hub's two web listeners: the citizens' pages (Faust's web server) and the operators'.

Citizens' listener (``hub_web_port``, public), nothing else is served there:
    GET /status/{receipt}?code=&lang=      the citizen's status page (vi by default, en)
    GET /api/dossiers/{receipt}?code=      the JSON behind it
    GET /receipt/{receipt}.svg|.png?code=  the receipt card (SVG) or its QR code (PNG)

Operators' listener (``hub_operator_port``, loopback by default, sign-in required;
``pages.operators``): the board, dead letters, a dossier by receipt, /metrics, /router/ and the
OpenAPI description of both listeners.

A dossier lives in one hub worker's partition of the ``dossiers`` table; with several hub
workers a request that lands on another one is forwarded to the owner (``pages.routing``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, cast
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web as aioweb
from faust.web import Request, Response, View
from jinja2 import Environment, PackageLoader, select_autoescape

from lienthong import topics
from lienthong.groups.registry import GROUPS
from lienthong.hub.pages.audit import CITIZEN, dossier_viewed
from lienthong.hub.pages.guard import LookupGuard, client_address, is_routed, networks
from lienthong.hub.pages.logs import redact_web_logs
from lienthong.hub.pages.operators import Operators
from lienthong.hub.pages.procedures import register_procedures
from lienthong.hub.pages.receipt import qr_png, receipt_context
from lienthong.hub.pages.routing import ROUTED, Workers
from lienthong.hub.pages.satisfaction import register_satisfaction, satisfaction_context
from lienthong.hub.pages.status import dossier_view, find
from lienthong.hub.pages.text import (
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
from lienthong.lookup import keyring
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.readiness import READY_PATH

Json = dict[str, Any]
Handler = Callable[[aioweb.Request], Awaitable[aioweb.StreamResponse]]
#: The page carries the lookup code in its URL: no caching, no Referer, nothing from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
}
#: The only paths the citizens' listener answers; anything else (faust's own pages, /metrics)
#: is a 404 there.
CITIZEN_PATHS = ("/status/", "/api/dossiers/", "/receipt/", "/satisfaction/", "/procedures/")
#: Exact paths answered there too: the kubelet's readiness probe (it says only "consuming").
PROBE_PATHS = frozenset({READY_PATH})


class Site:
    """The citizens' pages of one hub deployable (lookups, lockouts, rendering, audit,
    forwarding); the operators' listener (``pages.operators``) works over it."""

    def __init__(self, dep: Deployable) -> None:
        self.dep = dep
        self.settings = dep.settings
        self.keys = keyring(dep.settings)
        self.guard = LookupGuard(dep.settings)
        self.proxies = networks(dep.settings)
        self.zone = ZoneInfo(dep.settings.timezone)
        self.templates = Environment(
            loader=PackageLoader("lienthong.hub", "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.workers = Workers(dep.app, "dossiers", dep.settings.partitions)
        self.operators: Operators | None = None

    # -- the table ------------------------------------------------------------------------------
    def table(self) -> Any:
        return self.dep.tables["dossiers"]

    def state(self, dossier_id: str) -> DossierState | None:
        """The dossier from the working table, or from the archive once finished long ago."""
        found = self.table().get(dossier_id) or self.dep.tables["archive"].get(dossier_id)
        return DossierState.from_table(found)

    # -- dossier views ---------------------------------------------------------------------------
    async def dossier(self, view: View, request: Request, channel: str) -> Response:
        raw = cast(aioweb.Request, request)  # faust's aiohttp driver hands aiohttp's request
        receipt = request.match_info["receipt"]
        routed = is_routed(self.keys.newest, raw, request.headers.get(ROUTED))
        address = client_address(raw, self.proxies, routed)
        lang = language(request.query.get("lang"))
        refusal = self.guard.refusal(address, receipt)
        if refusal is not None:
            self.dep.metrics.lookup_refused(refusal[0])
            return self.locked_out(view, channel, lang, refusal[1])
        owner = None if routed else self.workers.owner(dossier_id_of_receipt(receipt))
        if owner is not None:
            return await self.workers.forward(
                view, request, owner, HEADERS, address, self.keys.newest
            )
        state = find(self.state, receipt, request.query.get("code"), self.keys)
        if state is None:
            self.dep.metrics.lookup_failed(self.guard.failed(address, receipt))
            return self.not_found(view, channel, lang)
        now = self.dep.clock.now()
        await self.audit(state, channel, raw, CITIZEN, address, now)
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

    def locked_out(self, view: View, channel: str, lang: str, seconds: float) -> Response:
        """429 for a client or receipt locked out after too many failed lookups."""
        headers = {**HEADERS, "Retry-After": str(max(1, round(seconds)))}
        message = pick(LABELS, "locked_out", lang if channel != "api" else "en")
        if channel == "api":
            return view.json(
                {"error": "locked_out", "message": message}, status=429, headers=headers
            )
        return view.text(message, status=429, headers=headers)

    def not_found(self, view: View, channel: str, lang: str) -> Response:
        """The one answer for an unknown receipt and a wrong code alike."""
        if channel == "api":
            body = {"error": "not_found", "message": pick(LABELS, "not_found", "en")}
            return view.json(body, status=404, headers=HEADERS)
        t = {key: pick(LABELS, key, lang) for key in LABELS}
        html = self.templates.get_template("not_found.html").render(t=t, lang=lang)
        return view.html(html, status=404, headers=HEADERS)

    async def audit(
        self,
        state: DossierState,
        channel: str,
        request: aioweb.Request,
        viewer: str,
        address: str,
        now: dt.datetime,
    ) -> None:
        """Publish who viewed the dossier: ``citizen`` on the citizens' listener, the signed-in
        ``operator:<name>`` on the operators'; never anything the request declares itself."""
        envelope = dossier_viewed(
            state.dossier_id,
            now,
            viewer=viewer,
            channel=channel,
            path=request.rel_url.path,
            address=address,
            user_agent=request.headers.get("User-Agent"),
            secret=self.keys.newest,
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
            t=self.texts(state, lang),
            dossier_state=pick(DOSSIER_STATES, key, lang),
            dossier_state_key=key,
            other_language_url=f"/status/{receipt}?{urlencode({**code, 'lang': other})}",
            receipt_url=f"/receipt/{receipt}.svg?{urlencode({**code, 'lang': lang})}",
            **satisfaction_context(state, lang),
            **self.helpers(lang),
        )

    @staticmethod
    def texts(state: DossierState, lang: str) -> dict[str, str]:
        """The page's texts; its heading names the dossier's own procedure group."""
        texts = {k: pick(LABELS, k, lang) for k in LABELS}
        group = GROUPS.get(state.group)
        if group is not None and group.label_en:
            texts["service"] = group.label_vi if lang == "vi" else group.label_en
        return texts

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


def openapi_document() -> bytes:
    return (resources.files("lienthong.hub") / "openapi.json").read_bytes()


@aioweb.middleware
async def citizens_only(request: aioweb.Request, handler: Handler) -> aioweb.StreamResponse:
    """The citizens' listener answers its own pages and nothing else (not faust's)."""
    if not request.path.startswith(CITIZEN_PATHS) and request.path not in PROBE_PATHS:
        return aioweb.Response(status=404, text="not found", headers=HEADERS)
    return await handler(request)


#: The site of each hub app (tests reach the operators' app through ``site_of``).
_SITES: weakref.WeakKeyDictionary[Any, Site] = weakref.WeakKeyDictionary()


def site_of(dep: Deployable) -> Site:
    return _SITES[dep.app]


def register_views(dep: Deployable) -> Site:
    """Add the citizens' pages to the hub's web server and the operators' listener to its app."""
    redact_web_logs()
    site = Site(dep)
    app = dep.app
    cast(Any, app.web).web_app.middlewares.append(citizens_only)
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

    site.operators = Operators(site)
    app.service(cast(Any, site.operators.listener()))  # an instance is accepted too
    _SITES[app] = site
    return site
