"""``ASGIApp``: a real FastAPI application mounted under ``/api`` of an aioweb application
served by aioweb's own server: HTTP (JSON, path and query parameters, request bodies,
streaming responses, errors), WebSocket, and lifespan forwarded with the parent's."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi import Request as FastAPIRequest
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from aioweb import web
from aioweb.asgi import ASGIApp

pytestmark = pytest.mark.timeout(60)


class Item(BaseModel):
    name: str
    price: float


def make_fastapi(events: list[str]) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append("fastapi startup")
        yield {"db": "connected"}
        events.append("fastapi shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @api.post("/items")
    async def create_item(item: Item) -> dict[str, Any]:
        return {"name": item.name, "price_with_tax": round(item.price * 1.2, 2)}

    @api.get("/scope")
    async def scope_info(request: FastAPIRequest) -> dict[str, Any]:
        return {
            "root_path": request.scope["root_path"],
            "path": request.url.path,
            "url_for": str(request.url_for("read_item", item_id=3)),
            "state": request.state.db,
            "client": request.client.host if request.client else None,
        }

    @api.get("/stream")
    async def stream() -> StreamingResponse:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(5):
                yield b"chunk %d\n" % i
                await asyncio.sleep(0)

        return StreamingResponse(gen(), media_type="text/plain")

    @api.post("/upload")
    async def upload(request: FastAPIRequest) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    @api.websocket("/ws")
    async def ws_echo(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="chat" if websocket.scope["subprotocols"] else None)
        try:
            while True:
                text = await websocket.receive_text()
                if text == "bye":
                    await websocket.close(code=4003, reason="done")
                    return
                await websocket.send_text(f"fastapi:{text}")
        except WebSocketDisconnect as exc:
            events.append(f"ws disconnect {exc.code}")

    return api


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def make_parent(events: list[str]) -> web.Application:
    @web.middleware
    async def tag(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        response.headers["X-Parent"] = "aioweb"
        return response

    async def home(request: web.Request) -> web.Response:
        return web.Response(text="aioweb home")

    async def on_startup(app: web.Application) -> None:
        events.append("aioweb startup")

    async def on_cleanup(app: web.Application) -> None:
        events.append("aioweb cleanup")

    app = web.Application(middlewares=[tag])
    app.router.add_get("/", home)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.add_subapp("/api", ASGIApp(make_fastapi(events)))
    return app


def test_fastapi_mounted_http_websocket_lifespan() -> None:
    events: list[str] = []

    async def main() -> None:
        async with serve(make_parent(events)) as base, httpx.AsyncClient() as client:
            assert events == ["aioweb startup", "fastapi startup"]
            r = await client.get(base + "/")
            assert r.text == "aioweb home"
            r = await client.get(base + "/api/items/42?q=x")
            assert r.json() == {"item_id": 42, "q": "x"}
            assert r.headers["x-parent"] == "aioweb"  # the parent's middleware ran
            r = await client.get(base + "/api/items/notanint")
            assert r.status_code == 422  # FastAPI's own validation answer
            r = await client.post(base + "/api/items", json={"name": "tea", "price": 2.5})
            assert r.json() == {"name": "tea", "price_with_tax": 3.0}
            r = await client.get(base + "/api/scope")
            info = r.json()
            assert info["root_path"] == "/api" and info["path"] == "/api/scope"
            assert info["url_for"] == base + "/api/items/3"
            assert info["state"] == "connected"  # lifespan state reached the request
            assert info["client"] == "127.0.0.1"
            r = await client.get(base + "/api/stream")
            assert r.text == "".join(f"chunk {i}\n" for i in range(5))
            big = b"x" * 3_000_000
            r = await client.post(base + "/api/upload", content=big)
            assert r.json() == {"size": len(big)}
            r = await client.get(base + "/api/missing")
            assert r.status_code == 404 and r.json() == {"detail": "Not Found"}

            ws_url = base.replace("http", "ws") + "/api/ws"
            async with websockets.connect(ws_url, subprotocols=["chat"]) as ws:  # type: ignore[list-item]
                assert ws.subprotocol == "chat"
                await ws.send("hi")
                assert await ws.recv() == "fastapi:hi"
                await ws.send("bye")
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
            async with websockets.connect(ws_url) as ws:
                await ws.send("one")
                assert await ws.recv() == "fastapi:one"
                await ws.close(code=4010)
            for _ in range(100):
                if "ws disconnect 4010" in events:
                    break
                await asyncio.sleep(0.02)
            assert "ws disconnect 4010" in events
        assert events[-2:] == ["fastapi shutdown", "aioweb cleanup"] or events[-2:] == [
            "aioweb cleanup",
            "fastapi shutdown",
        ]

    asyncio.run(main())


def test_failed_mounted_startup_fails_the_parent() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    app = web.Application()
    app.add_subapp("/api", ASGIApp(FastAPI(lifespan=lifespan)))

    async def main() -> None:
        runner = web.AppRunner(app)
        with pytest.raises(RuntimeError, match="no database"):
            await runner.setup()

    asyncio.run(main())
