"""The local broker's jars: fetched into a cache on first use, each refused unless its SHA-256 is
the pinned one (a corrupted jar in the cache is fetched again), from a file:// repository."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from lienthong.broker import jars
from lienthong.broker.jars import KAFKA_VERSION, Jar, fetch, jars_dir, pinned
from lienthong.broker.local import LocalBroker
from lienthong.errors import BrokerError
from lienthong.places import CACHE_DIR
from lienthong.settings import Settings

CONTENT = {"org/example/a/1.0/a-1.0.jar": b"first jar " * 500, "org/example/b/2/b-2.jar": b"b" * 7}


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Maven-like repository on disk holding two jars, pinned as the broker's classpath."""
    root = tmp_path / "repository"
    for path, body in CONTENT.items():
        (root / path).parent.mkdir(parents=True)
        (root / path).write_bytes(body)
    table = [Jar(p, len(b), hashlib.sha256(b).hexdigest()) for p, b in CONTENT.items()]
    monkeypatch.setattr(jars, "pinned", lambda: table)
    return root


def _settings(tmp_path: Path, repository: Path | str) -> Settings:
    url = repository.as_uri() if isinstance(repository, Path) else repository
    return Settings(kafka_jars_dir=tmp_path / "cache", maven_repository=url)


def _cached(tmp_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (tmp_path / "cache").iterdir()}


def test_the_jars_are_fetched_once_into_the_cache(tmp_path: Path, repository: Path) -> None:
    settings = _settings(tmp_path, repository)
    assert LocalBroker(settings).lib_dir == tmp_path / "cache"
    assert fetch(settings) == 2
    assert _cached(tmp_path) == {p.rsplit("/", 1)[1]: b for p, b in CONTENT.items()}
    assert fetch(settings) == 0  # already there, checksums checked


def test_a_corrupted_jar_in_the_cache_is_refused_and_fetched_again(
    tmp_path: Path, repository: Path
) -> None:
    settings = _settings(tmp_path, repository)
    fetch(settings)
    (tmp_path / "cache" / "a-1.0.jar").write_bytes(b"first jar " * 499 + b"first jaR ")
    assert fetch(settings) == 1
    assert _cached(tmp_path)["a-1.0.jar"] == CONTENT["org/example/a/1.0/a-1.0.jar"]


def test_an_altered_download_is_refused_and_nothing_is_kept(
    tmp_path: Path, repository: Path
) -> None:
    (repository / "org/example/b/2/b-2.jar").write_bytes(b"B" * 7)
    with pytest.raises(BrokerError, match=r"refused b-2\.jar from file://.*its SHA-256 is"):
        fetch(_settings(tmp_path, repository))
    assert sorted(_cached(tmp_path)) == ["a-1.0.jar"]  # no b-2.jar, no partial download


def test_an_unreachable_repository_names_the_setting(tmp_path: Path, repository: Path) -> None:
    unreachable = r"could not fetch a-1\.0\.jar .*LIENTHONG_MAVEN_REPOSITORY"
    with pytest.raises(BrokerError, match=unreachable):
        fetch(_settings(tmp_path, tmp_path / "nowhere"))
    assert _cached(tmp_path) == {}


def test_the_cache_is_the_users_and_named_by_the_kafka_version() -> None:
    assert jars_dir(Settings()) == CACHE_DIR / f"kafka-{KAFKA_VERSION}"


def test_the_pinned_classpath_is_kafka_and_a_logging_binding() -> None:
    table = pinned()
    names = {jar.name for jar in table}
    assert {f"kafka_2.13-{KAFKA_VERSION}.jar", f"kafka-clients-{KAFKA_VERSION}.jar"} <= names
    assert any(name.startswith("log4j-slf4j-impl-") for name in names)
    assert len(names) == len(table)  # one file name a jar: they share one folder
    for jar in table:
        assert re.fullmatch(r"[0-9a-f]{64}", jar.sha256) and jar.size > 0, jar.path
        assert jar.path.endswith(f"/{jar.name}") and jar.path.count("/") >= 3, jar.path
