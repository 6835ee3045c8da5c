"""The benchmark application on Starlette, served by uvicorn (httptools + uvloop).

Same routes and replies as ``app.py``; a peer for comparison, not a dependency of aioweb.
Run: ``uvicorn --loop uvloop --http httptools --no-access-log bench.apps.starlette_app:app``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

HELLO = "Hello, World!"


async def plaintext(request: Request) -> Response:
    return PlainTextResponse(HELLO)


async def json_handler(request: Request) -> Response:
    return JSONResponse({"message": HELLO})


async def user(request: Request) -> Response:
    return PlainTextResponse(f"user {request.path_params['id']}")


async def echo(request: Request) -> Response:
    body = await request.body()
    return Response(body, media_type="application/octet-stream")


async def other(request: Request) -> Response:
    return PlainTextResponse("other")


routes = [Route(f"/static/page{i}", other) for i in range(25)]
routes += [Route(f"/api/v{i}/{{item}}/detail", other) for i in range(25)]
routes += [
    Route("/user/{id}", user),
    Route("/", plaintext),
    Route("/json", json_handler),
    Route("/echo", echo, methods=["POST"]),
]
app = Starlette(routes=routes)
