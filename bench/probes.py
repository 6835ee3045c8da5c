"""Hostile-input probes of issue 11, against aioweb and aiohttp side by side (run on demand).

    .venv/bin/python bench/probes.py [--servers aioweb aiohttp] [--only TEXT] [--no-write]

Both servers run ``bench/apps/robust_app.py`` (the same app; only the import differs) in their
own subprocess on 127.0.0.1, at their defaults.  Every case of ``bench/probe_cases.py`` is sent
as exact bytes over a raw socket; for each we record the status line(s) the server sent (or
that it closed / reset the connection / let the probe's cap run out), the time until it closed,
and whether the server still answers a normal ``GET /`` afterwards (a server that died is
restarted, and the row says so).  Tracebacks the server logged during a probe are counted.

Order: first the four slow clients of item 2, all at once against each server (12 s cap each),
with a bystander that sends ``GET /`` every 0.25 s meanwhile; then every other case one at a
time, the two servers in parallel.  The whole run takes about a minute.

Each row is judged against what the issue requires of aioweb (PASS/FAIL); aiohttp's cell is
marked with ✗ where aiohttp does not meet that.  The table is printed and written to
``bench/results/<date>-probes.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

import probe_shutdown
from probe_cases import (
    ORACLE_PAIRS,
    SLOW_CAP,
    Case,
    Outcome,
    Response,
    fast_cases,
    slow_cases,
)
from robust import (
    FRAMEWORKS,
    RunningServer,
    load_average,
    log_errors,
    log_size,
    peak_rss,
    start,
    static_tree,
    versions,
    write_results,
)

SETTLE = 0.3  # after the awaited responses: how long to wait to see whether the server closes
HEALTH = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


# --------------------------------------------------------------------------- raw HTTP


def _chunked(buf: bytes, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None while incomplete."""
    body = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(buf[pos:eol].split(b";")[0], 16)
        except ValueError:
            return bytes(body), len(buf)  # garbage: take what there is
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            return (bytes(body), end + 4) if end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        pos += size + 2


def parse_responses(buf: bytes, at_eof: bool) -> list[Response]:
    """The responses in ``buf``; at EOF an unfinished one is kept, marked incomplete."""
    out: list[Response] = []
    pos = 0
    while (end := buf.find(b"\r\n\r\n", pos)) >= 0:
        lines = buf[pos:end].decode("latin-1").split("\r\n")
        line = lines[0]
        try:
            status = int(line.split(" ", 2)[1])
        except (IndexError, ValueError):
            status = 0
        headers = {}
        for h in lines[1:]:
            name, _, value = h.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        body: bytes | None
        nxt = start
        if 100 <= status < 200 or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            got = _chunked(buf, start)
            body, nxt = got if got else (None, len(buf))
        elif (length := headers.get("content-length", "")).isdigit():
            nxt = start + int(length)
            body = buf[start:nxt] if len(buf) >= nxt else None
        else:  # delimited by the close
            body, nxt = (buf[start:], len(buf)) if at_eof else (None, len(buf))
        if body is None:
            if at_eof:
                out.append(Response(status, line, headers, buf[start:], complete=False))
            break
        out.append(Response(status, line, headers, body))
        if status == 101:
            break  # what follows is another protocol
        pos = nxt
    return out


async def _send(writer: asyncio.StreamWriter, case: Case) -> None:
    try:
        if isinstance(case.send, bytes):
            writer.write(case.send)
            await writer.drain()
        else:
            await case.send(writer)
    except (ConnectionError, OSError):
        pass  # the server closed on us: the reader side records how


async def exchange(port: int, case: Case) -> Outcome:
    """Send ``case`` on a fresh connection and watch the connection until it settles."""
    out = Outcome()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    t0 = time.monotonic()
    sender = asyncio.create_task(_send(writer, case))
    buf = bytearray()
    deadline = t0 + case.cap
    while True:
        now = time.monotonic()
        if now >= deadline:
            done = sum(r.final and r.complete for r in out.responses) >= case.responses
            out.end = "open" if done else "timeout"
            break
        try:
            data = await asyncio.wait_for(reader.read(1 << 16), deadline - now)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            out.end = "reset"
            break
        if not data:
            out.end = "closed"
            break
        buf += data
        out.responses = parse_responses(bytes(buf), at_eof=False)
        finals = sum(r.final for r in out.responses)
        if finals >= case.responses and deadline > time.monotonic() + SETTLE:
            deadline = time.monotonic() + SETTLE
    out.seconds = time.monotonic() - t0
    out.raw = bytes(buf)
    out.responses = parse_responses(out.raw, at_eof=out.end != "open")
    sender.cancel()
    writer.close()
    return out


