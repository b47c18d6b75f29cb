"""Where Lienthong finds what it ships and keeps what it makes, in a checkout or installed.

From a checkout (``services/lienthong`` beside ``pyproject.toml``) the data folders are the
checkout's ``var/``; from an installed wheel they are the user's state and cache folders (the
platform's, e.g. ``~/.local/state/lienthong`` and ``~/.cache/lienthong`` on Linux). The shipped
files (schemas, the broker's templates, rules, manifests) come from inside the installed
package when it carries them, else from the checkout.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_path, user_state_path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository root when running from a checkout (services/lienthong/ -> root).
SOURCE_ROOT = PACKAGE_DIR.parents[1]
IN_CHECKOUT = (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "services").is_dir()


def shipped(name: str) -> Path:
    """A shipped folder (``schemas``, ``deploy``): the installed package's copy, else the
    checkout's."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else SOURCE_ROOT / name


#: Data the processes write (the broker's logs, faust's state, logs of a local stack).
VAR_DIR = SOURCE_ROOT / "var" if IN_CHECKOUT else user_state_path("lienthong")
#: Downloads kept between runs (the local broker's jars).
CACHE_DIR = user_cache_path("lienthong")
DEPLOY_DIR = shipped("deploy")
