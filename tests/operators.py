"""Who signs in to the hub's operators' listener in the tests that run the deployables."""

from __future__ import annotations

from lienthong.passwords import hash_password

#: An operator, and the account Prometheus scrapes the hub with (few PBKDF2 iterations: these
#: tests are about who gets in, not about the hash's cost).
OPERATOR = ("ops.test", "an operator's long password")
PROMETHEUS = ("prometheus", "prometheus's long password")
OPERATOR_CREDENTIALS = "\n".join(
    f"{name}:{hash_password(password, iterations=1000)}"
    for name, password in (OPERATOR, PROMETHEUS)
)
