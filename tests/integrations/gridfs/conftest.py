"""Fixtures for the GridFS tests: a fresh database per test on the session's MongoDB server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gridfs_server import HANDLER_KEY, ServerThread
from pymongo import MongoClient

from aioweb import web


@pytest.fixture
def database_name(mongodb_uri: str) -> Iterator[str]:
    """A unique database name, dropped after the test (FerretDB and MongoDB alike)."""
    name = f"aioweb_test_{uuid.uuid4().hex[:12]}"
    yield name
    client: MongoClient[dict[str, object]] = MongoClient(mongodb_uri)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
def sync_db(mongodb_uri: str, database_name: str) -> Iterator[Any]:
    """The test's database through PyMongo's synchronous API, for seeding and inspecting."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri)
    try:
        yield client[database_name]
    finally:
        client.close()


@pytest.fixture
def gridfs_server(mongodb_uri: str, database_name: str) -> Iterator[Callable[..., ServerThread]]:
    """Start an app serving the test's database; call it with GridFSHandler options.

    Routes: ``/fs/{filename}`` (the handler), ``POST /upload`` (``handler.upload``, options
    from ``upload=``), ``GET /list`` and ``POST /delete/{id}``. ``motor=True`` gives the
    handler a Motor database instead of PyMongo's.
    """
    started: list[ServerThread] = []

    def start(
        *, motor: bool = False, upload: dict[str, Any] | None = None, **options: Any
    ) -> ServerThread:
        async def make_app() -> web.Application:
            from aioweb.integrations.gridfs import GridFSHandler

            if motor:
                from motor.motor_asyncio import AsyncIOMotorClient

                client: Any = AsyncIOMotorClient(mongodb_uri)
            else:
                from pymongo import AsyncMongoClient

                client = AsyncMongoClient(mongodb_uri)
            handler = GridFSHandler(client[database_name], **options)
            app = web.Application()
            handler.add_routes(app.router, "/fs/{filename}")

            async def do_upload(request: web.Request) -> web.Response:
                file_id = await handler.upload(request, **(upload or {}))
                return web.json_response({"id": str(file_id)}, status=201)

            async def do_list(request: web.Request) -> web.Response:
                files = await handler.list()
                return web.json_response(
                    [
                        {
                            "id": str(f.id),
                            "filename": f.filename,
                            "length": f.length,
                            "content_type": f.content_type,
                        }
                        for f in files
                    ]
                )

            async def do_delete(request: web.Request) -> web.Response:
                from bson import ObjectId

                if not await handler.delete(ObjectId(request.match_info["id"])):
                    raise web.HTTPNotFound()
                return web.Response(status=204)

            async def close_client(app: web.Application) -> None:
                result = client.close()
                if hasattr(result, "__await__"):
                    await result

            app.router.add_post("/upload", do_upload)
            app.router.add_get("/list", do_list)
            app.router.add_post("/delete/{id}", do_delete)
            app.on_cleanup.append(close_client)
            app[HANDLER_KEY] = handler
            return app

        server = ServerThread(make_app)
        server.base_url = server.start()  # type: ignore[attr-defined]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
