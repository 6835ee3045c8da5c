"""Listening sockets for worker processes: several processes serving one address.

TCP addresses are served with ``SO_REUSEPORT`` (one socket per worker, the kernel balances
connections between them) on a port the supervisor reserves first; Unix socket paths are bound
once by the supervisor and inherited by every worker.
"""

from __future__ import annotations

import errno
import os
import socket
import stat

__all__ = ["bind_reuseport", "bind_unix", "reserve_port", "sock_name"]


def _family_of(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind (without listening) a ``SO_REUSEPORT`` socket to fix the port number.

    With ``port=0`` each worker would otherwise get a different port. The supervisor binds one
    socket first, reads the port the kernel chose, and keeps the socket open for its lifetime:
    workers bind the same number with ``SO_REUSEPORT``, and the port cannot be taken by another
    program while a worker is being restarted. A socket that never listens receives no
    connections, so it does not take part in the kernel's load balancing.
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        raise RuntimeError("several workers on one port need SO_REUSEPORT")
    sock = socket.socket(_family_of(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def bind_reuseport(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening, non-blocking ``SO_REUSEPORT`` socket for one worker."""
    sock = socket.socket(_family_of(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(exc.errno, f"address {host}:{port} is in use: {exc.strerror}") from None
        raise
    return sock


def sock_name(sock: socket.socket) -> str:
    """A listening socket's address as a URL authority (``host:port`` or ``unix:path:``)."""
    name = sock.getsockname()
    if isinstance(name, tuple):
        return f"{name[0]}:{name[1]}"
    return f"unix:{name}:"


def bind_unix(path: str, backlog: int) -> socket.socket:
    """A listening Unix socket at ``path``, replacing a stale socket file (not other files)."""
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
