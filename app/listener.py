"""The HTTP listening socket, bound before anything starts (serve, dev)."""

from __future__ import annotations

import socket


def bind_listener(host: str, port: int) -> socket.socket:
    """Bound first, so a busy port is one clear line, not a half-started stack."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener
