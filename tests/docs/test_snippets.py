"""Every Python block of the documentation runs (docs/*.md, README.md).

Each fenced ```` ```python ```` block is run in a fresh interpreter by ``snippet_runner.py``:

* a block with ``if __name__ == "__main__": web.run_app(...)`` is started as a program on a
  port chosen here; it must answer an HTTP request and then stop cleanly on SIGINT (exit 0);
* any other block is run as a module; after it ran, each dotted name it spells from an imported
  module or class must exist (``web.WSMsgType.TEXT``), even inside functions never called;
* before either, ruff's undefined-name check (F821) reads the block: a handler body that uses a
  name nobody defined fails even though running the module never calls it.

An HTML comment right before a block changes that (invisible on the rendered page):
``<!-- snippet: WORD ... -->`` with the words

* ``continue``: the block continues the previous Python block of the same page (it runs after
  it, in the same namespace);
* ``web`` / ``app``: the block assumes ``from aioweb import web`` / and ``app =
  web.Application()`` (a fragment of a larger application, as pages show them);
* ``pytest``: the block holds tests: run them with pytest (the aioweb plugin's fixtures);
* ``get=/path``: the path a served block is asked for (default ``/``);
* ``fragment``: only compiled and checked for undefined names, not run. Use it only for what
  cannot run here (none today).

Each block runs in an empty temporary directory that holds a ``static/`` directory (the pages'
``add_static`` examples serve one). Blocks are padded with blank lines so that line numbers in a failure are the page's.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("snippet_runner.py")
RUFF = Path(sys.executable).with_name("ruff")  # the venv's, installed with the dev extra
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
MARKER = re.compile(r"<!--\s*snippet:([^<>]*)-->\s*\Z")
SERVES = re.compile(r"^if __name__ == .__main__.:\n(?:[ \t]+.*\n)*?[ \t]+.*run_app\(", re.M)
WORDS = {"continue", "web", "app", "pytest", "fragment"}
PRELUDES = {
    "web": "from aioweb import web",
    "app": "from aioweb import web; app = web.Application()",
}


@dataclass
class Snippet:
    page: Path
    line: int  # of the opening fence
    code: str
    words: set[str] = field(default_factory=set)
    get: str = "/"
    previous: Snippet | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def source(self) -> str:
        """The code, with what it continues and its prelude, on the page's line numbers."""
        text = self.previous.source() if "continue" in self.words and self.previous else ""
        prelude = [PRELUDES[w] for w in ("web", "app") if w in self.words]
        padding = self.line - text.count("\n") - len(prelude)
        assert padding >= 0, f"{self.name}: no room for the prelude"
        return text + "".join(p + "\n" for p in prelude) + "\n" * padding + self.code

    @property
    def serves(self) -> bool:
        return bool(SERVES.search(self.code))


def extract(page: Path) -> list[Snippet]:
    text = page.read_text()
    found: list[Snippet] = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        snippet = Snippet(page, before.count("\n") + 1, match.group(1))
        marker = MARKER.search(before.rstrip("\n"))
        if marker:
            for word in marker.group(1).split():
                if word.startswith("get="):
                    snippet.get = word[4:]
                else:
                    assert word in WORDS, f"{snippet.name}: unknown snippet word {word!r}"
                    snippet.words.add(word)
        snippet.previous = found[-1] if found else None
        found.append(snippet)
    return found


SNIPPETS = [s for page in PAGES for s in extract(page)]


def test_the_pages_have_snippets() -> None:
    """A fence the pattern stopped matching would silently test nothing."""
    assert len(SNIPPETS) >= 25
    assert {s.page.name for s in SNIPPETS} >= {"README.md", "getting-started.md", "limits.md"}


def _undefined_names(snippet: Snippet) -> str:
    """ruff's F821 (the ``.py`` name: ruff skips a file it does not take for Python)."""
    result = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "F821,F822,F823",
         "--output-format", "concise", "--stdin-filename", f"{snippet.page.name}.py", "-"],
        input=snippet.source(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "" if result.returncode == 0 else result.stdout


def _run(snippet: Snippet, tmp_path: Path, mode: str, *extra: str) -> subprocess.Popen[str]:
    (tmp_path / "static").mkdir(exist_ok=True)  # what `add_static("/static", "static/")` serves
    source = tmp_path / "snippet.py"
    source.write_text(snippet.source())
    return subprocess.Popen(
        [sys.executable, RUNNER, mode, source, str(snippet.page.relative_to(ROOT)), *extra],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its workers too can be stopped as a group if it hangs
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, deadline: float) -> int:
    """Status of ``GET path``, retried until the server listens or ``deadline`` passes."""
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: docs\r\n\r\n".encode())
                line = sock.makefile("rb").readline()
                return int(line.split()[1])
        except (ConnectionRefusedError, IndexError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return -1, out + "\n(killed: did not finish in time)"
    return proc.returncode, out


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.name)
def test_snippet(snippet: Snippet, tmp_path: Path) -> None:
    compile(snippet.source(), str(snippet.page), "exec")
    assert not (problems := _undefined_names(snippet)), problems
    if "fragment" in snippet.words:
        return
    if not snippet.serves:
        code, out = _finish(_run(snippet, tmp_path, "module"), timeout=60)
        assert code == 0, out
        if "pytest" in snippet.words:
            _run_tests(snippet, tmp_path)
        return
    port = _free_port()
    proc = _run(snippet, tmp_path, "serve", str(port))
    try:
        status = _get(port, snippet.get, time.monotonic() + 30)
    except OSError as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(
            f"{snippet.name} did not serve: {exc}\n{proc.communicate()[0]}"
        ) from exc
    assert status < 500, f"GET {snippet.get}: {status}"
    proc.send_signal(signal.SIGINT)
    code, out = _finish(proc, timeout=30)
    assert code == 0, out


def _run_tests(snippet: Snippet, tmp_path: Path) -> None:
    test_file = tmp_path / "test_snippet.py"
    test_file.write_text(snippet.source())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout, result.stdout
