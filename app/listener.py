"""The HTTP listening socket, bound before anything starts (serve, dev)."""

from __future__ import annotations

import socket
import sys


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


def bind_or_explain(command: str, host: str, port: int) -> socket.socket | None:
    """The bound listener, or None after one line on stderr saying why (the caller exits 2)."""
    try:
        return bind_listener(host, port)
    except OSError as exc:
        print(
            f"inventory {command}: cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another --port",
            file=sys.stderr,
        )
        return None
