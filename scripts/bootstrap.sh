#!/usr/bin/env bash
# Prepare a checkout for the tests and the demo, saying what it does at each step:
# the virtualenv with aioweb installed in editable mode, its compiled hot path, the system
# tools, and FerretDB.
#
#   bootstrap.sh                     everything, with the `dev` extra (what scripts/test.sh runs)
#   bootstrap.sh venv ...            only the named parts: venv, system, ferretdb
#   bootstrap.sh --extra demo venv   the venv with another extra (scripts/demo.sh: `demo`)
#
# Skips what is done: the install is skipped while pyproject.toml is unchanged since the last
# one and that one covered the extra asked for (a stamp inside .venv records both; `dev`
# covers `demo`), only modules whose source changed are compiled (setup.py), apt runs only for
# missing packages, and FerretDB is built only when the pinned binary is absent.
#
# Fast when cold: the venv is created without pip (uv adds it), packages are installed with uv
# (installed into the venv from PyPI; plain pip when uv cannot be had, or with AIOWEB_NO_UV=1),
# downloads are cached under .cache/ in the checkout, the Cython modules compile in parallel,
# one per CPU (AIOWEB_BUILD_JOBS), and the compile starts as soon as Cython is installed,
# while the other packages are still downloading.
# Without a working C compiler aioweb runs as pure Python; the step says so and goes on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE="$ROOT/.cache"
PYTHON_FOR_VENV="${PYTHON:-}"
EXTRA="dev"

parts=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --extra) EXTRA="${2:?--extra needs a name}"; shift 2 ;;
        --extra=*) EXTRA="${1#--extra=}"; shift ;;
        *) parts+=("$1"); shift ;;
    esac
done
[ "${#parts[@]}" -eq 0 ] && parts=(venv system ferretdb)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
STEP_STARTED=0
# `step MESSAGE` announces a step; `step_done [DETAIL]` closes it with the time it took.
step() {
    STEP_STARTED="$(now_ms)"
    echo "==> $*" >&2
}
step_done() {
    local ms=$(($(now_ms) - STEP_STARTED))
    printf '    done in %d.%d s%s\n' $((ms / 1000)) $((ms % 1000 / 100)) "${1:+ ($1)}" >&2
}
note() { echo "    $*" >&2; }

pick_python() {
    local candidate
    for candidate in "$PYTHON_FOR_VENV" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "bootstrap: Python 3.11 or newer is needed: install python3 (apt-get install python3" \
        "python3-venv) or set PYTHON=/path/to/python3.11" >&2
    return 1
}

create_venv() {
    if [ -x "$VENV/bin/python" ]; then
        return 0
    fi
    local py version
    py="$(pick_python)"
    version="$("$py" -c 'import platform; print(platform.python_version())')"
    step "creating the virtualenv .venv (Python $version)"
    # --without-pip: ensurepip spends seconds unpacking a pip that uv makes unnecessary (uv
    # installs pip into the venv with the packages; without uv, ensurepip runs then).
    if ! "$py" -m venv --without-pip "$VENV"; then
        echo "bootstrap: could not create a venv: install python3-venv (apt-get install" \
            "python3-venv)" >&2
        return 1
    fi
    step_done
}

# The venv has no pip until one is needed (create_venv): ensurepip puts it there.
ensure_venv_pip() {
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 && return 0
    step "installing pip into .venv (ensurepip)" >&2
    "$VENV/bin/python" -m ensurepip --upgrade --default-pip >/dev/null
    step_done >&2
}

# uv resolves and installs the extras in seconds where pip takes minutes: the venv's, else one
# on PATH, else it is installed into the venv from PyPI - by the base interpreter's pip when it
# has one (the venv has none yet), else by the venv's own after ensurepip.  Prints the uv to
# use, or nothing (then pip installs).
find_uv() {
    [ -n "${AIOWEB_NO_UV:-}" ] && return 0
    if [ -x "$VENV/bin/uv" ]; then
        echo "$VENV/bin/uv"
        return 0
    fi
    if command -v uv >/dev/null 2>&1; then
        command -v uv
        return 0
    fi
    step "installing uv (fast installer) into .venv with pip" >&2
    local base pip=()
    base="$(pick_python 2>/dev/null || true)"
    if [ -n "$base" ] && "$base" -m pip --version >/dev/null 2>&1; then
        pip=("$base" -m pip install --prefix "$VENV" --ignore-installed --no-warn-script-location)
    elif ensure_venv_pip; then
        pip=("$VENV/bin/python" -m pip install)
    fi
    if [ "${#pip[@]}" -gt 0 ] && PIP_CACHE_DIR="${PIP_CACHE_DIR:-$CACHE/pip}" "${pip[@]}" \
        --quiet --disable-pip-version-check --root-user-action=ignore uv >&2 \
        && [ -x "$VENV/bin/uv" ]; then
        step_done >&2
        echo "$VENV/bin/uv"
    else
        note "uv could not be installed; using pip (slower)" >&2
    fi
}

