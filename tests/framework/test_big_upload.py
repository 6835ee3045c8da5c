"""A 1 GiB multipart upload streamed to disk by the seed's handler keeps the server's memory
flat: peak RSS grows by less than 50 MiB. The server runs in its own process (so the client's
memory does not count) and curl sends the file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from bodies_util import free_port

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]
HERE = Path(__file__).resolve().parent
GIB = 1024**3


def rss(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/rss", timeout=10) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def upload(port: int, path: Path, name: str) -> str:
    out = subprocess.run(
        ["curl", "-s", "--max-time", "200", "-F", "name=big", "-F", f"mp3=@{path};filename={name}",
         f"http://127.0.0.1:{port}/mp3"],
        capture_output=True, check=True,
    )  # fmt: skip
    return out.stdout.decode()


def test_one_gib_upload_keeps_memory_flat(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    source = tmp_path / "big.bin"
    with open(source, "wb") as f:  # sparse: no disk space, reads as zeros
        f.truncate(GIB)
    (tmp_path / "small.bin").write_bytes(os.urandom(100_000))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE.parent / "upload_server.py"), str(port), str(spool)],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        # warm up (imports, first request) before taking the baseline
        assert "sized of 100000" in upload(port, tmp_path / "small.bin", "small.mp3")
        base = rss(port)
        start = time.monotonic()
        text = upload(port, source, "big.mp3")
        elapsed = time.monotonic() - start
        assert text == f"big.mp3 sized of {GIB} successfully stored (big)", text
        after = rss(port)
        growth_mib = (after["VmHWM"] - base["VmRSS"]) / 1024
        print(f"1 GiB upload: {elapsed:.1f} s, peak RSS growth {growth_mib:.1f} MiB")
        assert growth_mib < 50, (base, after)
        assert (spool / "big.mp3").stat().st_size == GIB
    finally:
        proc.terminate()
        proc.wait(10)
        for f in spool.iterdir():
            f.unlink()
