"""What every page of the hub shares: the ``Site`` (the dossier table, lookups, rendering,
audit, forwarding), the headers of the citizens' answers and the OpenAPI description.

The pages import it and ``hub.web`` wires them; nothing here imports a page's registration,
so the arrows run one way: ``web -> pages.* -> pages.site``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web as aioweb
from faust.web import Request, Response, View
from jinja2 import Environment, PackageLoader, select_autoescape

from lienthong import topics
from lienthong.hub.pages.audit import CITIZEN, dossier_viewed
from lienthong.hub.pages.guard import LookupGuard, client_address, is_routed, networks
from lienthong.hub.pages.receipt import qr_png, receipt_context
from lienthong.hub.pages.routing import ROUTED, Workers
from lienthong.hub.pages.status import dossier_view, find
from lienthong.hub.pages.text import (
    DOSSIER_STATES,
    LABELS,
    PROCEDURES,
    STEP_STATES,
    duplicates_heading,
    duration,
    language,
    pick,
    procedures_url,
    service_name,
    waiting_text,
    when,
)
from lienthong.hub.state import DossierState
from lienthong.hub.steps import dossier_id_of_receipt
from lienthong.lookup import keyring
from lienthong.runtime.deployable import Deployable

Json = dict[str, Any]
Handler = Callable[[aioweb.Request], Awaitable[aioweb.StreamResponse]]
#: The page carries the lookup code in its URL: no caching, no Referer, nothing from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
}
#: What another page adds to a dossier's status page (the satisfaction question).
StatusPart = Callable[[DossierState, str], Json]


class OperatorsApp(Protocol):
    """The operators' listener as the site knows it (``pages.operators`` builds it over the
    site; naming its class here would make the two modules import each other)."""

    app: aioweb.Application


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
        #: Added to the status page by the pages that register themselves (``register_*``).
        self.status_parts: list[StatusPart] = []
        self.operators: OperatorsApp | None = None

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
            procedures_url=procedures_url(state.group, lang),
            waiting=lambda step, awaiting: waiting_text(state.group, step, awaiting, lang),
            **{k: v for part in self.status_parts for k, v in part(state, lang).items()},
            **self.helpers(lang),
        )

    @staticmethod
    def texts(state: DossierState, lang: str) -> dict[str, str]:
        """The page's texts; its heading names the dossier's own procedure group."""
        return {
            **{k: pick(LABELS, k, lang) for k in LABELS},
            "service": service_name(state.group, lang),
        }

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
            "duplicates_of": lambda step: duplicates_heading(step, lang),
        }
