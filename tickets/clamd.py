"""A client for clamd, the ClamAV daemon, speaking its socket protocol (INSTREAM, PING).

Addresses are `tcp://host:port` or `unix:///path/to/clamd.ctl`. Every failure to get a
verdict raises ScanError (ClamdUnavailable when clamd cannot be reached), so a caller can
never mistake "not scanned" for "clean".
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

# clamd's own default for StreamMaxLength is 25 MB; chunks well below that keep memory flat.
_CHUNK = 64 * 1024
_MAX_REPLY = 4096


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str | None  # the name clamd reports when not clean


class ScanError(Exception):
    """No verdict: clamd refused or failed the scan. The data counts as not scanned."""


class ClamdUnavailable(ScanError):
    """clamd could not be reached, or did not answer in time."""


def scan(data: bytes, *, address: str, timeout: float = 10) -> ScanResult:
    """clamd's verdict on `data`; raises ScanError (or ClamdUnavailable) when there is none."""
    with _connect(address, timeout) as sock:
        try:
            _send_stream(sock, data)
        except OSError as exc:
            # clamd closes the stream early on an error (size limit); its reply tells why.
            reply = _read_reply(sock, address, quiet=True)
            if reply:
                return _verdict(reply)
            raise ClamdUnavailable(f"clamd at {address} broke off the scan: {exc}") from exc
        return _verdict(_read_reply(sock, address))


def ping(*, address: str, timeout: float = 2) -> bool:
    """True when clamd at `address` answers PING with PONG."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zPING\0")
            return _read_reply(sock, address) == "PONG"
    except ScanError:
        return False


def _connect(address: str, timeout: float) -> socket.socket:
    """A connected socket with `timeout` on every operation; ClamdUnavailable otherwise."""
    parts = urlsplit(address)
    try:
        if parts.scheme == "tcp" and parts.hostname and parts.port:
            return socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        if parts.scheme == "unix" and parts.path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(parts.path)
            except OSError:
                sock.close()
                raise
            return sock
    except OSError as exc:
        raise ClamdUnavailable(f"clamd at {address} unreachable: {exc}") from exc
    raise ValueError(f"clamd address must be tcp://host:port or unix:///path, not {address!r}")


def _send_stream(sock: socket.socket, data: bytes) -> None:
    """INSTREAM: chunks each led by a 4-byte big-endian length, then a zero length."""
    sock.sendall(b"zINSTREAM\0")
    view = memoryview(data)
    for offset in range(0, len(view), _CHUNK):
        chunk = view[offset : offset + _CHUNK]
        sock.sendall(struct.pack(">I", len(chunk)))
        sock.sendall(chunk)
    sock.sendall(struct.pack(">I", 0))


def _read_reply(sock: socket.socket, address: str, *, quiet: bool = False) -> str:
    """One NUL-terminated reply (the "z" commands); empty when `quiet` and none came."""
    reply = b""
    try:
        while not reply.endswith(b"\0") and len(reply) < _MAX_REPLY:
            part = sock.recv(_MAX_REPLY)
            if not part:
                break
            reply += part
    except OSError as exc:
        if not quiet:
            raise ClamdUnavailable(f"no answer from clamd at {address}: {exc}") from exc
    if not reply and not quiet:
        raise ClamdUnavailable(f"clamd at {address} closed the connection without answer")
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def _verdict(reply: str) -> ScanResult:
    """`stream: OK` is clean, `stream: <name> FOUND` is not, anything else is an error."""
    if reply == "stream: OK":
        return ScanResult(clean=True, signature=None)
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return ScanResult(clean=False, signature=reply[len("stream: ") : -len(" FOUND")])
    raise ScanError(f"clamd could not scan: {reply}")
