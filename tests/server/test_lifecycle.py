"""Running and stopping: graceful shutdown, run_app under signals, Unix and socket sites, CLI.

Processes are started with the venv's interpreter and stopped by their own pid; every wait
is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import httpx
import pytest

from aioweb import web
from aioweb.tooling.test_utils import unused_port

ROOT = Path(__file__).resolve().parents[2]


async def _serve(app: web.Application, **runner_kwargs) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, **runner_kwargs)
    await runner.setup()
    port = unused_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, port


async def test_in_flight_request_finishes_during_cleanup():
    started = asyncio.Event()
    events = []

    async def slow(request):
        started.set()
        await asyncio.sleep(0.5)
        return web.Response(text="finished")

    async def on_shutdown(app):
        events.append("shutdown")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(on_shutdown)
    runner, port = await _serve(app, shutdown_timeout=5)
    async with httpx.AsyncClient(timeout=5) as client:
        # an idle keep-alive connection as well: it must not hold up the shutdown
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        request = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow"))
        await asyncio.wait_for(started.wait(), 5)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.wait_for(runner.cleanup(), 5)
        assert loop.time() - t0 < 3
        r = await request
        assert r.status_code == 200 and r.text == "finished"
        assert r.headers.get("Connection") == "close"  # no keep-alive past shutdown
        assert await asyncio.wait_for(idle_reader.read(), 5) == b""
        idle_writer.close()
        assert events == ["shutdown"]
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/slow")


async def test_request_over_shutdown_timeout_is_cut():
    started = asyncio.Event()
    cancelled = []

    async def forever(request):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return web.Response(text="never")

    app = web.Application()
    app.router.add_get("/", forever)
    runner, port = await _serve(app, shutdown_timeout=0.3)
    async with aiohttp.ClientSession() as session:
        request = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/"))
        await asyncio.wait_for(started.wait(), 5)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.wait_for(runner.cleanup(), 5)
        assert loop.time() - t0 < 2
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(request, 5)
    await asyncio.sleep(0)
    assert cancelled == [True]


async def test_unix_site(tmp_path):
    async def handler(request):
        return web.Response(text=f"unix {request.path}")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    path = str(tmp_path / "aioweb.sock")
    site = web.UnixSite(runner, path)
    await site.start()
    assert site.name == f"http://unix:{path}:"
    try:
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport) as client:
            r = await client.get("http://localhost/")
            assert r.text == "unix /"
        connector = aiohttp.UnixConnector(path=path)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get("http://localhost/") as r2,
        ):
            assert await r2.text() == "unix /"
        proc = await asyncio.create_subprocess_exec(
            "curl", "-sS", "--max-time", "5", "--unix-socket", path, "http://localhost/",
            stdout=subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
        assert out == b"unix /"
    finally:
        await runner.cleanup()


async def test_sock_site():
    async def handler(request):
        return web.Response(text="sock")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = web.SockSite(runner, sock)
    await site.start()
    assert site.name == f"http://127.0.0.1:{port}"
    assert ("127.0.0.1", port) in runner.addresses
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/")).text == "sock"
    finally:
        await runner.cleanup()


async def test_server_runner_with_lowlevel_server():
    async def handler(request):
        return web.Response(text=f"low {request.method} {request.path}")

    server = web.Server(handler)
    runner = web.ServerRunner(server)
    await runner.setup()
    port = unused_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with httpx.AsyncClient() as client:
            r = await client.post(f"http://127.0.0.1:{port}/any/path")
            assert r.text == "low POST /any/path"
    finally:
        await runner.cleanup()


APP_MODULE = """
import asyncio
import sys

from aioweb import web


async def slow(request):
    await asyncio.sleep(float(request.query.get("t", "0.5")))
    return web.Response(text="slow done")


async def hello(request):
    return web.Response(text="hello from " + request.app["name"])


async def on_cleanup(app):
    print("CLEANUP DONE", flush=True)


def make_app(argv=None):
    app = web.Application()
    app["name"] = "factory" if argv is None else "factory " + " ".join(argv)
    app.router.add_get("/", hello)
    app.router.add_get("/slow", slow)
    app.on_cleanup.append(on_cleanup)
    return app


