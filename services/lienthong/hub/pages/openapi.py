"""The OpenAPI description of the hub's two listeners, with the groups and steps registered.

The document (``hub/openapi.json``) names no group and no step: where a path takes a group, or
a dossier's step is listed, the served document lists the registered ones, so a group added as
a package is described without an edit here.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from lienthong.groups.registry import GROUPS, all_steps


def described(document: dict[str, Any], groups: list[str], steps: list[str]) -> dict[str, Any]:
    """``document`` with ``groups`` wherever a path takes a group and ``steps`` as the steps."""
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("name") == "group":
                    parameter["schema"]["enum"] = list(groups)
                    parameter["example"] = groups[0]
    schemas = document["components"]["schemas"]
    schemas["Dossier"]["properties"]["group"]["example"] = groups[0]
    schemas["Step"]["properties"]["step"]["enum"] = list(steps)
    return document


@cache
def openapi_document() -> bytes:
    """The document as served (built once per process: the registry does not change)."""
    text = (resources.files("lienthong.hub") / "openapi.json").read_text(encoding="utf-8")
    document = described(json.loads(text), list(GROUPS), list(all_steps()))
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
