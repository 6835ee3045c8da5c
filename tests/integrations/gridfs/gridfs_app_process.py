"""Serve a GridFS bucket at /fs/{filename} in a process of its own (for RSS measurements).

python gridfs_app_process.py MONGODB_URI DATABASE PORT
"""

from __future__ import annotations

import sys

from pymongo import AsyncMongoClient

from aioweb import web
from aioweb.integrations.gridfs import GridFSHandler


def main() -> None:
    uri, database, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

    async def make_app() -> web.Application:
        app = web.Application()
        GridFSHandler(AsyncMongoClient(uri)[database]).add_routes(app.router, "/fs/{filename}")
        return app

    web.run_app(make_app(), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