async def make_app_async():
    return make_app()


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), shutdown_timeout=5)
"""


@pytest.fixture
def app_module(tmp_path: Path) -> Path:
    (tmp_path / "fd_app_module.py").write_text(APP_MODULE)
    return tmp_path


async def _spawn(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": f"{cwd}{os.pathsep}{ROOT}"}
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def _wait_running(proc: asyncio.subprocess.Process) -> str:
    lines = []
    async with asyncio.timeout(15):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise AssertionError("process exited early:\n" + "".join(lines))
            lines.append(line)
            if "Running on" in line:
                return line


async def _stop(proc: asyncio.subprocess.Process, sig: int) -> str:
    proc.send_signal(sig)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return out.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_run_app_in_subprocess_stops_cleanly_on_signal(app_module, sig):
    port = unused_port()
    proc = await _spawn("fd_app_module.py", str(port), cwd=app_module)
    line = await _wait_running(proc)
    assert line.strip() == f"======== Running on http://127.0.0.1:{port} ========"
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(f"http://127.0.0.1:{port}/")
        assert r.text == "hello from factory"
        # an in-flight request when the signal arrives still gets its answer
        request = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow?t=0.5"))
        await asyncio.sleep(0.2)
        out = await _stop(proc, sig)
        r = await request
        assert r.status_code == 200 and r.text == "slow done"
    assert proc.returncode == 0, out
    assert "CLEANUP DONE" in out
    assert "Traceback" not in out


async def test_cli_python_m_aioweb(app_module):
    port = unused_port()
    proc = await _spawn(
        "-m", "aioweb", "fd_app_module:make_app", "--host", "127.0.0.1", "--port", str(port),
        cwd=app_module,
    )  # fmt: skip
    try:
        line = await _wait_running(proc)
        assert f"127.0.0.1:{port}" in line
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.get(f"http://127.0.0.1:{port}/")
            assert r.text.startswith("hello from factory")
    finally:
        out = await _stop(proc, signal.SIGINT)
    assert proc.returncode == 0, out
    assert "CLEANUP DONE" in out


async def test_cli_python_m_aioweb_web(app_module):
    port = unused_port()
    proc = await _spawn(
        "-m", "aioweb.web", "-H", "127.0.0.1", "-P", str(port), "fd_app_module:make_app",
        "extra-arg",
        cwd=app_module,
    )  # fmt: skip
    try:
        line = await _wait_running(proc)
        assert f"127.0.0.1:{port}" in line
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.get(f"http://127.0.0.1:{port}/")
            assert r.text == "hello from factory extra-arg"  # func(argv), as aiohttp
    finally:
        out = await _stop(proc, signal.SIGINT)
    assert proc.returncode == 0, out


async def test_cli_unix_path(app_module, tmp_path):
    path = str(tmp_path / "cli.sock")
    proc = await _spawn("-m", "aioweb.web", "-U", path, "fd_app_module:make_app", cwd=app_module)
    try:
        await _wait_running(proc)
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            r = await client.get("http://localhost/")
            assert r.text.startswith("hello from factory")
    finally:
        out = await _stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, out


def test_run_app_with_coroutine_and_options(tmp_path):
    """``run_app`` given a coroutine, with print=, access log options and a sock."""
    script = textwrap.dedent(
        """
        import asyncio, logging, os, signal, socket, sys
        import urllib.request
        from aioweb import web

        sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]
        logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")

        async def hello(request):
            return web.Response(text="coro app")

        async def make():
            app = web.Application()
            app.router.add_get("/", hello)

            async def poke(app):
                async def go():
                    await asyncio.sleep(0.1)
                    loop = asyncio.get_running_loop()
                    body = await loop.run_in_executor(
                        None, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
                    )
                    print("GOT", body.decode(), flush=True)
                    os.kill(os.getpid(), signal.SIGINT)
                asyncio.get_running_loop().create_task(go())
            app.on_startup.append(poke)
            return app

        web.run_app(
            make(), sock=sock, print=lambda *a: print("PRINTED", *a, flush=True),
            access_log_format="%a %r %s %b", backlog=10, shutdown_timeout=1,
        )
        print("EXITED", flush=True)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=30, cwd=ROOT, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PRINTED ======== Running on http://127.0.0.1:" in out.stdout
    assert "GOT coro app" in out.stdout
    assert "127.0.0.1 GET / HTTP/1.1 200 8" in out.stdout  # the access log, in the given format
    assert "EXITED" in out.stdout