# The stamp: pyproject.toml's hash, the checkout, and the extra installed.
stamp_covers() {
    local recorded="$1" hash_root="$2"
    local got_extra="${recorded##* }"
    [ "${recorded% *}" = "$hash_root" ] || return 1
    [ "$got_extra" = "$EXTRA" ] || { [ "$got_extra" = dev ] && [ "$EXTRA" = demo ]; }
}

# Installed already: pyproject.toml unchanged since an install that covered this extra, and
# aioweb importable.
packages_current() {
    stamp_covers "$(cat "$VENV/.aioweb-bootstrap" 2>/dev/null || true)" "$(stamp_value)" \
        && "$VENV/bin/python" -c 'import aioweb' >/dev/null 2>&1
}

stamp_value() {
    echo "$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $ROOT"
}

uv_install() {
    local uv="$1"
    shift
    AIOWEB_NO_EXTENSIONS=1 UV_CACHE_DIR="${UV_CACHE_DIR:-$CACHE/uv}" \
        "$uv" pip install --python "$VENV/bin/python" "$@"
}

# install_packages UV: aioweb[EXTRA] in editable mode with its dependencies (UV empty: pip).
install_packages() {
    local uv="$1"
    # Editable, without compiling (AIOWEB_NO_EXTENSIONS): build_extensions compiles in place.
    # setuptools and Cython go into the venv for that step (Python 3.12+ venvs have no
    # setuptools), and pip, which the venv was created without.
    local specs=(-e "$ROOT[$EXTRA]" "setuptools>=68" "Cython>=3.0")
    if [ -n "$uv" ]; then
        step "installing aioweb[$EXTRA] and its dependencies with uv (cache: .cache/uv)"
        uv_install "$uv" "${specs[@]}" pip
    else
        ensure_venv_pip
        step "installing aioweb[$EXTRA] and its dependencies with pip (cache: .cache/pip)"
        local log
        log="$(mktemp)"
        # One line per package as pip collects it; the whole log only if pip fails.
        if ! AIOWEB_NO_EXTENSIONS=1 PYTHONUNBUFFERED=1 \
            PIP_CACHE_DIR="${PIP_CACHE_DIR:-$CACHE/pip}" "$VENV/bin/python" -m pip install \
            --disable-pip-version-check --progress-bar off "${specs[@]}" 2>&1 | tee "$log" \
            | { grep --line-buffered -E '^(Collecting|Successfully)' || true; } \
            | sed -u 's/^/    /' >&2; then
            tail -n 40 "$log" >&2
            rm -f "$log"
            return 1
        fi
        rm -f "$log"
    fi
    step_done "aioweb[$EXTRA] installed"
    echo "$(stamp_value) $EXTRA" > "$VENV/.aioweb-bootstrap"
}

# Does the compiler Python would use build a file that includes Python.h?  (CC=false, no gcc,
# or no Python headers all answer no.)
c_compiler_works() {
    local cc include
    cc="${CC:-$("$VENV/bin/python" -c \
        'import sysconfig; print(sysconfig.get_config_var("CC") or "cc")')}"
    include="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
    # $cc unquoted on purpose: CC may be "ccache gcc" or "gcc -pthread".
    # shellcheck disable=SC2086
    printf '#include <Python.h>\nint main(void) { return 0; }\n' \
        | $cc -I"$include" -x c -c - -o /dev/null >/dev/null 2>&1
}

# Prints how many of the compiled modules have no current build (0: nothing to do).
stale_modules() {
    (cd "$ROOT/aioweb" && "$VENV/bin/python" - <<'PY'
import importlib.machinery
from pathlib import Path

from _extensions import COMPILED_MODULES, source_hash

stale = 0
for name in COMPILED_MODULES:
    source = Path(*name.split(".")[1:]).with_suffix(".py")
    built = any(source.with_suffix(s).exists() for s in importlib.machinery.EXTENSION_SUFFIXES)
    stamp = source.with_suffix(".srchash")
    if not (built and stamp.exists() and stamp.read_text().strip() == source_hash(source)):
        stale += 1
print(stale, len(COMPILED_MODULES))
PY
    )
}

