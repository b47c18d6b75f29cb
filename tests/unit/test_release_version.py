"""One version (SemVer) in one place: lienthong.__version__. The wheel's metadata, the container
images of docker-compose.yml and the cluster manifests, the OpenAPI document and the CHANGELOG
follow it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

import lienthong
from lienthong.settings import SOURCE_ROOT

#: SemVer 2.0.0 (its recommended expression, without build metadata).
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
)
IMAGE = "lienthong"


def _version(text: str) -> tuple[int, ...]:
    match = SEMVER.fullmatch(text)
    assert match, f"{text!r} is not a SemVer version"
    return tuple(int(part) for part in match.groups()[:3])


def test_the_version_is_semver_and_the_wheel_takes_it_from_the_package() -> None:
    _version(lienthong.__version__)
    project = tomllib.loads((SOURCE_ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    source = SOURCE_ROOT / project["tool"]["hatch"]["version"]["path"]
    assert source.resolve() == Path(lienthong.__file__).resolve()


def _images(document: object) -> list[str]:
    """Every ``image:`` value anywhere in a YAML document."""
    if isinstance(document, dict):
        found = [v for k, v in document.items() if k == "image" and isinstance(v, str)]
        return found + [i for v in document.values() for i in _images(v)]
    if isinstance(document, list):
        return [i for v in document for i in _images(v)]
    return []


def _our_images(path: Path) -> list[str]:
    images = [i for d in yaml.safe_load_all(path.read_text()) for i in _images(d)]
    return [i for i in images if i.split(":")[0] == IMAGE]


def test_compose_and_the_cluster_manifests_run_the_image_of_this_version() -> None:
    files = [
        SOURCE_ROOT / "docker-compose.yml",
        *sorted((SOURCE_ROOT / "deploy/k8s").glob("*.yaml")),
    ]
    tagged = {path.name: _our_images(path) for path in files}
    assert tagged["docker-compose.yml"] and tagged["deployments.yaml"]
    wrong = {
        n: i
        for n, images in tagged.items()
        for i in images
        if i != f"{IMAGE}:{lienthong.__version__}"
    }
    assert not wrong, f"image tags differ from the package version {lienthong.__version__}: {wrong}"


def test_the_openapi_document_has_the_package_version() -> None:
    document = json.loads((SOURCE_ROOT / "services/lienthong/hub/openapi.json").read_text())
    assert document["info"]["version"] == lienthong.__version__


def test_the_changelog_keeps_a_changelog_up_to_this_version() -> None:
    text = (SOURCE_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert headings[0] == ("Unreleased", ""), "the first section is [Unreleased]"
    released = [_version(name) for name, date in headings[1:]]
    assert all(date for _, date in headings[1:]), "every released section has its date"
    assert released == sorted(released, reverse=True) and len(set(released)) == len(released)
    # The package names the release being prepared (the Unreleased section) or the newest one.
    assert _version(lienthong.__version__) >= released[0]
    kinds = set(re.findall(r"^### (\w+)$", text, re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_command_says_its_version() -> None:
    from typer.testing import CliRunner

    from lienthong.cli import app

    answer = CliRunner().invoke(app, ["--version"])
    assert answer.exit_code == 0 and answer.stdout.strip() == f"lienthong {lienthong.__version__}"