def test_run_app_many_sites_custom_access_log_class(tmp_path):
    """host list + path together, reuse_port, a custom access_log_class, then SIGTERM."""
    sock_path = tmp_path / "multi.sock"
    port = unused_port()
    script = textwrap.dedent(
        f"""
        import asyncio, logging, os, signal, sys
        import httpx
        from aioweb import web
        from aioweb.server.accesslog import AccessLogger

        class MyLogger(AccessLogger):
            def log(self, request, response, time):
                print("CUSTOM", request.method, request.path, response.status, flush=True)

        async def hello(request):
            return web.Response(text="multi")

        async def poke(app):
            async def go():
                await asyncio.sleep(0.1)
                async with httpx.AsyncClient() as c:
                    for host in ("127.0.0.1", "localhost"):
                        r = await c.get(f"http://{{host}}:{port}/")
                        print("TCP", host, r.text, flush=True)
                t = httpx.AsyncHTTPTransport(uds={str(sock_path)!r})
                async with httpx.AsyncClient(transport=t) as c:
                    print("UNIX", (await c.get("http://x/")).text, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
            asyncio.get_running_loop().create_task(go())

        app = web.Application()
        app.router.add_get("/", hello)
        app.on_startup.append(poke)
        logging.basicConfig(level=logging.INFO)
        web.run_app(
            app, host=["127.0.0.1", "localhost"], port={port}, path={str(sock_path)!r},
            reuse_port=True, reuse_address=True, access_log_class=MyLogger,
            access_log=logging.getLogger("custom.access"),
        )
        print("EXITED", flush=True)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=30, cwd=ROOT, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    running = next(line for line in out.stdout.splitlines() if "Running on" in line)
    assert f"http://127.0.0.1:{port}" in running and f"http://unix:{sock_path}:" in running
    assert "TCP 127.0.0.1 multi" in out.stdout and "TCP localhost multi" in out.stdout
    assert "UNIX multi" in out.stdout
    assert out.stdout.count("CUSTOM GET / 200") == 3
    assert "EXITED" in out.stdout


def test_run_app_quiet_without_print_or_access_log(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio, os, signal
        import urllib.request
        from aioweb import web

        async def hello(request):
            return web.Response(text="quiet")

        async def poke(app):
            async def go():
                await asyncio.sleep(0.1)
                loop = asyncio.get_running_loop()
                port = app["port"]
                await loop.run_in_executor(
                    None, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
                )
                os.kill(os.getpid(), signal.SIGINT)
            asyncio.get_running_loop().create_task(go())

        app = web.Application()
        app["port"] = int(os.environ["FD_PORT"])
        app.router.add_get("/", hello)
        app.on_startup.append(poke)
        web.run_app(app, host="127.0.0.1", port=app["port"], print=None, access_log=None)
        """
    )
    env = {**os.environ, "FD_PORT": str(unused_port())}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=30, cwd=ROOT, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"" and out.stderr == b""


@pytest.mark.parametrize("entry", ["fd_app_module:make_app_async", "fd_app_module:APP"])
async def test_cli_async_factory_and_app_instance(app_module, entry):
    (app_module / "fd_app_module.py").write_text(APP_MODULE + "\nAPP = make_app()\n")
    port = unused_port()
    proc = await _spawn("-m", "aioweb", entry, "--port", str(port), cwd=app_module)
    try:
        await _wait_running(proc)
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.get(f"http://127.0.0.1:{port}/")
            assert r.text == "hello from factory"
    finally:
        out = await _stop(proc, signal.SIGINT)
    assert proc.returncode == 0, out


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("no_such_module_xyz:make", "cannot import module"),
        ("fd_app_module:missing", "has no attribute"),
        ("fd_app_module", "module:factory"),
    ],
)
async def test_cli_bad_entry_fails_clearly(app_module, entry, message):
    proc = await _spawn("-m", "aioweb", entry, "--port", str(unused_port()), cwd=app_module)
    out, _ = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode != 0
    assert message in out.decode()
    assert "Traceback" not in out.decode()
