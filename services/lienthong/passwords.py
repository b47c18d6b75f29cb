"""Operators' credentials: PBKDF2-SHA256 hashes in a setting, checked in constant time.

Make a line for ``LIENTHONG_OPERATOR_CREDENTIALS`` with ``python -m lienthong.passwords NAME``
(the password is read from standard input, never from the command line).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from dataclasses import dataclass, field

from lienthong.errors import SettingsError

SCHEME = "pbkdf2_sha256"
#: OWASP's 2023 advice for PBKDF2-HMAC-SHA256; a check costs tens of milliseconds, which is
#: why a successful one is remembered for a while (``Credentials.REMEMBER_SECONDS``).
ITERATIONS = 600_000
#: A name: letters, digits, dot, dash, underscore (it is recorded in the audit).
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>`` (salt and hash in base64)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


@dataclass(frozen=True)
class Hashed:
    iterations: int
    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, name: str, text: str) -> Hashed:
        parts = text.split("$")
        if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
            raise SettingsError(
                f"operator_credentials: the entry of {name!r} must be "
                f"NAME:{SCHEME}$ITERATIONS$SALT$HASH (from `python -m lienthong.passwords`)"
            )
        return cls(int(parts[1]), base64.b64decode(parts[2]), base64.b64decode(parts[3]))

    def matches(self, password: str) -> bool:
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), self.salt, self.iterations)
        return hmac.compare_digest(digest, self.digest)


@dataclass
class Credentials:
    """The operators who may sign in, by name."""

    REMEMBER_SECONDS = 300.0

    hashed: dict[str, Hashed]
    _remembered: dict[bytes, tuple[str, float]] = field(default_factory=dict, repr=False)
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @classmethod
    def parse(cls, text: str | None) -> Credentials:
        """``name:hash`` entries separated by commas or new lines; none: nobody signs in."""
        hashed: dict[str, Hashed] = {}
        for entry in (text or "").replace("\n", ",").split(","):
            if not entry.strip():
                continue
            name, sep, rest = entry.strip().partition(":")
            if not sep or not name or not set(name) <= NAME_CHARS:
                raise SettingsError(
                    "operator_credentials: each entry must be NAME:HASH, the name made of "
                    "letters, digits, '.', '-' or '_'"
                )
            hashed[name] = Hashed.parse(name, rest)
        return cls(hashed)

    def check(self, name: str, password: str, now: float | None = None) -> bool:
        """Whether ``password`` is ``name``'s; an unknown name costs the same work."""
        now = time.monotonic() if now is None else now
        token = hmac.new(self._key, f"{name}\0{password}".encode(), hashlib.sha256).digest()
        remembered = self._remembered.get(token)
        if remembered is not None and remembered[1] > now:
            return True
        entry = self.hashed.get(name) or Hashed(ITERATIONS, b"\0" * 16, b"")
        if not entry.matches(password) or name not in self.hashed:
            return False
        if len(self._remembered) > 1000:
            self._remembered.clear()
        self._remembered[token] = (name, now + self.REMEMBER_SECONDS)
        return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not set(args[0]) <= NAME_CHARS:
        print("usage: python -m lienthong.passwords NAME  (the password is read from stdin)")
        return 2
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if len(password) < 12:
        print("error: password: use at least 12 characters", file=sys.stderr)
        return 2
    print(f"{args[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
