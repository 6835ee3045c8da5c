"""A login kept in an encrypted cookie session: it survives a server restart.

The session lives in the browser, encrypted and signed with Fernet, so nothing is stored on the
server; the key is all the server keeps. It comes from ``AIOWEB_DEMO_SESSION_KEY`` if set, else
from a key file the demo creates once (``AIOWEB_DEMO_SESSION_KEY_FILE``, default
``<tmpdir>/aioweb-demo-session.key``), so a restarted server still reads yesterday's cookies.
"""

from __future__ import annotations

import html
import os
import secrets
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from aioweb import web
from aioweb.session import get_session, new_session, session_middleware
from aioweb.session.cookie_storage import EncryptedCookieStorage
from demo import layout

TITLE = "Sessions: login that survives a restart"
LABEL = "Sessions"
SUMMARY = (
    "Log in with a form (CSRF-protected); the session lives in an encrypted, HttpOnly "
    "cookie, so it survives a server restart."
)
PATH = "/session/"

DEMO_PASSWORD = "demo"


def load_or_create_key() -> bytes:
    """The Fernet key: from the environment, else from a file made on first run (0600)."""
    env = os.environ.get("AIOWEB_DEMO_SESSION_KEY")
    if env:
        return env.encode()
    path = Path(
        os.environ.get(
            "AIOWEB_DEMO_SESSION_KEY_FILE",
            str(Path(tempfile.gettempdir()) / "aioweb-demo-session.key"),
        )
    )
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    # O_EXCL: if two workers race on first start, one creates and the other reads.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


FOOTNOTE = """<p class=muted>The whole session is in the <code>AIOWEB_DEMO</code> cookie, encrypted
with Fernet and <code>HttpOnly</code>. Restart the server: you stay logged in.</p>"""


def _page(request: web.Request, body: str, status: int = 200) -> web.Response:
    return layout.page(
        request,
        "Encrypted cookie session",
        body + FOOTNOTE,
        status=status,
        lead="A login kept in an encrypted cookie: nothing stored on the server but a key.",
    )


async def index(request: web.Request) -> web.Response:
    session = await get_session(request)
    user = session.get("user")
    if user is None:
        error = request.query.get("error")
        msg = '<p class="err" id="error">Wrong password.</p>' if error else ""
        return _page(
            request,
            f"""{msg}<div class="box"><form method="post" action="{PATH}login">
<p><label>Name <input name="user" required maxlength="40"></label></p>
<p><label>Password <input name="password" type="password"></label>
 (it is <code>{DEMO_PASSWORD}</code>)</p>
<input type="hidden" name="csrf" value="{_csrf(session)}">
<button id="login">Log in</button></form></div>""",
        )
    session["visits"] = session.get("visits", 0) + 1
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(session["since"]))
    return _page(
        request,
        f"""<div class="box"><p id="hello">Hello, <b>{html.escape(user)}</b>!</p>
<p>Logged in since {since}; this is visit <b id="visits">{session["visits"]}</b>.</p>
<form method="post" action="{PATH}logout">
<input type="hidden" name="csrf" value="{_csrf(session)}">
<button id="logout">Log out</button></form></div>""",
    )


def _csrf(session: dict) -> str:
    """A per-session token the forms echo back: another site cannot read it to forge a POST."""
    token = session.get("csrf")
    if token is None:
        token = session["csrf"] = secrets.token_urlsafe(16)
    return token


async def _check_csrf(request: web.Request) -> web.MultiDictProxy:
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    if not expected or not secrets.compare_digest(str(form.get("csrf", "")), expected):
        raise web.HTTPForbidden(
            text=layout.render(
                request,
                "Forbidden",
                '<p class="err">The form\'s CSRF token is missing or wrong.</p>'
                f'<p><a href="{PATH}">Reload the page</a> and try again.</p>',
            ),
            content_type="text/html",
        )
    return form


async def login(request: web.Request) -> web.Response:
    form = await _check_csrf(request)
    user = str(form.get("user", "")).strip()[:40]
    if not user or form.get("password") != DEMO_PASSWORD:
        raise web.HTTPSeeOther(PATH + "?error=1")
    # A brand-new session at login: no id planted before login survives it.
    session = await new_session(request)
    session["user"] = user
    session["since"] = int(time.time())
    raise web.HTTPSeeOther(PATH)


async def logout(request: web.Request) -> web.Response:
    await _check_csrf(request)
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther(PATH)


def setup(app: web.Application) -> None:
    layout.install(app)
    storage = EncryptedCookieStorage(
        load_or_create_key(),
        cookie_name="AIOWEB_DEMO",
        max_age=7 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        path=PATH,
    )
    sub = web.Application(middlewares=[session_middleware(storage)])
    sub.router.add_get("/", index)
    sub.router.add_post("/login", login)
    sub.router.add_post("/logout", logout)
    app.add_subapp(PATH.rstrip("/"), sub)