# Cython-compiles the hot-path modules next to their sources (setup.py: in parallel, only what
# changed, a line per module as it finishes).  A module whose build fails stays pure Python.
# Deletes builds whose module left COMPILED_MODULES or whose .py moved away (in place and
# under build/): the import finder refuses them, and setup.py would compare against them.
clean_orphaned_builds() {
    (cd "$ROOT" && "$VENV/bin/python" - <<'PY'
import sys
from pathlib import Path

sys.path.insert(0, "aioweb")
from _extensions import clean_orphans

clean_orphans(Path.cwd())
PY
    ) | sed -u 's/^aioweb build: /    /' >&2
}

build_extensions() {
    clean_orphaned_builds
    if [ -n "${AIOWEB_NO_EXTENSIONS:-}" ]; then
        echo "==> compiled modules: skipped (AIOWEB_NO_EXTENSIONS is set; pure Python)" >&2
        return 0
    fi
    local counts stale total
    counts="$(stale_modules)"
    stale="${counts% *}"
    total="${counts#* }"
    if [ "$stale" -eq 0 ]; then
        echo "==> compiled modules: all $total up to date" >&2
        return 0
    fi
    if ! c_compiler_works; then
        echo "==> compiled modules: no working C compiler (CC=${CC:-default}) - aioweb runs as" \
            "pure Python; install gcc for the compiled hot path (apt-get install gcc" \
            "python3-dev)" >&2
        return 0
    fi
    step "compiling $stale of $total hot-path modules with Cython (a minute or two, in parallel)"
    local log
    log="$(mktemp)"
    # The "aioweb build:" lines are the progress; the rest (compiler noise) goes to the log.
    if ! (cd "$ROOT" && "$VENV/bin/python" setup.py -q build_ext --inplace 2>&1) \
        | tee "$log" | grep --line-buffered '^aioweb build:' \
        | sed -u 's/^aioweb build: /    /' >&2; then
        cat "$log" >&2
    fi
    if grep -q "failed\|Error compiling\|FAILED" "$log"; then
        tail -n 40 "$log" >&2
    fi
    rm -f "$log"
    counts="$(stale_modules)"
    if [ "${counts% *}" -eq 0 ]; then
        step_done "$total/$total compiled"
    else
        step_done "${counts% *} of $total failed and run as pure Python"
    fi
}

# AIOWEB_COMPILE_LATER=1 (scripts/demo.sh on a first run): packages only; the caller compiles
# afterwards (`bootstrap.sh venv` again compiles what is stale and nothing else).
build_extensions_unless_later() {
    if [ -n "${AIOWEB_COMPILE_LATER:-}" ]; then
        clean_orphaned_builds
        return 0
    fi
    build_extensions
}

do_venv() {
    create_venv
    if packages_current; then
        echo "==> packages: up to date (aioweb[$EXTRA], pyproject.toml unchanged)" >&2
        build_extensions_unless_later
        return
    fi
    local uv
    uv="$(find_uv)"
    mkdir -p "$CACHE"
    if [ -z "$uv" ] || [ -n "${AIOWEB_NO_EXTENSIONS:-}" ] || [ -n "${AIOWEB_COMPILE_LATER:-}" ]; then
        install_packages "$uv"
        build_extensions_unless_later
        return
    fi
    # The compile needs only Cython and setuptools, and the rest of the install is mostly
    # waiting on downloads: with the two build tools installed first, the compile (CPU) runs
    # while the other packages are fetched and installed, instead of after them.
    step "installing the build tools first (Cython, setuptools) with uv"
    uv_install "$uv" --quiet "setuptools>=68" "Cython>=3.0"
    step_done
    build_extensions &
    local builder=$!
    if ! install_packages "$uv"; then
        kill "$builder" 2>/dev/null || true
        wait "$builder" 2>/dev/null || true
        return 1
    fi
    wait "$builder"
}

for part in "${parts[@]}"; do
    case "$part" in
        venv) do_venv ;;
        system) bash "$ROOT/scripts/install-system-deps.sh" ;;
        ferretdb) bash "$ROOT/scripts/ferretdb.sh" install ;;
        stale) stale_modules ;;  # "<stale> <total>" compiled modules (scripts/demo.sh)
        compiler) c_compiler_works ;;  # exit status only (scripts/demo.sh)
        *) echo "bootstrap: unknown part '$part' (venv, system, ferretdb, stale, compiler)" >&2; exit 2 ;;
    esac
done
