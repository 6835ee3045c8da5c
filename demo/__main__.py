"""``python -m demo [--host H] [--port P]``: run the demo application."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aioweb import web
from aioweb.integrations import aiohttp_compat

# First, before any page imports a plugin: aiohttp's plugins (the plugins page) see aioweb
aiohttp_compat.enable()

from .app import build_app  # noqa: E402

SHUTDOWN_TIMEOUT = 10.0  # seconds requests in flight get to finish after Ctrl-C


async def one_ctrl_c_is_enough(app: web.Application) -> None:
    """``on_startup``: the first Ctrl-C stops the server gracefully; later ones only say so.

    run_app answers every SIGINT by raising ``GracefulExit``; a second one while the first
    shutdown runs escapes run_app's clean-up, which then closes the event loop with the
    shutdown half done ("Task was destroyed but it is pending!", ``on_cleanup`` never run, so
    this demo's temporary folders left behind).  Here the first press swaps in a handler that
    only prints, so the shutdown always finishes: within SHUTDOWN_TIMEOUT seconds.
    """
    loop = asyncio.get_running_loop()

    def again() -> None:
        print(
            f"demo: already stopping (requests in flight get up to {SHUTDOWN_TIMEOUT:.0f} s)",
            file=sys.stderr,
        )

    def first() -> None:
        loop.add_signal_handler(signal.SIGINT, again)
        raise web.GracefulExit()

    try:
        loop.add_signal_handler(signal.SIGINT, first)
    except (NotImplementedError, RuntimeError):  # no loop signal handlers (Windows)
        pass


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description="aioweb demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = build_app()
    app.on_startup.append(one_ctrl_c_is_enough)
    web.run_app(app, host=args.host, port=args.port, shutdown_timeout=SHUTDOWN_TIMEOUT)


if __name__ == "__main__":
    main()