async def healthy(port: int, timeout: float = 3.0) -> tuple[bool, float]:
    """Does ``GET /`` on a new connection get its 200?  And how long did it take?"""
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        try:
            writer.write(HEALTH)
            data = await asyncio.wait_for(reader.read(), timeout)
        finally:
            writer.close()
    except (OSError, TimeoutError):
        return False, time.monotonic() - t0
    return data.startswith(b"HTTP/1.1 200"), time.monotonic() - t0


# --------------------------------------------------------------------------- one server


class Target:
    """One framework's server; restarted if a probe kills it."""

    def __init__(self, framework: str, root: Path, tree: Path | None = None) -> None:
        self.framework = framework
        self.root = root
        self.tree = tree  # import this framework from here instead of the checkout
        self.server: RunningServer = start(framework, root, tree)
        self.restarts = 0

    @property
    def port(self) -> int:
        return self.server.port

    async def ensure_up(self) -> bool:
        """Restart the server if it exited; True when it had been running."""
        if self.server.proc.poll() is None:
            return True
        self.server.stop()
        self.server = await asyncio.to_thread(start, self.framework, self.root, self.tree)
        self.restarts += 1
        return False

    async def probe(self, case: Case) -> Outcome:
        offset = log_size(self.server)
        hwm = peak_rss(self.server)
        try:
            out = await exchange(self.port, case)
        except (OSError, TimeoutError) as exc:
            out = Outcome(end=f"connect failed ({type(exc).__name__})")
        await asyncio.sleep(0.05)  # let a dying server die before we look
        out.peak_growth = max(0, peak_rss(self.server) - hwm)
        out.alive, _ = await healthy(self.port)
        out.log_errors = log_errors(self.server, offset)
        out.down = not await self.ensure_up()
        if out.down:
            out.alive = False
        return out

    async def slow_group(self, cases: list[Case]) -> tuple[dict[str, Outcome], str]:
        """All slow clients at once, with a bystander timing ``GET /`` meanwhile."""
        stop = asyncio.Event()
        latencies: list[float] = []
        failures = 0

        async def bystander() -> None:
            nonlocal failures
            while not stop.is_set():
                ok, took = await healthy(self.port)
                latencies.append(took)
                failures += not ok
                await asyncio.sleep(0.25)

        watcher = asyncio.create_task(bystander())
        offset = log_size(self.server)
        results = await asyncio.gather(*(exchange(self.port, c) for c in cases))
        stop.set()
        await watcher
        errors = log_errors(self.server, offset)
        alive, _ = await healthy(self.port)
        down = not await self.ensure_up()
        outcomes = {}
        for case, out in zip(cases, results, strict=True):
            out.alive, out.down = alive and not down, down
            outcomes[case.name] = out
        ok = len(latencies) - failures
        worst = max(latencies, default=0.0) * 1000
        summary = f"{ok}/{len(latencies)} answered, slowest {worst:.0f} ms"
        if failures:
            summary = f"**{summary}**"
        if errors:  # the slow clients ran together: the log cannot say whose it was
            summary += f", {errors} traceback(s) logged meanwhile"
        return outcomes, summary

    def stop(self) -> None:
        self.server.stop()


# --------------------------------------------------------------------------- report


@dataclass
class Row:
    name: str
    item: str
    expect: str
    cells: dict[str, str]
    verdicts: dict[str, bool]


def judge(case: Case, out: Outcome) -> bool:
    return out.alive and not out.down and case.check(out)


def oracle_rows(outcomes: dict[str, dict[str, Outcome]], frameworks: list[str]) -> list[Row]:
    """Rows for pairs of static paths that must answer alike (no existence oracle)."""
    rows = []
    for a, b in ORACLE_PAIRS:
        cells, verdicts = {}, {}
        for fw in frameworks:
            oa, ob = outcomes[fw].get(a), outcomes[fw].get(b)
            if oa is None or ob is None:
                continue
            same = oa.status == ob.status
            cells[fw] = f"{oa.status} vs {ob.status}"
            verdicts[fw] = same
        if cells:
            rows.append(
                Row(
                    f"no existence oracle: {a.split(' ', 1)[1]} vs missing",
                    "1",
                    "identical answers",
                    cells,
                    verdicts,
                )
            )
    return rows


def table(rows: list[Row], frameworks: list[str]) -> str:
    head = "| # | probe | " + " | ".join(frameworks) + " | expected (aioweb) | aioweb |"
    sep = "| --- | --- | " + " | ".join("---" for _ in frameworks) + " | --- | --- |"
    lines = [head, sep]
    for r in rows:
        cells = []
        for fw in frameworks:
            cell = r.cells.get(fw, "not run")
            if fw != "aioweb" and fw in r.verdicts and not r.verdicts[fw]:
                cell += " ✗"
            cells.append(cell.replace("|", "\\|"))
        verdict = r.verdicts.get("aioweb")
        mark = "not run" if verdict is None else ("PASS" if verdict else "**FAIL**")
        lines.append(f"| {r.item} | {r.name} | " + " | ".join(cells) + f" | {r.expect} | {mark} |")
    return "\n".join(lines)


