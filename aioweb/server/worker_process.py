"""The worker side of the supervisor: what a worker process knows about itself, and how it
notices that its supervisor is gone.

A worker tells the supervisor it is serving (``notify_ready``) and that its loop still turns
(a heartbeat) through a pipe; another pipe, the lifeline, closes when the supervisor dies, so
orphaned workers stop instead of serving on unsupervised.
"""

from __future__ import annotations

import asyncio
import os
import signal

__all__ = ["WorkerContext", "watch_lifeline"]


class WorkerContext:
    """What a worker process knows about itself; passed to the worker callable."""

    __slots__ = ("_fd", "_interval", "_ready", "generation", "index", "supervisor_pid")

    def __init__(
        self,
        index: int,
        generation: int,
        supervisor_pid: int,
        fd: int,
        heartbeat_interval: float = 1.0,
    ) -> None:
        #: The worker's slot, ``0 .. workers-1``; a restarted worker keeps its slot.
        self.index = index
        #: How many workers this slot had before this one (0 for the first).
        self.generation = generation
        self.supervisor_pid = supervisor_pid
        self._fd = fd
        self._interval = heartbeat_interval
        self._ready = False

    def notify_ready(self) -> None:
        """Tell the supervisor this worker is serving (call once its sockets listen).

        Exiting before this call counts as a boot failure. Called from inside a running event
        loop, it also starts the heartbeat: a callback on that loop that tells the supervisor
        every ``heartbeat_interval`` seconds that the loop is still turning, so a worker whose
        loop is blocked (a CPU-bound handler, a synchronous call that hangs) can be detected.
        """
        if self._ready:
            return
        self._ready = True
        self._send(b"R")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._interval > 0:
            loop.call_later(self._interval, self._beat, loop)

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._send(b"H"):
            loop.call_later(self._interval, self._beat, loop)

    def _send(self, byte: bytes) -> bool:
        try:
            os.write(self._fd, byte)
        except BlockingIOError:  # the supervisor is behind on reading: it knows we are alive
            pass
        except OSError:  # the supervisor is gone (the lifeline stops us) or fd closed
            return False
        return True


def watch_lifeline(fd: int) -> None:  # pragma: no cover - child process
    """Block until the supervisor's end of the pipe closes, then stop this worker gracefully."""
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            return
    os.kill(os.getpid(), signal.SIGTERM)
