"""A listening socket of its own for each API worker (`regie serve --workers N`).

With one socket shared by the workers, whichever worker's event loop wakes first accepts a
burst of waiting connections: in the benchmarks 27-32 of 32 keep-alive connections often
landed on one worker, which served them on one core while the other core idled
(bench/README.md). Here each worker binds a socket of its own to the port with SO_REUSEPORT,
and the kernel spreads new connections over the workers' sockets. The supervisor checks at
start that the port is free, as before, and holds it bound without listening: a socket that
does not listen is given no connections, and no server of another user can take the port.
"""

from __future__ import annotations

import socket
from typing import Any


def _bound(host: str, port: int, *, shared: bool) -> socket.socket:
    sock = socket.socket(family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def reserve(host: str, port: int) -> socket.socket:
    """Hold the port for the workers; OSError when anything else has it, a server of this
    user included (a first bind that does not share the port would fail)."""
    _bound(host, port, shared=False).close()
    return _bound(host, port, shared=True)


class OwnSocket:
    """What the supervisor hands each worker it starts: in the worker it becomes a new socket
    bound to the port beside the other workers' (the supervisor's workers are spawned, and
    get it pickled)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return (_worker_socket, (self.host, self.port))


def _worker_socket(host: str, port: int) -> socket.socket:
    sock = _bound(host, port, shared=True)
    sock.set_inheritable(True)
    return sock
