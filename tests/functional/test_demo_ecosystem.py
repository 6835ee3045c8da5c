"""The templates and session-login demo pages, served for real.

The login test drives headless Chromium: log in through the form, restart the server (a new
process-level app built from scratch, same key file), reload, and still be logged in.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from pathlib import Path

import httpx
import pytest

from aioweb import web
from demo.app import build_app


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "session.key"
    monkeypatch.delenv("AIOWEB_DEMO_SESSION_KEY", raising=False)
    monkeypatch.setenv("AIOWEB_DEMO_SESSION_KEY_FILE", str(path))
    return path


async def test_templates_page(aioweb_server, key_file: Path) -> None:
    server = await aioweb_server(build_app())
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(server.make_url("/templates/")), params={"says": "<i>hi</i>"})
        assert resp.status_code == 200
        assert "You said: <b>&lt;i&gt;hi&lt;/i&gt;</b>" in resp.text
        assert "<li>KIWI!</li>" in resp.text
        assert 'href="/templates/greet/Andrew"' in resp.text
        resp = await client.get(str(server.make_url("/templates/greet/Ann")))
        assert '<h1 id="greeting">Hello, Ann!</h1>' in resp.text
        assert '<b id="lucky">7</b>' in resp.text


async def test_session_login_flow_and_csrf(aioweb_server, key_file: Path) -> None:
    server = await aioweb_server(build_app())
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    url = str(server.make_url("/session/"))
    async with httpx.AsyncClient(follow_redirects=True) as client:
        page = (await client.get(url)).text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        # No token, or a wrong one: refused.
        resp = await client.post(url + "login", data={"user": "eve", "password": "demo"})
        assert resp.status_code == 403
        resp = await client.post(
            url + "login", data={"user": "eve", "password": "demo", "csrf": "forged"}
        )
        assert resp.status_code == 403
        resp = await client.post(
            url + "login", data={"user": "ann", "password": "nope", "csrf": csrf}
        )
        assert 'id="error"' in resp.text
        resp = await client.post(
            url + "login", data={"user": "<ann>", "password": "demo", "csrf": csrf}
        )
        assert "Hello, <b>&lt;ann&gt;</b>!" in resp.text
        assert '<b id="visits">1</b>' in resp.text


def _listen(port: int = 0) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


async def _serve(sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(build_app())
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


@pytest.mark.timeout(90)
def test_chromium_login_survives_restart(key_file: Path) -> None:
    browser = pytest.importorskip("chromium_devtools")
    if browser.CHROMIUM is None:
        pytest.skip("chromium is not installed")

    async def main() -> None:
        sock = _listen()
        port = sock.getsockname()[1]
        runner = await _serve(sock)
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                url = f"http://127.0.0.1:{port}/session/"
                async with browser.chromium(url, profile) as tab:
                    await tab.wait_for("!!document.getElementById('login')")
                    await tab.js(
                        "document.querySelector('input[name=user]').value = 'chromium';"
                        "document.querySelector('input[name=password]').value = 'demo';"
                        "document.getElementById('login').click(); true"
                    )
                    hello = await tab.wait_for(
                        "document.getElementById('hello') && "
                        "document.getElementById('hello').textContent"
                    )
                    assert hello == "Hello, chromium!"
                    # HttpOnly: page scripts cannot read (and so cannot leak) the session.
                    assert "AIOWEB_DEMO" not in await tab.js("document.cookie")
                    cookies = (await tab.call("Network.getAllCookies"))["cookies"]
                    (jar,) = [c for c in cookies if c["name"] == "AIOWEB_DEMO"]
                    assert (
                        jar["httpOnly"] and jar["sameSite"] == "Lax" and jar["path"] == "/session/"
                    )
                    # Restart: a brand-new application on the same port, key from the file.
                    await runner.cleanup()
                    runner = await _serve(_listen(port))
                    await tab.js("location.reload(); true")
                    await asyncio.sleep(0.3)
                    visits = await tab.wait_for(
                        "document.getElementById('visits') && "
                        "document.getElementById('visits').textContent"
                    )
                    assert visits == "2"
                    await tab.js("document.getElementById('logout').click(); true")
                    await tab.wait_for("!!document.getElementById('login')")
                    await tab.js("location.reload(); true")
                    await asyncio.sleep(0.3)
                    await tab.wait_for("!!document.getElementById('login')")
                    assert not await tab.js("!!document.getElementById('hello')")
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 80))


def test_key_from_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from demo.pages import session_login

    monkeypatch.setenv("AIOWEB_DEMO_SESSION_KEY", "x" * 20)
    monkeypatch.setenv("AIOWEB_DEMO_SESSION_KEY_FILE", str(tmp_path / "unused"))
    assert session_login.load_or_create_key() == b"x" * 20
    assert not (tmp_path / "unused").exists()
