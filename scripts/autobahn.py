"""Run the Autobahn|Testsuite fuzzing client against an aioweb WebSocket echo server.

    .venv/bin/python scripts/autobahn.py [--cases '*'] [--exclude 9.* 12.* 13.*]

Autobahn's ``wstest`` is Python 2.7 software. It is installed from PyPI
(``autobahntestsuite``) into ``.cache/autobahn`` with a Python 2.7 interpreter, found as
``$PYTHON27`` or pyenv's 2.7 (``~/.pyenv/versions/2.7*/bin/python``); without one, the script
says so and exits 0 (nothing to run). The server is aioweb's echo handler on 127.0.0.1 with no
message size limit, as the suite expects. The report lands in ``.cache/autobahn/reports``;
the summary counts each case's verdict and the exit status is 1 if any case FAILED.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "autobahn"

SERVER = """
import sys
sys.path.insert(0, {root!r})
from aioweb import web

async def echo(request):
    ws = web.WebSocketResponse(max_msg_size=0, compress={compress})
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws

app = web.Application()
app.router.add_get("/", echo)
web.run_app(app, host="127.0.0.1", port={port}, access_log=None, print=None)
"""

RUNNER = """
import site, sys
site.addsitedir({target!r})
from autobahntestsuite.wstest import run
sys.argv = ["wstest"] + sys.argv[1:]
sys.exit(run())
"""


def python27() -> str | None:
    env = os.environ.get("PYTHON27")
    if env:
        return env
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7*/bin/python")))
    return found[-1] if found else None


def install(py27: str) -> Path:
    target = CACHE / "site"
    if not (target / "autobahntestsuite").exists():
        subprocess.run(
            [py27, "-m", "pip", "install", "-q", "--target", str(target), "autobahntestsuite"],
            check=True,
            timeout=900,
        )
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="+", default=["*"])
    ap.add_argument("--exclude", nargs="*", default=["9.*", "12.*", "13.*"])
    ap.add_argument("--no-compress", action="store_true")
    args = ap.parse_args()

    py27 = python27()
    if py27 is None:
        print("autobahn: no Python 2.7 interpreter (set PYTHON27); not run")
        return 0
    target = install(py27)
    CACHE.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER.format(root=str(ROOT), port=port, compress=not args.no_compress),
        ]
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        reports = CACHE / "reports"
        spec = {
            "outdir": str(reports),
            "servers": [{"agent": "aioweb", "url": f"ws://127.0.0.1:{port}"}],
            "cases": args.cases,
            "exclude-cases": args.exclude,
            "exclude-agent-cases": {},
        }
        spec_path = CACHE / "fuzzingclient.json"
        spec_path.write_text(json.dumps(spec, indent=2))
        runner = CACHE / "wstest.py"
        runner.write_text(RUNNER.format(target=str(target)))
        subprocess.run(
            [py27, str(runner), "-m", "fuzzingclient", "-s", str(spec_path)],
            check=True,
            timeout=3000,
            stdout=subprocess.DEVNULL,
        )
    finally:
        server.terminate()
        server.wait(10)

    index = json.loads((CACHE / "reports" / "index.json").read_text())["aioweb"]
    verdicts: collections.Counter[str] = collections.Counter()
    failed = []
    for case, result in sorted(index.items()):
        verdicts[result["behavior"]] += 1
        close = result.get("behaviorClose", "OK")
        if result["behavior"] == "FAILED" or close == "FAILED":
            failed.append((case, result["behavior"], close))
    print("autobahn verdicts:", dict(verdicts), "cases:", sum(verdicts.values()))
    for case, behavior, close in failed:
        print(f"  FAILED {case}: behavior={behavior} close={close}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
