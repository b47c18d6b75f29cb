"""The hub's two web listeners: the citizens' pages (Faust's web server) and the operators'.

Citizens' listener (``hub_web_port``, public), nothing else is served there:
    GET /status/{receipt}?code=&lang=      the citizen's status page (vi by default, en)
    GET /api/dossiers/{receipt}?code=      the JSON behind it
    GET /receipt/{receipt}.svg|.png?code=  the receipt card (SVG) or its QR code (PNG)
    GET /schemas/{fingerprint}             a writer schema by fingerprint (``pages.schemas``)
    GET|POST /complete/{receipt}?code=     the family's part of a facility notice's dossier

Operators' listener (``hub_operator_port``, loopback by default, sign-in required;
``pages.operators``): the board, dead letters, a dossier by receipt, /metrics, /router/ and the
OpenAPI description of both listeners.

A dossier lives in one hub worker's partition of the ``dossiers`` table; with several hub
workers a request that lands on another one is forwarded to the owner (``pages.routing``).
"""

from __future__ import annotations

import weakref
from typing import Any, cast

from aiohttp import web as aioweb
from faust.web import Request, Response, View

from lienthong.hub.desk.feed import DeskFeed
from lienthong.hub.desk.service import DeskMetrics, DeskService
from lienthong.hub.desk.store import DeskStore
from lienthong.hub.pages.completion import register_completion
from lienthong.hub.pages.desk import DeskPages
from lienthong.hub.pages.logs import redact_web_logs
from lienthong.hub.pages.operators import OPERATOR, Operators
from lienthong.hub.pages.procedures import register_procedures
from lienthong.hub.pages.satisfaction import register_satisfaction
from lienthong.hub.pages.schemas import register_schemas
from lienthong.hub.pages.site import HEADERS, Handler, Site
from lienthong.runtime.deployable import Deployable
from lienthong.runtime.readiness import READY_PATH

#: The only paths the citizens' listener answers; anything else (faust's own pages, /metrics)
#: is a 404 there.
CITIZEN_PATHS = (
    "/status/",
    "/api/dossiers/",
    "/receipt/",
    "/satisfaction/",
    "/procedures/",
    "/schemas/",
    "/complete/",
)
#: Exact paths answered there too: the kubelet's readiness probe (it says only "consuming").
PROBE_PATHS = frozenset({READY_PATH})


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


def desk(site: Site, operators: Operators) -> None:
    """The officials' desk: its store, fed while the app runs, its pages and metrics."""
    store = DeskStore(site.settings.desk_db)
    DeskPages(site, store, OPERATOR).register(operators.app)
    site.dep.registry.register(DeskMetrics(store, site.dep.clock, site.dep.calendar))
    site.dep.app.service(cast(Any, DeskService(DeskFeed(site.settings, store))))


def register_views(dep: Deployable) -> Site:
    """Add the citizens' pages to the hub's web server and the operators' listener to its app."""
    redact_web_logs()
    site = Site(dep)
    app = dep.app
    cast(Any, app.web).web_app.middlewares.append(citizens_only)
    register_satisfaction(site, HEADERS)
    register_procedures(site, HEADERS)
    register_schemas(site, HEADERS)
    register_completion(site, HEADERS)

    @app.page("/status/{receipt}")
    async def status_page(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, "status_page")

    @app.page("/api/dossiers/{receipt}")
    async def dossier_api(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, "api")

    @app.page("/receipt/{receipt}.{fmt:png|svg}")
    async def receipt_image(view: View, request: Request, **_: Any) -> Response:
        return await site.dossier(view, request, f"receipt_{request.match_info['fmt']}")

    operators = Operators(site)
    site.operators = operators
    desk(site, operators)
    app.service(cast(Any, operators.listener()))  # an instance is accepted too
    _SITES[app] = site
    return site
