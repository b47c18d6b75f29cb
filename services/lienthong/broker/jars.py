"""The local broker's jars: fetched on first use into the user cache, each one refused unless its
SHA-256 is the one pinned in ``kafka-jars.txt`` (a corrupted or altered jar is fetched again)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from lienthong.errors import BrokerError
from lienthong.places import CACHE_DIR
from lienthong.settings import Settings

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.3.1"
MANIFEST = "kafka-jars.txt"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Jar:
    """One pinned jar: its path in a Maven repository, its size and SHA-256."""

    path: str
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def pinned() -> list[Jar]:
    """The broker's classpath as pinned in the package."""
    text = (resources.files("lienthong.broker") / MANIFEST).read_text(encoding="utf-8")
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    return [Jar(path, int(size), sha256) for path, size, sha256 in rows]


def jars_dir(settings: Settings) -> Path:
    """Where the jars live: ``kafka_jars_dir``, else the user cache's ``kafka-<version>``."""
    return settings.kafka_jars_dir or CACHE_DIR / f"kafka-{KAFKA_VERSION}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def wanting(folder: Path, jars: list[Jar]) -> list[Jar]:
    """The jars absent from ``folder`` or not what was pinned (those are deleted)."""
    missing = []
    for jar in jars:
        path = folder / jar.name
        if path.is_file() and sha256_of(path) == jar.sha256:
            continue
        if path.exists():
            log.warning("%s does not have its pinned SHA-256; fetching it again", path)
            path.unlink()
        missing.append(jar)
    return missing


def fetch(settings: Settings, console: Console | None = None) -> int:
    """Fetch every jar the cache lacks (with a progress bar), checking each one's SHA-256;
    returns how many were fetched. A jar that arrives altered is refused with an error."""
    folder = jars_dir(settings)
    missing = wanting(folder, pinned()) if folder.is_dir() else pinned()
    if not missing:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    base = settings.maven_repository.rstrip("/")
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=console or Console(stderr=True)) as bar:
        task = bar.add_task(
            f"Kafka {KAFKA_VERSION} jars into {folder}", total=sum(j.size for j in missing)
        )
        for jar in missing:
            _download(f"{base}/{jar.path}", folder / jar.name, jar, lambda n: bar.advance(task, n))
    return len(missing)


def _download(url: str, target: Path, jar: Jar, advance: Callable[[int], object]) -> None:
    """Download ``url`` beside ``target``, check its SHA-256, then move it into place."""
    part = target.with_name(f"{target.name}.part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as answer, part.open("wb") as out:
            while chunk := answer.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                advance(len(chunk))
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise BrokerError(
            f"could not fetch {jar.name} from {url} ({exc}); check the network or set "
            "LIENTHONG_MAVEN_REPOSITORY to a reachable mirror"
        ) from exc
    if digest.hexdigest() != jar.sha256:
        part.unlink(missing_ok=True)
        raise BrokerError(
            f"refused {jar.name} from {url}: its SHA-256 is {digest.hexdigest()}, the pinned one "
            f"is {jar.sha256} (an altered or truncated download; nothing was kept)"
        )
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    part.replace(target)
