"""bench/charts.py turns a results file into an SVG that shows every workload and its ratios.

The chart is what a reader of the README looks at instead of the table, so it must carry the
same figures: each workload's title, each server's median, and the ratio to aiohttp taken from
the table (not recomputed from medians, which would disagree with the table beside it).
"""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("matplotlib")

RESULTS = """\
# Benchmark run 2026-01-02 03:04 UTC

- command: bench/run.py --workloads plaintext pipelined
- versions: aioweb @ abc1234, aiohttp 3.14.5, uvloop 0.23.0, wrk debian/4.1.0-3+b2 [epoll]

## plaintext `GET /`

| server | req/s | p99 ms | CPU µs/req | x req/s | x CPU | errors |
|---|---|---|---|---|---|---|
| aioweb | 49,096 (44,708\u201365,537) | 6.53 | 16.2 (15.0\u201317.2) | 2.47 (2.08\u20132.62) | 2.37 (2.24\u20132.44) | 0 |
| aiohttp | 21,445 (18,722\u201326,558) | 10.12 | 38.4 (36.5\u201338.5) | 1 | 1 | 0 |
| granian | 51,598 | 4.89 | 16.4 | 2.18 | 2.35 | 0 |
| floor | 156,621 | 2.91 | 5.9 | 7.47 | 6.50 | 0 |

## 16-deep pipelined plaintext

| server | req/s | p99 ms | CPU µs/req | x req/s | x CPU | errors |
|---|---|---|---|---|---|---|
| aioweb | 126,797 | \u2013 | 7.9 | 4.42 | 4.32 | 0 |
| aiohttp | 28,316 | \u2013 | 34.5 | 1 | 1 | 0 |

## Memory: RSS per idle keep-alive connection (5,000 connections)

| server | KiB per connection | base RSS MiB | opened | still open |
|---|---|---|---|---|
| aioweb | 5.10 | 20.1 | 5000 | 5000 |
"""


@pytest.fixture(scope="module")
def charts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_charts", ROOT / "bench" / "charts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_parse_reads_medians_spreads_and_ratios(charts: ModuleType) -> None:
    results = charts.parse_results(RESULTS)
    assert results.title == "Benchmark run 2026-01-02 03:04 UTC"
    assert [w.title for w in results.workloads] == [
        "plaintext GET /",
        "16-deep pipelined plaintext",
    ]  # the memory table has another shape and is not charted
    aioweb = results.workloads[0].rows[0]
    assert aioweb.server == "aioweb"
    assert aioweb.rps == charts.Spread(49096, 44708, 65537)
    assert aioweb.cpu_us == charts.Spread(16.2, 15.0, 17.2)
    assert (aioweb.x_rps, aioweb.x_cpu) == (2.47, 2.37)
    assert [r.server for r in results.workloads[1].rows] == ["aioweb", "aiohttp"]


def _texts(svg: Path) -> list[str]:
    ns = "{http://www.w3.org/2000/svg}"
    return ["".join(t.itertext()) for t in ET.parse(svg).getroot().iter(f"{ns}text")]


def test_chart_has_every_workload_and_the_ratio_labels(tmp_path: Path, charts: ModuleType) -> None:
    markdown = tmp_path / "2026-01-02-0304.md"
    markdown.write_text(RESULTS)
    out = charts.write_chart(markdown)
    assert out == tmp_path / "2026-01-02-0304.svg"
    texts = _texts(out)
    joined = "\n".join(texts)
    for workload in ("plaintext GET /", "16-deep pipelined plaintext"):
        assert f"{workload}: server CPU µs per request" in texts
        assert f"{workload}: requests per second" in texts
    # CPU panel: aiohttp's CPU ÷ the server's; req/s panel: the server's ÷ aiohttp's
    for label in ("16.2 µs  2.37\u00d7", "49,096 req/s  2.47\u00d7", "16.4 µs  2.35\u00d7",
                  "7.9 µs  4.32\u00d7", "126,797 req/s  4.42\u00d7"):  # fmt: skip
        assert label in texts, (label, texts)
    assert "38.4 µs (base)" in texts and "21,445 req/s (base)" in texts
    # floor is a bound, not a peer: left out by default, and the caption says so
    assert "floor" not in [t for t in texts if "omitted" not in t]
    assert "floor omitted" in joined
    assert "aioweb @ abc1234, aiohttp 3.14.5" in joined and "wrk" not in joined


def test_floor_can_be_included(tmp_path: Path, charts: ModuleType) -> None:
    results = charts.parse_results(RESULTS)
    out = charts.render(results, tmp_path / "with-floor.svg", exclude=())
    assert "156,621 req/s  7.47\u00d7" in _texts(out)


def test_a_file_without_workload_tables_gets_no_chart(tmp_path: Path, charts: ModuleType) -> None:
    markdown = tmp_path / "probes.md"
    markdown.write_text(
        "# probes\n\n| case | aioweb | aiohttp |\n|---|---|---|\n| a | 400 | 400 |\n"
    )
    assert charts.write_chart(markdown) is None
    assert not markdown.with_suffix(".svg").exists()
