"""``python -m demo [--host H] [--port P]``: run the demo application."""

from __future__ import annotations

import argparse
import logging

from aioweb import web

from .app import build_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description="aioweb demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(build_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
