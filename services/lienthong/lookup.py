"""The receipts' lookup codes: a keyring whose newest key signs and whose every key verifies.

A code is one character naming the key (``A``..``Z``, ``2``..``7``) and eight characters of
HMAC-SHA256 over the dossier id. Rotating the secret means adding a key with a new id: receipts
printed under an older key keep working for as long as that key stays on the ring.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from lienthong.errors import SettingsError
from lienthong.settings import Settings

KEY_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: The secret the settings default to: anyone who reads the source has it.
DEVELOPMENT_SECRET = "local-development-only"
#: Codes printed before codes carried a key id have eight characters: they were made by the key
#: that now has this id (the settings' default id), with the same HMAC.
LEGACY_KEY_ID = "A"
MAC_CHARS = 8


def _mac(key: bytes, dossier_id: str) -> str:
    digest = hmac.new(key, dossier_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest)[:MAC_CHARS].decode()


@dataclass(frozen=True)
class Keyring:
    """Lookup keys by id, newest first."""

    keys: tuple[tuple[str, bytes], ...]
    #: Stands in for a key id that is not on the ring, so such a code costs the same work.
    decoy: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise SettingsError("lookup keys: at least one key is needed")
        for key_id, key in self.keys:
            if len(key_id) != 1 or key_id not in KEY_IDS:
                raise SettingsError(f"lookup key id {key_id!r}: must be one character of {KEY_IDS}")
            if not key:
                raise SettingsError(f"lookup key {key_id}: the secret is empty")
        ids = [key_id for key_id, _ in self.keys]
        if len(set(ids)) != len(ids):
            raise SettingsError(f"lookup key ids must differ, got {', '.join(ids)}")

    @classmethod
    def single(cls, secret: bytes, key_id: str = LEGACY_KEY_ID) -> Keyring:
        return cls(((key_id, secret),))

    @property
    def newest(self) -> bytes:
        """The signing key (also keys the audit's address hashes)."""
        return self.keys[0][1]

    def sign(self, dossier_id: str) -> str:
        key_id, key = self.keys[0]
        return key_id + _mac(key, dossier_id)

    def verify(self, dossier_id: str, code: str | None) -> bool:
        """Whether ``code`` was made for ``dossier_id`` by a key on the ring.

        Every input does the same work (one HMAC, one constant-time comparison), whether the
        key id is known or not, so the time taken says nothing about the code or the dossier.
        """
        given = (code or "").strip().upper()
        if len(given) == MAC_CHARS:
            given = LEGACY_KEY_ID + given
        key_id = given[:1]
        known = dict(self.keys)
        expected = key_id + _mac(known.get(key_id, self.decoy), dossier_id)
        same = hmac.compare_digest(given.encode(), expected.encode())
        return same and key_id in known


def parse_retired(text: str) -> tuple[tuple[str, bytes], ...]:
    """``ID=secret,ID=secret`` (commas or new lines) -> ((id, secret), ...)."""
    keys: list[tuple[str, bytes]] = []
    for item in text.replace("\n", ",").split(","):
        if not item.strip():
            continue
        key_id, sep, secret = item.strip().partition("=")
        if not sep:
            raise SettingsError(
                "lookup_retired_secrets: each entry must be ID=secret (e.g. A=old-secret)"
            )
        keys.append((key_id.strip(), secret.encode()))
    return tuple(keys)


def keyring(settings: Settings) -> Keyring:
    """The hub's keyring; refuses the public development secret outside development mode."""
    secret = settings.lookup_secret.get_secret_value()
    if secret == DEVELOPMENT_SECRET and not settings.development:
        raise SettingsError(
            "lookup_secret: LIENTHONG_LOOKUP_SECRET is the public development secret; set a "
            "real secret (e.g. `openssl rand -base64 32`) or LIENTHONG_DEVELOPMENT=true for a "
            "local run"
        )
    retired = settings.lookup_retired_secrets
    older = parse_retired(retired.get_secret_value()) if retired is not None else ()
    return Keyring(((settings.lookup_key_id, secret.encode()), *older))
