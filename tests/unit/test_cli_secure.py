"""`lienthong --secure`: the CLI reaches a secured cluster with credentials from the environment."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lienthong import cli
from lienthong.client import deadletters
from lienthong.settings import Settings

CLEAN = {
    "LIENTHONG_SECURITY_PROTOCOL": None,
    "LIENTHONG_SASL_USERNAME": None,
    "LIENTHONG_SASL_PASSWORD": None,
}


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The settings `deadletters list` reads with (nothing is read from a broker)."""
    seen: list[Settings] = []

    def read(settings: Settings) -> list[object]:
        seen.append(settings)
        return []

    monkeypatch.setattr(deadletters, "read_dead_letters", read)
    for name in CLEAN:
        monkeypatch.delenv(name, raising=False)
    return seen


def test_secure_signs_in_as_the_operator_over_tls(asked: list[Settings]) -> None:
    env = {**CLEAN, "LIENTHONG_SASL_PASSWORD": "from-the-environment"}
    result = CliRunner().invoke(cli.app, ["--secure", "deadletters", "list"], env=env)
    assert result.exit_code == 0, result.output
    (settings,) = asked
    options = settings.kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "operator"
    assert options["sasl_plain_password"] == "from-the-environment"
    assert "from-the-environment" not in result.output


def test_secure_keeps_an_explicit_protocol_and_user(asked: list[Settings]) -> None:
    env = {
        "LIENTHONG_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "LIENTHONG_SASL_USERNAME": "ops-lan",
        "LIENTHONG_SASL_PASSWORD": "x" * 20,
    }
    result = CliRunner().invoke(cli.app, ["--secure", "deadletters", "list"], env=env)
    assert result.exit_code == 0, result.output
    (settings,) = asked
    assert (settings.security_protocol, settings.sasl_username) == ("SASL_PLAINTEXT", "ops-lan")


def test_secure_without_a_password_says_which_variable_is_missing(asked: list[Settings]) -> None:
    result = CliRunner().invoke(cli.app, ["--secure", "deadletters", "list"], env=CLEAN)
    assert result.exit_code != 0 and asked == []
    assert "LIENTHONG_SASL_PASSWORD" in str(result.exception)
