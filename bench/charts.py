"""SVG charts of ``bench/run.py`` results: server CPU per request and req/s, per workload.

    .venv/bin/python bench/charts.py                       # chart the latest results file
    .venv/bin/python bench/charts.py bench/results/X.md    # chart these (X.svg beside each)
    .venv/bin/python bench/charts.py --all                 # every results file with tables

``bench/run.py`` calls :func:`write_chart` on the markdown it has just written, so each dated
result gets its chart beside it; this script redraws charts from results already committed.

Why the chart reads the markdown instead of the raw samples: the markdown is the record that
is committed and quoted, so a chart redrawn months later shows exactly the figures of the
table beside it (the medians, the min-max over rounds, and the per-round ratios to aiohttp),
and there is one parser to test instead of two paths to keep in agreement.

What is drawn, per workload (one row each): the server's CPU µs per request (lower is better)
and its req/s (higher is better), one bar per server at the median, a whisker from the
fastest to the slowest round, and the bar labelled with its ratio to aiohttp from the table
(aiohttp's CPU ÷ the server's, the server's req/s ÷ aiohttp's: above 1 is better in both).
Each panel has its own scale, so a workload with ten times the throughput does not flatten
the others.  ``floor`` (httptools + uvloop answering fixed bytes) is a bound, not a peer, and
at 10-40x everyone else it would flatten its row: it is left out unless asked for.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
BASE = "aiohttp"
DEFAULT_EXCLUDE = ("floor",)
TABLE_HEADER = "| server | req/s | p99 ms | CPU µs/req | x req/s | x CPU | errors |"
#: One colour per server, stable across charts (aioweb first and strongest).
COLOURS = {
    "aioweb": "#1f6feb",
    "aiohttp": "#8c959f",
    "granian": "#d4a72c",
    "uvicorn": "#2da44e",
    "floor": "#cf222e",
}
OTHER_COLOURS = ("#8250df", "#bf3989", "#57606a", "#0a3069")
_FIGURE = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)(?:\s*\(([0-9.,]+)\u2013([0-9.,]+)\))?")

__all__ = ["Spread", "Results", "Row", "Workload", "parse_results", "render", "write_chart"]


@dataclass(frozen=True)
class Spread:
    """A table cell ``median (min-max)``; min and max equal the median after one round."""

    median: float
    low: float
    high: float


@dataclass(frozen=True)
class Row:
    server: str
    rps: Spread
    cpu_us: Spread
    x_rps: float | None  # median per-round ratio to aiohttp, None when the table has none
    x_cpu: float | None


@dataclass
class Workload:
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Results:
    """What a chart needs from one results file."""

    title: str
    versions: str
    workloads: list[Workload]


def _figure(cell: str) -> Spread | None:
    """``49,096 (44,708-65,537)`` (an en dash in the file) -> Spread; no figure -> None."""
    match = _FIGURE.match(cell)
    if not match:
        return None
    median = float(match.group(1).replace(",", ""))
    if match.group(2) is None:
        return Spread(median, median, median)
    low, high = (float(match.group(i).replace(",", "")) for i in (2, 3))
    return Spread(median, low, high)


def _ratio(cell: str) -> float | None:
    figure = _figure(cell)
    return figure.median if figure else None


def parse_results(text: str) -> Results:
    """Read the workload tables of a ``bench/run.py`` results file.

    Only tables with run.py's exact header are read (memory, scale and feature sections have
    other shapes and are not charted); a row whose req/s or CPU is missing is skipped.
    """
    lines = text.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else ""
    versions = ""
    workloads: list[Workload] = []
    heading = ""
    current: Workload | None = None
    for line in lines:
        if line.startswith("- versions:"):
            versions = line.partition(":")[2].strip()
        elif line.startswith("## "):
            heading, current = line[3:].strip(), None
        elif line.strip() == TABLE_HEADER:
            current = Workload(heading.replace("`", ""))
            workloads.append(current)
        elif current is not None and line.startswith("|---"):
            continue  # the table's separator row
        elif current is not None and line.startswith("| "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 6:
                continue
            rps, cpu = _figure(cells[1]), _figure(cells[3])
            if rps is None or cpu is None:
                continue
            current.rows.append(Row(cells[0], rps, cpu, _ratio(cells[4]), _ratio(cells[5])))
        elif not line.strip():
            continue
        else:
            current = None
    return Results(title, versions, [w for w in workloads if w.rows])


def _colour(server: str, servers: list[str]) -> str:
    if server in COLOURS:
        return COLOURS[server]
    others = [s for s in servers if s not in COLOURS]
    return OTHER_COLOURS[others.index(server) % len(OTHER_COLOURS)]


def _label(value: float, ratio: float | None, unit: str, server: str) -> str:
    shown = f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    if server == BASE:
        return f"{shown} {unit} (base)"
    return f"{shown} {unit}  {ratio:.2f}\u00d7" if ratio is not None else f"{shown} {unit}"


def _panel(ax, workload: Workload, metric: str, servers: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One horizontal bar chart: a bar per server, whiskers min-max, labels with the ratio."""
    rows = [r for s in servers for r in workload.rows if r.server == s]
    ys = list(range(len(rows)))[::-1]  # first server at the top
    figures = [r.cpu_us if metric == "cpu" else r.rps for r in rows]
    medians = [f.median for f in figures]
    ax.barh(
        ys,
        medians,
        height=0.7,
        color=[_colour(r.server, servers) for r in rows],
        xerr=[[f.median - f.low for f in figures], [f.high - f.median for f in figures]],
        error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#24292f"},
    )
    right = max(f.high for f in figures) if figures else 1.0
    for y, row, fig in zip(ys, rows, figures, strict=True):
        ratio = row.x_cpu if metric == "cpu" else row.x_rps
        unit = "µs" if metric == "cpu" else "req/s"
        ax.text(fig.high + right * 0.02, y, _label(fig.median, ratio, unit, row.server),
                va="center", fontsize=8, gid=f"label-{metric}-{row.server}")  # fmt: skip
    ax.set_yticks(ys, [r.server for r in rows], fontsize=9)
    ax.set_xlim(0, right * 1.75)  # room for the labels
    ax.tick_params(axis="x", labelsize=7)
    if metric == "rps":
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x / 1000:g}k" if x else "0")
    ax.grid(axis="x", color="#d0d7de", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def render(results: Results, out: Path, exclude: tuple[str, ...] = DEFAULT_EXCLUDE) -> Path:
    """Draw ``results`` as an SVG at ``out``: a row per workload, CPU left and req/s right."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend

    servers: list[str] = []
    for w in results.workloads:
        servers += [r.server for r in w.rows if r.server not in servers + list(exclude)]
    workloads = [w for w in results.workloads if any(r.server in servers for r in w.rows)]
    if not workloads:
        raise ValueError("no workload table to chart")
    per_row = 0.42 * len(servers) + 0.75
    fig = Figure(figsize=(11, 1.1 + per_row * len(workloads)), layout="constrained")
    axes = fig.subplots(len(workloads), 2, squeeze=False)
    for (left, right), workload in zip(axes, workloads, strict=True):
        _panel(left, workload, "cpu", servers)
        _panel(right, workload, "rps", servers)
        left.set_title(f"{workload.title}: server CPU µs per request", fontsize=9, loc="left")
        right.set_title(f"{workload.title}: requests per second", fontsize=9, loc="left")
    omitted = [s for s in exclude if any(r.server == s for w in workloads for r in w.rows)]
    fig.suptitle(
        f"{results.title} — {results.versions.split(', wrk')[0]}\n"
        "label: ratio to aiohttp (aiohttp's CPU ÷ server's, server's req/s ÷ aiohttp's; "
        "above 1 is better); bar = median, whisker = min\u2013max over rounds"
        + (f"; {', '.join(omitted)} omitted (see the table)" if omitted else ""),
        fontsize=9,
        x=0.01,
        horizontalalignment="left",
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "aioweb-bench"}):
        # fonttype none: text stays text (searchable, small); hashsalt: stable ids in git diffs
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out


def write_chart(markdown: Path, exclude: tuple[str, ...] = DEFAULT_EXCLUDE) -> Path | None:
    """Chart a results file into the ``.svg`` beside it; None when it has no workload table."""
    results = parse_results(markdown.read_text())
    if not results.workloads:
        return None
    return render(results, markdown.with_suffix(".svg"), exclude)


def _charted_files() -> list[Path]:
    return sorted(p for p in RESULTS.glob("*.md") if TABLE_HEADER in p.read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path, help="results markdown (default: the latest)")
    p.add_argument("--all", action="store_true", help="every results file with workload tables")
    p.add_argument("--include-floor", action="store_true", help="also draw the floor server")
    args = p.parse_args(argv)
    files = args.files or (_charted_files() if args.all else _charted_files()[-1:])
    if not files:
        print("no results file with workload tables in bench/results/", file=sys.stderr)
        return 1
    exclude = () if args.include_floor else DEFAULT_EXCLUDE
    for markdown in files:
        out = write_chart(markdown, exclude)
        print(f"{markdown}: {out if out else 'no workload table, no chart'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