def report(rows: list[Row], frameworks: list[str], bystanders: dict[str, str], meta: str) -> str:
    total = len(rows)
    lines = [
        f"# Hostile-input probes (issue 11) — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        meta,
        "",
    ]
    for fw in frameworks:
        ok = sum(r.verdicts.get(fw, False) for r in rows)
        lines.append(f"- {fw}: meets the expectation on {ok}/{total} probes")
    lines += [
        "",
        "Cells: status line(s) received · how the connection ended and when (`closed`/`reset` "
        "by the server, `timeout` = no complete answer by the probe's cap, `kept open` = "
        "keep-alive) · warnings (tracebacks logged, growth of the server's peak RSS when "
        "≥ 4 MiB, server died, no longer answers `GET /`). A FAIL shows the start of 2xx "
        "bodies. ✗ marks an aiohttp cell that misses what is expected of aioweb. "
        "# = issue 11 item.",
        "",
        table(rows, frameworks),
        "",
        "Bystander during the slow clients (fresh `GET /` every 0.25 s): "
        + "; ".join(f"{fw}: {s}" for fw, s in bystanders.items()),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


async def run(
    frameworks: list[str], only: str | None, aioweb_tree: Path | None
) -> tuple[list[Row], dict[str, str]]:
    slow = [c for c in slow_cases() if not only or only in c.name]
    fast = [c for c in fast_cases() if not only or only in c.name]
    outcomes: dict[str, dict[str, Outcome]] = {fw: {} for fw in frameworks}
    bystanders: dict[str, str] = {}
    with static_tree() as root:
        targets = await asyncio.gather(
            *(
                asyncio.to_thread(Target, fw, root, aioweb_tree if fw == "aioweb" else None)
                for fw in frameworks
            )
        )
        try:
            if slow:
                print(
                    f"slow clients: {len(slow)} at once per server, {SLOW_CAP:.0f} s cap",
                    flush=True,
                )
                groups = await asyncio.gather(*(t.slow_group(slow) for t in targets))
                for t, (outs, summary) in zip(targets, groups, strict=True):
                    outcomes[t.framework].update(outs)
                    bystanders[t.framework] = summary

            async def series(t: Target) -> None:
                for case in fast:
                    outcomes[t.framework][case.name] = await t.probe(case)

            print(f"{len(fast)} probes, one at a time per server", flush=True)
            await asyncio.gather(*(series(t) for t in targets))
        finally:
            for t in targets:
                t.stop()
        shutdown = None
        if not only or only in probe_shutdown.NAME:
            print("SIGTERM while connecting: fresh servers, 3 rounds each", flush=True)
            shutdown = await asyncio.gather(
                *(probe_shutdown.shutdown_probe(t.framework, root, t.tree) for t in targets)
            )
    rows = []
    for case in [*slow, *fast]:
        cells, verdicts = {}, {}
        for fw in frameworks:
            out = outcomes[fw].get(case.name)
            if out is not None:
                verdicts[fw] = judge(case, out)
                cells[fw] = out.cell(bodies=not verdicts[fw])
        rows.append(Row(case.name, case.item, case.expect, cells, verdicts))
    rows += oracle_rows(outcomes, frameworks)
    if shutdown:
        cells = {fw: cell for fw, (cell, _) in zip(frameworks, shutdown, strict=True)}
        verdicts = {fw: ok for fw, (_, ok) in zip(frameworks, shutdown, strict=True)}
        rows.append(Row(probe_shutdown.NAME, "7", probe_shutdown.EXPECT, cells, verdicts))
    return rows, bystanders


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--servers", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    p.add_argument("--only", help="run only the probes whose name contains this text")
    p.add_argument("--no-write", action="store_true", help="print only; write no results file")
    p.add_argument(
        "--aioweb-tree",
        type=Path,
        help="import aioweb from this directory instead (e.g. an older revision extracted with "
        "`git archive REV aioweb | tar -x -C DIR`), to see what a change fixed",
    )
    args = p.parse_args(argv)
    t0 = time.monotonic()
    load = load_average()
    rows, bystanders = asyncio.run(run(args.servers, args.only, args.aioweb_tree))
    origin = f" aioweb imported from {args.aioweb_tree}." if args.aioweb_tree else ""
    meta = (
        f"{versions()}.{origin} Load average {load} at the start, {load_average()} at the end; "
        f"run took {time.monotonic() - t0:.0f} s. Command: `.venv/bin/python bench/probes.py`."
    )
    text = report(rows, args.servers, bystanders, meta)
    print("\n" + text)
    if not args.no_write and not args.only and not args.aioweb_tree:
        print(f"written to {write_results('probes', text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
