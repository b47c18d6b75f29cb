"""``/ready``: 200 only while the worker consumes (in its group, no rebalance, tables recovered).

Kubernetes sends traffic to a pod and counts a rollout step done only when this answers 200;
``/metrics`` answers as soon as the web server runs, long before the worker has partitions.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

READY_PATH = "/ready"


def consuming(app: faust.App) -> bool:
    """The worker finished a rebalance (it joined its group) and its flow is not suspended
    (faust suspends it while partitions move and tables recover)."""
    return bool(app.rebalancing_count > 0 and not app.rebalancing and app.flow_control.is_active())


def add_readiness(app: faust.App) -> None:
    """Serve ``/ready`` on the app's web server."""

    @app.page(READY_PATH)
    async def ready(view: View, request: Request, **_: Any) -> Response:
        if consuming(app):
            return view.text("consuming\n")
        return view.text("not consuming yet\n", status=503)
