"""Several worker processes on one port, kept alive by a small supervisor.

One Python process runs one event loop on one core. To use every core, ``run_app(app,
workers=N)`` and ``python -m aioweb --workers N`` fork N workers that each open their own
listening socket on the same address with ``SO_REUSEPORT``: the kernel spreads new connections
over the workers' sockets, and there is no shared accept queue to fight over (no thundering
herd). The parent stays out of the request path; it only supervises:

* **Restart.** A worker that dies is started again. A worker that crashes soon after its start
  is restarted after a delay that doubles on each such crash (``backoff_initial`` up to
  ``backoff_max``), so a worker that dies on every request does not turn into a fork loop. A
  worker that had been up for ``stable_after`` seconds is restarted at once and its back-off
  resets.
* **Boot failures stop everything.** If a worker exits before it reported ready and no worker has
  ever been ready (a wrong port, an import error, a failing ``on_startup``), restarting cannot
  help: the supervisor stops the others and exits with status 3, as gunicorn does. Once the
  service has been up, later boot failures are retried with back-off instead (a database that is
  briefly down should not end the service).
* **Graceful stop.** ``SIGTERM``, ``SIGINT`` (Ctrl-C) and ``SIGQUIT`` are forwarded to every
  worker as ``SIGTERM``, which makes a worker stop accepting, finish in-flight requests and run
  its cleanup. Workers still alive after ``graceful_timeout`` seconds are killed; a second
  ``SIGINT`` kills them at once. The supervisor exits when every worker is gone.
* **Hung workers.** With ``timeout`` set, each worker's event loop sends a heartbeat every
  second (or ``timeout / 4``); a ready worker silent for ``timeout`` seconds has a blocked loop
  (a CPU-bound handler, a synchronous call that hangs) and is killed with ``SIGKILL``, then
  restarted, like gunicorn's worker timeout.
* **Rolling replacement.** ``SIGHUP`` replaces the workers one slot at a time: the old worker
  is asked to stop gracefully (it finishes its in-flight requests) while a fresh one is forked in
  its slot, and the next slot is replaced once the fresh worker reports ready, so the other
  workers keep serving throughout. (The code is the parent's: use ``--reload`` in development
  to pick up edited code.)

Workers run in their own process group, so the terminal's Ctrl-C reaches only the supervisor
(which then stops the workers exactly once), and each worker watches a pipe from the supervisor:
if the supervisor is killed outright, the pipe closes and the worker stops itself instead of
lingering as an orphan holding the port.

This module knows nothing of applications: a worker is any callable taking a
:class:`WorkerContext`, which serves until ``SIGTERM`` and then returns. Unix only (it forks).
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .listen import bind_reuseport, bind_unix, reserve_port, sock_name
from .log import supervisor_logger
from .settings import DEFAULT_BACKLOG, DEFAULT_PORT, DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_TLS_PORT
from .worker_process import WorkerContext, watch_lifeline

__all__ = (
    "BOOT_FAILURE_EXIT",
    "Supervisor",
    "WorkerContext",
    "bind_reuseport",
    "reserve_port",
    "run_workers",
)

log = supervisor_logger

#: Exit status of the supervisor when workers cannot start (gunicorn uses the same number).
BOOT_FAILURE_EXIT = 3

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
_HANDLED_SIGNALS = (*_STOP_SIGNALS, signal.SIGHUP, signal.SIGCHLD)


@dataclass(slots=True)
class _Slot:
    index: int
    pid: int = 0
    generation: int = 0
    started: float = 0.0
    ready: bool = False
    ready_fd: int = -1  # the worker's ready/heartbeat pipe, read end
    last_beat: float = 0.0
    fast_crashes: int = 0
    restart_at: float | None = None
    stopping: bool = False  # asked to stop by us (shutdown)


class Supervisor:
    """Fork ``workers`` processes running ``target`` and keep them running until told to stop.

    Call :meth:`run` in the main thread of a process that has no event loop running; it returns
    the exit status (0 after a requested stop, :data:`BOOT_FAILURE_EXIT` when workers cannot
    start).
    """

    def __init__(
        self,
        target: Callable[[WorkerContext], object],
        workers: int,
        *,
        graceful_timeout: float = 30.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        stable_after: float = 10.0,
        timeout: float = 0.0,
        logger: logging.Logger | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not hasattr(os, "fork"):
            raise RuntimeError("several worker processes need os.fork (Unix)")
        self.target = target
        self.workers = workers
        self.graceful_timeout = graceful_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        #: Kill a ready worker whose event loop has not ticked for this long (0: never).
        self.timeout = timeout
        self.log = logger or log
        self._slots = [_Slot(i) for i in range(workers)]
        self._by_pid: dict[int, _Slot] = {}
        self._retiring: set[int] = set()  # replaced by SIGHUP, finishing their requests
        self._rolling: list[_Slot] = []  # slots still to replace
        self._rolling_slot: _Slot | None = None  # slot whose fresh worker we wait for
        self._pending_signals: list[int] = []
        self._stopping = False
        self._stop_deadline = 0.0
        self._killed = False
        self._exit_status = 0
        self._ever_ready = False
        self._selector: selectors.BaseSelector | None = None
        self._wakeup_r = self._wakeup_w = -1
        self._lifeline_r = self._lifeline_w = -1

    # --- public -----------------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """The pids of the live workers, by slot."""
        return [slot.pid for slot in self._slots if slot.pid]

    def run(self) -> int:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("Supervisor.run() must be called from the main thread")
        self._wakeup_r, self._wakeup_w = os.pipe()
        os.set_blocking(self._wakeup_r, False)
        os.set_blocking(self._wakeup_w, False)
        # The workers hold the read end; the supervisor never writes. When the supervisor dies
        # the write end closes and every worker sees end-of-file.
        self._lifeline_r, self._lifeline_w = os.pipe()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wakeup_r, selectors.EVENT_READ, None)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _HANDLED_SIGNALS}
        previous_wakeup = signal.set_wakeup_fd(self._wakeup_w, warn_on_full_buffer=False)
        try:
            self.log.info("supervisor %d starting %d workers", os.getpid(), self.workers)
            for slot in self._slots:
                self._spawn(slot)
            self._loop()
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._kill_all(signal.SIGKILL)  # no-op after a clean stop; else no orphans
            self._reap(block=True)
            self._selector.close()
            for fd in (self._wakeup_r, self._wakeup_w, self._lifeline_r, self._lifeline_w):
                os.close(fd)
            for slot in self._slots:
                self._close_ready_fd(slot)
        self.log.info("supervisor %d exiting with status %d", os.getpid(), self._exit_status)
        return self._exit_status

    # --- the loop ---------------------------------------------------------------------------

    def _loop(self) -> None:
        assert self._selector is not None
        while True:
            self._handle_signals()
            self._reap(block=False)
            if self._stopping and not self._by_pid and not self._retiring:
                return
            now = time.monotonic()
            if self._stopping and not self._killed and now >= self._stop_deadline:
                self.log.warning(
                    "workers %s still running after %.1fs: killing",
                    [*self._by_pid, *self._retiring],
                    self.graceful_timeout,
                )
                self._kill_all(signal.SIGKILL)
            if not self._stopping:
                self._start_due(now)
                if self.timeout > 0:
                    self._kill_hung(now)
            timeout = self._next_timeout(now)
            for key, _ in self._selector.select(timeout):
                if key.fd == self._wakeup_r:
                    self._drain_wakeup()
                else:
                    self._on_ready_fd(key.data)

    def _next_timeout(self, now: float) -> float:
        deadlines = [s.restart_at for s in self._slots if s.restart_at is not None]
        if self._stopping:
            deadlines = [] if self._killed else [self._stop_deadline]
        # Poll reaping at least once a second: SIGCHLD wakes us, this is only a safety net.
        return max(0.0, min([now + 1.0, *deadlines]) - now)

    def _on_signal(self, signum: int, frame: object) -> None:
        # Runs between bytecodes in the main thread; the wakeup fd interrupts the select().
        self._pending_signals.append(signum)

    def _drain_wakeup(self) -> None:
        try:
            while os.read(self._wakeup_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _handle_signals(self) -> None:
        while self._pending_signals:
            signum = self._pending_signals.pop(0)
            if signum in _STOP_SIGNALS:
                if self._stopping:
                    if signum == signal.SIGINT and not self._killed:
                        self.log.warning("second interrupt: killing workers")
                        self._kill_all(signal.SIGKILL)
                    continue
                self.log.info(
                    "%s: stopping %d workers gracefully",
                    signal.Signals(signum).name,
                    len(self._by_pid),
                )
                self._stop()
            elif signum == signal.SIGHUP and not self._stopping:
                if self._rolling_slot is not None:
                    self.log.info("SIGHUP: a rolling replacement is already running")
                    continue
                self.log.info("SIGHUP: replacing workers one at a time")
                self._rolling = list(self._slots)
                self._roll_next()

    def _roll_next(self) -> None:
        """Replace the next slot's worker: stop it gracefully and fork its successor now."""
        self._rolling_slot = None
        while self._rolling and not self._stopping:
            slot = self._rolling.pop(0)
            if not slot.pid:
                continue  # dead and due for a restart anyway: it will come back fresh
            old = slot.pid
            del self._by_pid[old]
            self._retiring.add(old)
            self._close_ready_fd(slot)
            self._kill(old, signal.SIGTERM)
            slot.pid = 0
            slot.generation += 1
            slot.fast_crashes = 0
            self._spawn(slot)
            if slot.pid:
                self._rolling_slot = slot
                return

    def _stop(self, status: int = 0) -> None:
        if not self._stopping:
            self._stopping = True
            self._exit_status = status
            self._stop_deadline = time.monotonic() + self.graceful_timeout
        self._rolling.clear()
        self._rolling_slot = None
        for slot in self._slots:
            slot.restart_at = None
            if slot.pid and not slot.stopping:
                slot.stopping = True
                self._kill(slot.pid, signal.SIGTERM)

    # --- workers ----------------------------------------------------------------------------

    def _spawn(self, slot: _Slot) -> None:
        assert self._selector is not None
        ready_r, ready_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # or the child's buffers would print the parent's output again
        try:
            pid = os.fork()
        except OSError as exc:  # out of processes or memory: try again later
            os.close(ready_r)
            os.close(ready_w)
            slot.restart_at = time.monotonic() + self.backoff_max / 4
            self.log.error("cannot start worker %d: %s", slot.index, exc)
            return
        if pid == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
            os.close(ready_r)
            self._child(slot, ready_w)
        os.close(ready_w)
        os.set_blocking(ready_r, False)
        slot.pid = pid
        slot.started = time.monotonic()
        slot.ready = False
        slot.ready_fd = ready_r
        slot.restart_at = None
        slot.stopping = False
        self._by_pid[pid] = slot
        self._selector.register(ready_r, selectors.EVENT_READ, slot)
        self.log.info("worker %d started (pid %d)", slot.index, pid)

    def _child(self, slot: _Slot, ready_w: int) -> None:  # pragma: no cover - child process
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            for sig in _HANDLED_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.setpgid(0, 0)
            os.close(self._wakeup_r)
            os.close(self._wakeup_w)
            os.close(self._lifeline_w)
            for other in self._slots:
                if other.ready_fd >= 0:
                    os.close(other.ready_fd)
            if self._selector is not None:
                self._selector.close()
            lifeline = self._lifeline_r
            threading.Thread(
                target=watch_lifeline, args=(lifeline,), name="aioweb-lifeline", daemon=True
            ).start()
            os.set_blocking(ready_w, False)
            interval = min(1.0, self.timeout / 4) if self.timeout > 0 else 1.0
            context = WorkerContext(slot.index, slot.generation, os.getppid(), ready_w, interval)
            self.target(context)
            status = 0
        except SystemExit as exc:
            code = exc.code
            status = code if isinstance(code, int) else (0 if code is None else 1)
        except KeyboardInterrupt:
            status = 0
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)

    def _on_ready_fd(self, slot: _Slot) -> None:
        """The worker wrote ``R`` (ready) or ``H`` (heartbeat), or closed its end (exited)."""
        try:
            data = os.read(slot.ready_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_ready_fd(slot)
            return
        slot.last_beat = time.monotonic()
        if not slot.ready and b"R" in data:
            slot.ready = True
            self._ever_ready = True
            self.log.debug("worker %d (pid %d) ready", slot.index, slot.pid)
            if slot is self._rolling_slot:
                self._roll_next()

    def _close_ready_fd(self, slot: _Slot) -> None:
        if slot.ready_fd >= 0:
            if self._selector is not None:
                try:
                    self._selector.unregister(slot.ready_fd)
                except (KeyError, ValueError):
                    pass
            os.close(slot.ready_fd)
            slot.ready_fd = -1

    def _reap(self, *, block: bool) -> None:
        # Wait for our workers by pid, never waitpid(-1): the embedding program may have
        # children of its own (subprocesses) whose exit status is not ours to take.
        for pid in [*self._by_pid, *self._retiring]:
            try:
                done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: gone all the same
                done, status = pid, 0
            if done == 0:
                continue
            code = os.waitstatus_to_exitcode(status)
            if pid in self._retiring:
                self._retiring.discard(pid)
                self.log.info("replaced worker (pid %d) exited (%s)", pid, _describe(code))
                continue
            slot = self._by_pid.pop(pid, None)
            if slot is not None:
                self._on_exit(slot, code)

    def _on_exit(self, slot: _Slot, code: int) -> None:
        # A ready byte may still sit in the pipe if the worker died right after writing it.
        if slot.ready_fd >= 0:
            self._on_ready_fd(slot)
            self._close_ready_fd(slot)
        pid, lived = slot.pid, time.monotonic() - slot.started
        slot.pid = 0
        how = _describe(code)
        if self._stopping:
            self.log.info("worker %d (pid %d) stopped (%s)", slot.index, pid, how)
            return
        slot.generation += 1
        if slot is self._rolling_slot:
            self.log.error(
                "replacement worker %d (pid %d) failed (%s): rolling replacement abandoned",
                slot.index,
                pid,
                how,
            )
            self._rolling.clear()
            self._rolling_slot = None
        if not slot.ready and not self._ever_ready:
            self.log.error("worker %d (pid %d) failed to boot (%s): stopping", slot.index, pid, how)
            self._stop(BOOT_FAILURE_EXIT)
            return
        if lived >= self.stable_after:
            slot.fast_crashes = 0
            delay = 0.0
        else:
            delay = min(self.backoff_max, self.backoff_initial * 2**slot.fast_crashes)
            slot.fast_crashes += 1
        slot.restart_at = time.monotonic() + delay
        self.log.warning(
            "worker %d (pid %d) died (%s) after %.1fs: restarting in %.1fs",
            slot.index,
            pid,
            how,
            lived,
            delay,
        )

    def _kill_hung(self, now: float) -> None:
        for slot in self._slots:
            if slot.pid and slot.ready and now - slot.last_beat > self.timeout:
                # Read what is waiting first: if the supervisor itself was not scheduled for a
                # while, the heartbeats are in the pipe and the worker is fine.
                if slot.ready_fd >= 0:
                    self._on_ready_fd(slot)
                if now - slot.last_beat <= self.timeout or not slot.pid:
                    continue
                self.log.error(
                    "worker %d (pid %d) silent for %.1fs (event loop blocked?): killing",
                    slot.index,
                    slot.pid,
                    now - slot.last_beat,
                )
                self._kill(slot.pid, signal.SIGKILL)
                slot.last_beat = now  # once; the reaping restarts it

    def _start_due(self, now: float) -> None:
        for slot in self._slots:
            if slot.pid == 0 and slot.restart_at is not None and slot.restart_at <= now:
                self._spawn(slot)

    def _kill(self, pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _kill_all(self, sig: int) -> None:
        if sig == signal.SIGKILL:
            self._killed = True
        for pid in [*self._by_pid, *self._retiring]:
            self._kill(pid, sig)


def _describe(code: int) -> str:
    """A ``waitstatus_to_exitcode`` result in words."""
    return f"signal {-code}" if code < 0 else f"status {code}"


# --- run_app(workers=N) ---------------------------------------------------------------------

#: ``serve(listen, ready)`` runs in each worker: ``listen`` holds the ``host``/``port``/
#: ``reuse_port`` or ``sock`` arguments to serve on, ``ready`` is called once sites listen.
ServeFunction = Callable[[dict[str, Any], Callable[[], None]], None]


def run_workers(
    serve: ServeFunction,
    *,
    workers: int,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    backlog: int = DEFAULT_BACKLOG,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    secure: bool = False,
    print: Callable[..., None] | None = print,
    **supervisor_options: Any,
) -> None:
    """Serve on ``workers`` processes under a :class:`Supervisor`; return after a clean stop.

    TCP addresses get one ``SO_REUSEPORT`` socket per worker, on a port the supervisor reserves
    first (so ``port=0`` means one port for all). Unix socket paths and passed-in sockets are
    created or held once by the supervisor and shared by every worker. Raises ``SystemExit``
    with :data:`BOOT_FAILURE_EXIT` when the workers cannot start.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    hosts: list[str | None] = []
    if host is not None:
        hosts = [host] if isinstance(host, str) else list(host)
    elif (path is None and sock is None) or port is not None:
        hosts = [None]
    if hosts and port is None:
        port = DEFAULT_TLS_PORT if secure else DEFAULT_PORT
    reserved: list[socket.socket] = []
    shared: list[socket.socket] = []
    unix_paths: list[str] = []
    try:
        port = _open_listeners(hosts, port, path, sock, backlog, reserved, shared, unix_paths)
        # What each worker serves on, replacing the caller's host/port/path/sock.
        listen: dict[str, Any] = {"host": None, "port": None, "path": None, "sock": None}
        if hosts:
            listen.update(host=[h for h in hosts if h is not None] or None, port=port)
            listen["reuse_port"] = True
        if shared:
            listen["sock"] = shared

        def target(context: WorkerContext) -> None:
            for reservation in reserved:
                reservation.close()  # the worker binds its own; the supervisor keeps the port
            serve(dict(listen), context.notify_ready)

        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO)
        if print is not None:
            scheme = "https" if secure else "http"
            names = [f"{scheme}://{h or '0.0.0.0'}:{port}" for h in hosts]
            names += [f"{scheme}://unix:{p}:" for p in unix_paths]
            names += [f"{scheme}://{sock_name(s)}" for s in shared if sock_name(s) not in names]
            print(
                f"======== Running on {', '.join(names)} with {workers} workers "
                f"(supervisor pid {os.getpid()}) ========\n(Press CTRL+C to quit)"
            )
        supervisor = Supervisor(
            target, workers, graceful_timeout=shutdown_timeout + 5.0, **supervisor_options
        )
        status = supervisor.run()
    finally:
        _close_listeners(reserved, shared, unix_paths)
    if status:
        raise SystemExit(status)


def _open_listeners(
    hosts: list[str | None],
    port: int | None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    backlog: int,
    reserved: list[socket.socket],
    shared: list[socket.socket],
    unix_paths: list[str],
) -> int | None:
    """Reserve the TCP port (every worker binds its own socket to it), bind the Unix paths
    and take the passed-in sockets (shared by every worker); return the port.  The lists are
    filled as sockets open, so the caller closes what opened even when a later one fails."""
    for h in hosts:
        reserved.append(reserve_port(h or "0.0.0.0", port or 0))
        if not port:
            port = reserved[0].getsockname()[1]
    if path is not None:
        for p in [path] if isinstance(path, str | os.PathLike) else list(path):
            shared.append(bind_unix(os.fspath(p), backlog))
            unix_paths.append(os.fspath(p))
    if sock is not None:
        shared.extend([sock] if isinstance(sock, socket.socket) else list(sock))
    return port


def _close_listeners(
    reserved: list[socket.socket], shared: list[socket.socket], unix_paths: list[str]
) -> None:
    """Close the supervisor's sockets and remove the Unix socket files it created."""
    for s in reserved:
        s.close()
    for s, p in zip(shared, unix_paths, strict=False):
        s.close()
        try:
            os.unlink(p)
        except OSError:
            pass
