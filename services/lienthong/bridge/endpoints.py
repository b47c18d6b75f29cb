"""Who answers which step through webhooks: the agencies' endpoints and secrets, from settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from lienthong import topics
from lienthong.errors import SettingsError
from lienthong.groups.registry import all_steps
from lienthong.settings import Settings

#: Standard Webhooks secrets: this prefix, then base64 of at least 24 bytes.
SECRET_PREFIX = "whsec_"
#: During a rotation the old and the new secret are both valid; never more.
MAX_SECRETS = 2


@dataclass(frozen=True)
class Endpoint:
    """One agency's webhook endpoint: where handoffs go, the secrets that sign both ways."""

    agency: str
    url: str
    #: Each signs what the bridge sends (one signature per secret) and verifies what the
    #: agency sends: during a rotation the agency may hold either.
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class WebhookPlan:
    """The steps answered through webhooks and each owning agency's endpoint."""

    steps: frozenset[str]
    endpoints: dict[str, Endpoint]

    def endpoint_of(self, step: str) -> Endpoint | None:
        """The endpoint that answers ``step``; None when our processor (or Kafka) does."""
        if step not in self.steps:
            return None
        return self.endpoints[topics.deployable_of(step)]

    @property
    def agencies(self) -> tuple[str, ...]:
        """The agencies with a step sent to webhooks, in declaration order."""
        owners = {topics.deployable_of(step) for step in self.steps}
        return tuple(a for a in topics.AGENCIES if a in owners)


def plan(settings: Settings) -> WebhookPlan:
    """The webhook plan, or a SettingsError naming the setting and the rule it breaks."""
    known = all_steps()
    for step in settings.webhook_steps:
        if step not in known:
            raise SettingsError(
                f"webhook_steps: {step!r} is not a declared step; one of {', '.join(known)}"
            )
    endpoints = _endpoints(settings)
    for step in settings.webhook_steps:
        owner = topics.deployable_of(step)
        if owner not in endpoints:
            raise SettingsError(
                f"webhook_endpoints: step {step!r} goes to webhooks, but its agency {owner!r} "
                "has no endpoint"
            )
    return WebhookPlan(frozenset(settings.webhook_steps), endpoints)


def _endpoints(settings: Settings) -> dict[str, Endpoint]:
    if settings.webhook_endpoints is None:
        return {}
    try:
        raw = json.loads(settings.webhook_endpoints.get_secret_value())
    except json.JSONDecodeError as exc:
        raise SettingsError(f"webhook_endpoints: not JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise SettingsError("webhook_endpoints: must be a JSON object by agency name")
    return {agency: _endpoint(agency, value) for agency, value in raw.items()}


def _endpoint(agency: str, value: object) -> Endpoint:
    where = f"webhook_endpoints.{agency}"
    if agency not in topics.AGENCIES:
        raise SettingsError(f"{where}: not an agency; one of {', '.join(topics.AGENCIES)}")
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: must be an object with url and secrets")
    url = value.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme != "https":
        raise SettingsError(f"{where}.url: must be an https:// URL")
    secrets = value.get("secrets")
    if (
        not isinstance(secrets, list)
        or not 1 <= len(secrets) <= MAX_SECRETS
        or not all(isinstance(s, str) and s.startswith(SECRET_PREFIX) for s in secrets)
    ):
        raise SettingsError(
            f"{where}.secrets: one or two {SECRET_PREFIX}... secrets (two during a rotation)"
        )
    return Endpoint(agency, url, tuple(secrets))
