"""The project's own errors, in one hierarchy.

    LienthongError
    ├── SettingsError            a setting is missing or contradictory
    │   ├── DeclarationInvalid   a declaration file (deadline cuts) breaks a rule
    │   └── UnsupportedTransport the faust adapter does not run on the chosen transport
    ├── BrokerError              the local Kafka broker cannot be started, stopped or reached
    │   ├── PrerequisiteMissing  Java is not installed
    │   ├── TopicsMissing        a deployable's topics are missing and it may not create them
    │   └── BrokerUnreachable    a starting worker saw no broker within startup_wait_seconds
    ├── ContractError            an event does not match the Avro contract
    │   ├── SchemaError          a schema file is unreadable or invalid
    │   ├── MessageTooLarge      the message is larger than a deployable accepts
    │   ├── NotSingleObjectEncoded   bytes lack the C3 01 marker
    │   ├── UnknownFingerprint   the writer schema is not in the catalogue
    │   ├── CorruptBody          the body is truncated or not valid Avro
    │   ├── RecordMismatch       a record does not fit its schema (names field and rule)
    │   ├── WrongEventType       a valid event on a topic that does not carry that type
    │   └── IncompatibleChange   a schema breaks compatibility within its major version
    ├── ValidationFailed         a dossier breaks business rules (carries one reason per field)
    ├── PublishRefused           the broker refused a message's outputs for good (size, access)
    ├── ClientError              the integrator client could not publish or follow a dossier
    ├── BenchmarkError           a benchmark cannot run as asked or read earlier figures
    └── WebhookError             the webhook bridge could not deliver or take an answer
        ├── DeliveryGaveUp       an endpoint did not accept a handoff within the horizon
        └── CompletionRefused    a completion request is forged, stale, foreign or invalid

Library errors are wrapped (``raise SchemaError(...) from exc``) so callers catch ours only.
"""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.limits import MAX_MESSAGE_BYTES, MAX_REASONS


class LienthongError(Exception):
    """Base of every error Lienthong raises on purpose."""


class SettingsError(LienthongError):
    """A setting is missing or contradictory."""


class UnsupportedTransport(SettingsError):
    """The chosen faust transport is one the faust adapter does not run on (it says why)."""


class DeclarationInvalid(SettingsError):
    """A declaration file (a province's deadline cuts) names a field that breaks a rule."""


class BrokerError(LienthongError):
    """The local Kafka broker cannot be started, stopped or reached."""


class PrerequisiteMissing(BrokerError):
    """A program the broker needs (Java) is not installed."""


class TopicsMissing(BrokerError):
    """Topics a deployable uses are missing and it may not (or must not) create them."""


class BrokerUnreachable(BrokerError):
    """A starting worker reached no broker within its horizon (``startup_wait_seconds``)."""


class ContractError(LienthongError):
    """An event does not match the Avro contract."""


class SchemaError(ContractError):
    """A schema file is unreadable or not a valid Avro schema."""


class MessageTooLarge(ContractError):
    """The message is larger than a deployable accepts (``limits.MAX_MESSAGE_BYTES``)."""

    def __init__(self, size: int, limit: int = MAX_MESSAGE_BYTES) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"the message is {size:,} bytes; at most {limit:,} bytes are accepted")


class NotSingleObjectEncoded(ContractError):
    """The bytes do not start with the single-object marker C3 01."""


class UnknownFingerprint(ContractError):
    """The writer schema's fingerprint is not in the catalogue."""


class CorruptBody(ContractError):
    """The Avro body is truncated or cannot be read with the writer schema."""


class RecordMismatch(ContractError):
    """A record does not fit its schema; the message names the field and the rule."""


class WrongEventType(ContractError):
    """A well-formed event of a type that does not belong on the topic it was read from."""


class PublishRefused(LienthongError):
    """The broker refused, for good, an output of a message (too large, not authorised)."""


class IncompatibleChange(ContractError):
    """A schema change breaks compatibility with its released version."""


@dataclass(frozen=True)
class Reason:
    """One broken rule: which field, which rule (a stable code), and a readable message."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def at_most(reasons: list[Reason], limit: int = MAX_REASONS) -> list[Reason]:
    """The first reasons of a refusal, and how many more there are, in ``limit`` reasons."""
    if len(reasons) <= limit:
        return reasons
    kept = reasons[: limit - 1]
    more = len(reasons) - len(kept)
    message = f"{more:,} more problems are not listed; please correct the ones above first."
    return [*kept, Reason("dossier", "too_many_reasons", message)]


class ValidationFailed(LienthongError):
    """A dossier breaks one or more business rules (at most ``MAX_REASONS`` are listed)."""

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = at_most(reasons)
        super().__init__("; ".join(str(r) for r in self.reasons))


class ClientError(LienthongError):
    """The integrator client could not publish or follow a dossier."""


class BenchmarkError(LienthongError):
    """A benchmark cannot run as asked, or cannot read the figures of an earlier run."""


class WebhookError(LienthongError):
    """The webhook bridge could not deliver a handoff or take an agency's answer."""


class DeliveryGaveUp(WebhookError):
    """An agency's endpoint did not accept a handoff within the give-up horizon."""


class CompletionRefused(WebhookError):
    """A completion request refused: ``status`` is the HTTP answer, the message says why."""

    def __init__(self, status: int, field: str, rule: str) -> None:
        self.status = status
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")
