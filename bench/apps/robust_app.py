"""The robustness app: one small application, run on aiohttp or aioweb, for probes and soaks.

``bench/probes.py`` sends hostile bytes to it and ``bench/soak.py`` loads it for minutes; both
start it in a subprocess with ``--framework`` and compare.  As in ``app.py`` the framework is
chosen by import alone, and everything an attacker meets is left at the framework's defaults
(limits, timeouts, ``follow_symlinks=False``): the point is what a default deployment does.

Routes:
    GET  /                 plaintext "Hello, World!"
    GET  /json             {"message": "Hello, World!"}
    GET  /user/{id}        a variable route
    GET  /host             ``request.host`` (does an absolute-form target's authority win?)
    POST /echo             ``await request.read()`` sent back
    POST /form             ``await request.post()``, summarised as JSON
    POST /upload           ``request.multipart()`` streamed the way the README's upload example
                           does it, with no try/except: a malformed body must still be a 400
    GET  /boom-assert      a failing ``assert`` before the handler's first await (eager path)
    GET  /boom-base        a ``BaseException`` subclass raised the same way
    GET  /ws               WebSocket echo (permessage-deflate when the client offers it)
    /static/               ``add_static`` over ``<tree>/public`` (see ``make_static_tree``)
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
from pathlib import Path
from typing import Any

from app import HELLO, load_web

SECRET = b"TOPSECRET-outside-the-static-root"
APP_JS = b"console.log('the plain app.js');\n" * 8
BIG_SIZE = 256 * 1024


def make_static_tree(base: Path) -> Path:
    """Lay out a static root with every trap of issue 11 item 1; return the root (``public``).

    ``base/outside/secret.txt`` and ``base/public-private/secret.txt`` hold ``SECRET`` and lie
    outside the root.  Inside ``public``:

    * ``app.js`` (plain) whose pre-compressed siblings ``app.js.gz``, ``app.js.br`` and
      ``app.js.zst`` are symlinks to the outside secret (CVE-2024-42367's shape);
    * ``linkdir`` -> ``../outside`` (a directory on the way leaves the root);
    * ``sneaky.txt`` -> ``../public-private/secret.txt``: outside, though its real path starts
      with the root's path as a string (containment must compare whole components);
    * ``gone.txt`` -> ``../public-private/missing.txt``: outside and dangling (no existence
      oracle: it must answer as ``sneaky.txt`` does);
    * ``big.bin`` (256 KiB) and ``page.html`` with a real ``page.html.gz`` for the soak.
    """
    outside = base / "outside"
    private = base / "public-private"
    root = base / "public"
    for d in (outside, private, root):
        d.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_bytes(SECRET)
    (private / "secret.txt").write_bytes(SECRET)
    (root / "app.js").write_bytes(APP_JS)
    for ext in (".gz", ".br", ".zst"):
        (root / f"app.js{ext}").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(Path("..") / "outside", target_is_directory=True)
    (root / "sneaky.txt").symlink_to(Path("..") / "public-private" / "secret.txt")
    (root / "gone.txt").symlink_to(Path("..") / "public-private" / "missing.txt")
    (root / "big.bin").write_bytes(os.urandom(BIG_SIZE))
    page = b"<!doctype html><title>soak</title><p>" + b"static page " * 400
    (root / "page.html").write_bytes(page)
    (root / "page.html.gz").write_bytes(gzip.compress(page))
    return root


class BoomError(BaseException):
    """Raised by ``/boom-base``: not an ``Exception``, and not one asyncio must propagate."""


def build_app(web: Any, static_root: Path) -> Any:
    """Build the robustness app on whichever ``web`` module is given."""

    async def plaintext(request: Any) -> Any:
        return web.Response(text=HELLO)

    async def json_handler(request: Any) -> Any:
        return web.json_response({"message": HELLO})

    async def user(request: Any) -> Any:
        return web.Response(text=f"user {request.match_info['id']}")

    async def host(request: Any) -> Any:
        return web.Response(text=str(request.host))

    async def echo(request: Any) -> Any:
        body = await request.read()
        return web.Response(body=body, content_type="application/octet-stream")

    async def form(request: Any) -> Any:
        data = await request.post()
        out: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, str):
                out[name] = value[:64]
            else:  # a FileField
                out[name] = {"filename": value.filename, "size": len(value.file.read())}
        return web.json_response(out)

    async def upload(request: Any) -> Any:
        reader = await request.multipart()
        parts = size = 0
        async for part in reader:
            parts += 1
            if not hasattr(part, "read_chunk"):  # a nested multipart: not expected here
                await part.release()
            elif part.filename:
                while chunk := await part.read_chunk(64 * 1024):
                    size += len(chunk)
            else:
                size += len(await part.read(decode=True))
        return web.Response(text=f"stored {parts} parts, {size} bytes")

    async def boom_assert(request: Any) -> Any:
        assert request.method == "POST", "a check that fails"
        return web.Response(text="unreachable")

    async def boom_base(request: Any) -> Any:
        raise BoomError("raised by application code")

    async def ws_echo(request: Any) -> Any:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", plaintext)
    app.router.add_get("/json", json_handler)
    app.router.add_get("/user/{id}", user)
    app.router.add_get("/host", host)
    app.router.add_post("/echo", echo)
    app.router.add_post("/form", form)
    app.router.add_post("/upload", upload)
    app.router.add_get("/boom-assert", boom_assert)
    app.router.add_get("/boom-base", boom_base)
    app.router.add_get("/ws", ws_echo)
    app.router.add_static("/static", str(static_root))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", required=True, choices=["aiohttp", "aioweb"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--static-root", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1, help="aioweb only: worker processes")
    args = parser.parse_args()

    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web = load_web(args.framework)
    extra = {"workers": args.workers} if args.workers != 1 else {}
    app = build_app(web, args.static_root)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None, **extra)


if __name__ == "__main__":
    main()
