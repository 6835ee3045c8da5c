#!/usr/bin/env python3
"""Run aiohttp 3.14.5's own server tests against aioweb (issue 13, "the measure").

The tests come from aiohttp's sdist at run time (nothing of aiohttp is committed): the sdist is
downloaded once with pip into ``.cache/aiohttp-suite/`` (git-ignored) and checked against its
sha256; the suite's own test dependencies (pytest-mock, freezegun, blockbuster, trustme, ...) are
installed once into ``.cache/venvs/aiohttp-suite`` (their pins taken from the sdist's
requirements/*.txt; a separate venv so those pins and aiohttp's pytest configuration never meet
ours, and so aioweb's pytest11 entry point is not auto-loaded next to the suite's conftest).
aioweb reaches that venv through PYTHONPATH (a directory holding only a link to this checkout's
``aioweb/``; the compiled modules are built for the same CPython 3.11).

The test files' server-side imports are rewritten to aioweb (scripts/aiohttp_suite_rewrite.py);
aiohttp's client stays aiohttp.  Each test's outcome is compared with the ledger of expected
differences, tests/compat/aiohttp_ledger.toml, which also lists (``[[excluded]]``) the tests of
aiohttp's private internals that are not run.

    python scripts/aiohttp_suite.py                 # aioweb, compared with the ledger
    python scripts/aiohttp_suite.py --baseline      # the same tests on aiohttp itself
    python scripts/aiohttp_suite.py --lookthrough   # triage: import past missing aliases
    python scripts/aiohttp_suite.py --write-ledger  # known entries kept, new ones pending
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiohttp_suite_causes import CAUSES, classify  # noqa: E402
from aiohttp_suite_rewrite import SERVER_MODULES, rewrite  # noqa: E402

VERSION = "3.14.5"
SDIST_SHA256 = "5558a7f5a05af9ecf744af91e5baefc436f93c9333e656c27ec253f9a6bbe178"
CACHE = ROOT / ".cache" / "aiohttp-suite"
VENV = ROOT / ".cache" / "venvs" / "aiohttp-suite"
LEDGER = ROOT / "tests" / "compat" / "aiohttp_ledger.toml"

MODULES = (
    "test_web_functional",
    "test_web_urldispatcher",
    "test_web_websocket_functional",
    "test_web_sendfile_functional",
    "test_web_middleware",
    "test_web_server",
    "test_web_log",
    "test_run_app",
    "test_web_runner",
    "test_web_app",
    "test_web_exceptions",
    "test_route_def",
    "test_classbasedview",
    "test_web_request",
    "test_web_response",
    "test_urldispatch",
)

# The suite's venv: aiohttp and its runtime pins (requirements/base.txt), the test pins
# (requirements/test-common.txt) the 16 modules and the conftest use, and aioweb's own runtime
# dependency not already among them (httptools).
REQUIREMENTS = (
    f"aiohttp=={VERSION}",
    "aiohappyeyeballs==2.6.2",
    "aiosignal==1.4.0",
    "attrs==26.1.0",
    "frozenlist==1.8.0",
    "multidict==6.7.1",
    "propcache==0.5.2",
    "yarl==1.25.1",
    "brotli==1.2.0",
    "backports-zstd==1.3.0",
    "uvloop==0.22.1",
    "pytest==9.0.3",
    "coverage==7.14.1",  # named by a filterwarnings line of its pytest.ini
    "pytest-mock==3.15.1",
    "pytest-timeout==2.4.0",
    "pytest-xdist==3.8.0",
    "freezegun==1.5.5",
    "blockbuster==1.5.26",
    "trustme==1.2.1",
    "isal==1.8.0",
    "zlib-ng==1.0.0",
    "httptools>=0.6",
)

FAILING = ("failed", "error")
# aiohttp's own addopts less coverage, doctests and ``-n auto``; its markers filter kept; a 15 s
# per-test timeout (its slowest test takes 2 s here; a hang on aioweb must not cost 120 s).
# --tb=native: pytest's own traceback style re-parses sources with ast, which CPython 3.11.7 can
# fail inside ("AST constructor recursion depth mismatch"), crashing an xdist worker and the run.
ADDOPTS = '-ra -p no:cacheprovider --timeout 15 --tb=native -m "not dev_mode and not autobahn and not internal"'


def _log(msg: str) -> None:
    print(f"aiohttp_suite: {msg}", file=sys.stderr, flush=True)


def sdist() -> Path:
    """The aiohttp sdist, downloaded with pip on first use and checked against its sha256.

    pip prepares an sdist's metadata even to download it; with build isolation it fetches
    aiohttp's build requirements (setuptools >= 77, pkgconfig) for that, so the download does not
    depend on the setuptools of any venv here (the suite venv's bundled one is too old).
    """
    path = CACHE / f"aiohttp-{VERSION}.tar.gz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        _log(f"downloading aiohttp {VERSION} sdist")
        subprocess.run(
            [str(venv()), "-m", "pip", "download", f"aiohttp=={VERSION}", "--no-deps",
             "--no-binary", ":all:", "-q", "-d", str(CACHE)],
            check=True, env=_pip_env(),
        )  # fmt: skip
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        path.unlink()
        raise SystemExit(f"aiohttp sdist sha256 {digest} != {SDIST_SHA256}; removed, run again")
    return path


def _pip_env() -> dict[str, str]:
    """pip's environment: its download cache under .cache/ (git-ignored, kept between runs)."""
    return {**os.environ, "PIP_CACHE_DIR": str(ROOT / ".cache" / "pip")}


def venv() -> Path:
    """The suite's Python, its venv built once per requirements set."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements"
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    _log(f"creating {VENV.relative_to(ROOT)}")
    shutil.rmtree(VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    cmd = [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS]
    subprocess.run(cmd, check=True, env=_pip_env())
    stamp.write_text(wanted)
    return python


def _pytest_ini(source: str) -> str:
    """aiohttp's pytest.ini with our addopts: no coverage, doctests or ``-n auto`` (we pass -n)."""
    out, skipping = [], False
    for line in source.splitlines():
        if line.startswith("addopts"):
            skipping = True
            out.append(f"addopts = {ADDOPTS}")
            continue
        if skipping and (not line.strip() or line[0] in " \t#"):
            continue
        skipping = False
        out.append(line)
        if line.strip() == "error":  # filterwarnings: the later line wins
            # a checkout mid-edit runs a module's source instead of its stale compiled build
            out.append("  ignore:.*was built from another version of:RuntimeWarning")
    return "\n".join(out) + "\n"


def prepare(kind: str) -> Path:
    """A fresh copy of the suite, rewritten when kind is aioweb: .cache/aiohttp-suite/<kind>-<pid>
    (one per run, so a run by hand and the test's run never share files)."""
    work = CACHE / f"{kind}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    prefix = f"aiohttp-{VERSION}/"
    with tarfile.open(sdist()) as tar:
        for member in tar.getmembers():
            name = member.name[len(prefix) :]
            # tests/, pytest.ini and the top-level files (a traversal test reads ../README.rst)
            if not (name.startswith("tests/") or "/" not in name) or not member.isfile():
                continue
            dest = work / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
    ini = work / "pytest.ini"
    ini.write_text(_pytest_ini(ini.read_text()))
    if kind == "aioweb":
        for module in (*MODULES, "conftest"):
            path = work / "tests" / f"{module}.py"
            path.write_text(rewrite(path.read_text(), conftest=module == "conftest"))
    pypath = work / "pypath"
    pypath.mkdir()
    shutil.copy(Path(__file__).with_name("aiohttp_suite_plugin.py"), pypath)
    if kind == "aioweb":
        (pypath / "aioweb").symlink_to(ROOT / "aioweb")
    return work


def read_ledger(path: Path = LEDGER) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(excluded test ids -> reason, expected-failure test ids -> their entry) from the ledger."""
    if not path.exists():
        return {}, {}
    data = tomllib.loads(path.read_text())
    excluded = {e["test"]: e["reason"] for e in data.get("excluded", [])}
    expected = {e["test"]: e for e in data.get("expected", [])}
    return excluded, expected


def _short(message: str) -> str:
    """The line of a failure message that says what went wrong (pytest's ``E`` line)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    line = errors[-1] if errors else lines[0] if lines else ""
    return re.sub(r" \((/|unknown location)[^)]*\)", "", line)[:160]  # no paths of one run


def write_ledger(path: Path, result: dict[str, tuple[str, str]]) -> None:
    """The ledger with today's failures: known entries kept, new ones ``pending``/classified."""
    excluded, expected = read_ledger(path)
    head = (
        [line for line in path.read_text().splitlines() if line.startswith("#")]
        if path.exists()
        else []
    )
    out = ["\n".join(head), ""]
    for test_id, reason in sorted(excluded.items()):
        out += [
            "[[excluded]]",
            f"test = {json.dumps(test_id)}",
            f"reason = {json.dumps(reason)}",
            "",
        ]
    for test_id in sorted(t for t, (o, _) in result.items() if o in FAILING):
        cause = classify(test_id, result[test_id][1])
        kind = "deliberate" if cause.startswith("deliberate") else "pending"
        entry = expected.get(test_id) or {
            "kind": "environment" if cause == "environment" else kind,
            "cause": cause,
            "reason": _short(result[test_id][1]),
        }
        out += ["[[expected]]", f"test = {json.dumps(test_id)}"]
        out += [f"{k} = {json.dumps(entry[k])}" for k in ("kind", "cause", "reason")]
        out.append("")
    path.write_text("\n".join(out))


def normalize(nodeid: str) -> str:
    """A test id without the ``tests/`` prefix and the ``pyloop`` loop parameter."""
    nodeid = nodeid.removeprefix("tests/")
    for part in ("[pyloop]", "-pyloop]", "[pyloop-"):
        nodeid = nodeid.replace(part, {"[pyloop]": "", "-pyloop]": "]", "[pyloop-": "["}[part])
    return nodeid


def outcomes(records: list[dict]) -> dict[str, tuple[str, str]]:
    """Each test's final outcome (passed, failed, error, skipped, xfailed, xpassed) and message."""
    result: dict[str, tuple[str, str]] = {}
    for rec in records:
        test_id = normalize(rec["nodeid"])
        old = result.get(test_id, ("passed", ""))
        when, outcome = rec["when"], rec["outcome"]
        if when == "collect":
            result[test_id] = ("error", rec["message"])
        elif outcome == "failed":
            state = "failed" if when == "call" else "error"
            if old[0] not in FAILING:
                result[test_id] = (state, rec["message"])
        elif outcome == "skipped" and old[0] not in FAILING:
            result[test_id] = ("xfailed" if rec["xfail"] else "skipped", rec["message"])
        elif when == "call" and old[0] not in FAILING:
            result[test_id] = ("xpassed" if rec["xfail"] else "passed", "")
    return result


def run(
    kind: str, modules: tuple[str, ...], workers: int, lookthrough: bool = False, keep: bool = False
) -> dict:
    """Run the suite on ``kind`` (aioweb or aiohttp); the outcome per test id."""
    python = venv()
    work = prepare(kind)
    results = work / "results.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": str(work / "pypath"),
        "AIOHTTP_SUITE_RESULTS": str(results),
        "AIOHTTP_SUITE_MODULES": ",".join(sorted(SERVER_MODULES)),
        "AIOHTTP_SUITE_LOOKTHROUGH": "1" if lookthrough else "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [str(python), "-m", "pytest", "-p", "aiohttp_suite_plugin", "-q", "--no-header"]
    cmd += ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
    for test_id in read_ledger()[0]:
        cmd += ["--deselect", f"tests/{test_id}"]
    cmd += [f"tests/{m}.py" for m in modules]
    _log(f"running {len(modules)} modules on {kind} with -n {workers}")
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=1500)
    # the last run's output, results and look-through fallbacks stay for a reader
    (CACHE / f"output-{kind}.txt").write_text(proc.stdout + proc.stderr)
    for path in (results, Path(f"{results}.fallbacks")):
        if path.exists():
            shutil.copy(path, CACHE / f"{path.name.replace('results', f'results-{kind}')}")
    records = [json.loads(x) for x in results.read_text().splitlines()] if results.exists() else []
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    _log(f"{kind}: pytest exit {proc.returncode} in {time.monotonic() - started:.0f} s")
    if not records:
        raise RuntimeError(f"no results; see {CACHE / f'output-{kind}.txt'}")
    return outcomes(records)


def module_counts(result: dict[str, tuple[str, str]]) -> dict[str, collections.Counter]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for test_id, (outcome, _) in result.items():
        counts[test_id.split("::", 1)[0].removesuffix(".py")][outcome] += 1
    return counts


def compare(result: dict[str, tuple[str, str]], ledger: dict[str, dict]) -> tuple[list, list]:
    """(unexpected failures, ledger entries not seen failing)."""
    unexpected = sorted(t for t, (o, _) in result.items() if o in FAILING and t not in ledger)
    stale = sorted(t for t in ledger if result.get(t, ("absent", ""))[0] not in FAILING)
    return unexpected, stale


def report(result: dict[str, tuple[str, str]]) -> str:
    lines = [f"{'module':34} {'passed':>7} {'failed':>7} {'error':>6} {'skipped':>8} {'xfail':>6}"]
    total: collections.Counter = collections.Counter()
    for module, c in sorted(module_counts(result).items()):
        total.update(c)
        lines.append(
            f"{module:34} {c['passed']:7} {c['failed']:7} {c['error']:6} {c['skipped']:8} "
            f"{c['xfailed'] + c['xpassed']:6}"
        )
    lines.append(
        f"{'TOTAL':34} {total['passed']:7} {total['failed']:7} {total['error']:6} "
        f"{total['skipped']:8} {total['xfailed'] + total['xpassed']:6}"
    )
    return "\n".join(lines)


def causes(result: dict[str, tuple[str, str]]) -> str:
    """Failures per cause (the ledger's cause when listed, else the first classification)."""
    expected = read_ledger()[1]
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for test_id, (outcome, message) in result.items():
        if outcome in FAILING:
            cause = expected.get(test_id, {}).get("cause") or classify(test_id, message)
            groups[cause].append(test_id)
    lines = []
    for cause, ids in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        area, what = CAUSES.get(cause, ("?", "?"))
        lines.append(f"{len(ids):5}  {cause:18} {area}: {what}; e.g. {ids[0]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="store_true", help="run on aiohttp itself")
    parser.add_argument("--lookthrough", action="store_true", help="triage: past missing aliases")
    parser.add_argument("--keep", action="store_true", help="keep the run's rewritten copy")
    parser.add_argument("-n", type=int, default=2, help="pytest-xdist workers (1: none)")
    parser.add_argument("--modules", nargs="*", default=MODULES)
    parser.add_argument("--json", type=Path, help="write {test id: [outcome, message]} here")
    parser.add_argument(
        "--write-ledger", action="store_true", help="rewrite the ledger with today's failures"
    )
    args = parser.parse_args()
    kind = "aiohttp" if args.baseline else "aioweb"
    result = run(kind, tuple(args.modules), args.n, args.lookthrough, args.keep)
    print(report(result))
    if not args.baseline:
        print(causes(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True))
    if args.write_ledger:
        write_ledger(LEDGER, result)
    if args.baseline:
        return 0
    ran = tuple(f"{m}.py" for m in args.modules)
    expected = {t: e for t, e in read_ledger()[1].items() if t.split("::")[0] in ran}
    unexpected, stale = compare(result, expected)
    for test_id in unexpected:
        print(f"UNEXPECTED {result[test_id][0]}: {test_id}: {result[test_id][1][:200]}")
    for test_id in stale:
        print(f"LEDGER STALE (not failing now): {test_id}")
    print(f"{len(unexpected)} unexpected failures, {len(stale)} stale ledger entries")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
