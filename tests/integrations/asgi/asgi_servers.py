"""ASGI servers for the adapter's tests: started on 127.0.0.1 with a free port.

* ``server_process(kind, target)``: uvicorn, hypercorn or granian in a subprocess, serving
  ``module:attribute`` from this folder (``asgi_apps``), HTTP/1.1, h2c, TLS (ALPN h2) or QUIC.
* ``serve_in_process(app, kind)``: the same servers inside the test's event loop, for tests
  that build their application in the test (the re-run of aioweb's own tests).  It has the
  signature of ``tests/bodies_util.serve``, so it can stand in for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BIN = Path(sys.executable).parent
KINDS = ("uvicorn", "hypercorn", "granian")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(
    kind: str,
    target: str,
    port: int,
    *,
    http: str,
    certfile: str | None,
    keyfile: str | None,
    quic_port: int | None,
) -> list[str]:
    if kind == "uvicorn":
        cmd = [str(BIN / "uvicorn"), target, "--host", "127.0.0.1", "--port", str(port)]
        cmd += [
            "--no-server-header",
            "--no-date-header",
            "--log-level",
            "warning",
            "--lifespan",
            "on",
        ]
        if certfile:
            cmd += ["--ssl-certfile", certfile, "--ssl-keyfile", str(keyfile)]
        return cmd
    if kind == "hypercorn":
        cmd = [str(BIN / "hypercorn"), target, "--bind", f"127.0.0.1:{port}"]
        cmd += ["--log-level", "warning"]
        if certfile:
            cmd += ["--certfile", certfile, "--keyfile", str(keyfile)]
        if quic_port:
            cmd += ["--quic-bind", f"127.0.0.1:{quic_port}"]
        return cmd
    if kind == "granian":
        cmd = [str(BIN / "granian"), target, "--interface", "asgi", "--host", "127.0.0.1"]
        cmd += [
            "--port",
            str(port),
            "--http",
            http,
            "--log-level",
            "warning",
            "--ws",
        ]
        if certfile:
            cmd += ["--ssl-certificate", certfile, "--ssl-keyfile", str(keyfile)]
        return cmd
    raise ValueError(kind)


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@contextlib.contextmanager
def server_process(
    kind: str,
    target: str = "asgi_apps:asgi_app",
    *,
    http: str = "auto",
    certfile: str | None = None,
    keyfile: str | None = None,
    quic_port: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``target`` under ``kind``; yield ``(base_url, process)``; stop it (SIGINT) after."""
    port = free_port()
    cmd = _command(
        kind, target, port, http=http, certfile=certfile, keyfile=keyfile, quic_port=quic_port
    )
    full_env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{ROOT}", **(env or {}))
    proc = subprocess.Popen(
        cmd, cwd=HERE, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, proc)
        scheme = "https" if certfile else "http"
        yield f"{scheme}://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.send_signal(2)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()


def stop_output(proc: subprocess.Popen[bytes]) -> str:
    """Stop ``proc`` (SIGINT) and return everything it printed."""
    proc.send_signal(2)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode(errors="replace")


# -- in the test's own event loop ----------------------------------------------------------


@contextlib.asynccontextmanager
async def serve_in_process(
    app: Any, kind: str = "uvicorn", **adapter_kwargs: Any
) -> AsyncIterator[str]:
    """Serve the aioweb ``app`` through ``to_asgi`` under ``kind``; yield its base URL.

    Lifespan is on, so ``on_startup``/``cleanup_ctx``/``on_cleanup`` run as under AppRunner.
    """
    from aioweb.asgi import to_asgi

    asgi = to_asgi(app, **adapter_kwargs)
    port = free_port()
    if kind == "uvicorn":
        import uvicorn

        config = uvicorn.Config(
            asgi,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=3,  # (a stream a test left open must not hold it up)
            ws=os.environ.get("ASGI_UVICORN_WS", "websockets"),
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before starting")
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task
    elif kind == "hypercorn":
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.include_server_header = False
        config.include_date_header = False
        config.loglevel = "WARNING"
        config.graceful_timeout = 3
        stop = asyncio.Event()
        task = asyncio.create_task(serve(asgi, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
        deadline = time.monotonic() + 10
        while True:
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                break
            except OSError:
                if task.done():
                    task.result()
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop.set()
            await task
    else:
        raise ValueError(f"no in-process runner for {kind}")
