"""Free loopback ports for the processes a test starts, and settings for a stack of its own."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

from lienthong.settings import Settings


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def fresh_settings(base: Settings, state_dir: Path, prefix: str = "t", **update: Any) -> Settings:
    """``base`` settings with a fresh topic prefix (and so consumer groups), its own state
    directory and free web ports: a stack of its own on the shared broker."""
    ports = free_ports(5)
    return base.model_copy(
        update={
            "topic_prefix": f"{prefix}{uuid.uuid4().hex[:10]}",
            "state_dir": state_dir,
            "hub_web_port": ports[0],
            "civil_registry_web_port": ports[1],
            "residence_web_port": ports[2],
            "health_insurance_web_port": ports[3],
            "hub_operator_port": ports[4],
            "public_base_url": f"http://127.0.0.1:{ports[0]}",
            **update,
        }
    )
