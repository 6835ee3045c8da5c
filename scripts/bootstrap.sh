#!/usr/bin/env bash
# Prepare a checkout for tests and the demo: the virtualenv with aioweb installed in editable mode
# with its dev extras, the system tools, and FerretDB.
#
#   bootstrap.sh            everything
#   bootstrap.sh venv ...   only the named parts: venv, system, ferretdb
#
# Idempotent: the pip step is skipped while pyproject.toml is unchanged since the last successful
# install (a stamp inside .venv records its hash), apt runs only for missing packages, and FerretDB
# is built only when the pinned binary is absent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_FOR_VENV="${PYTHON:-}"

parts=("$@")
[ "${#parts[@]}" -eq 0 ] && parts=(venv system ferretdb)

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
    echo "bootstrap: Python 3.11 or newer is needed (set PYTHON=...)" >&2
    return 1
}

do_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py="$(pick_python)"
        echo "bootstrap: creating $VENV with $py" >&2
        "$py" -m venv "$VENV"
    fi
    local stamp="$VENV/.aioweb-bootstrap" want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $ROOT"
    if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
        && "$VENV/bin/python" -c 'import aioweb' >/dev/null 2>&1; then
        build_extensions
        return 0
    fi
    echo "bootstrap: pip install -e '.[dev]'" >&2
    local log
    log="$(mktemp)"
    # The hot-path modules are compiled right after, in place (incremental, see setup.py).
    if ! AIOWEB_NO_EXTENSIONS=1 "$VENV/bin/python" -m pip install --quiet \
        --disable-pip-version-check -e "$ROOT[dev]" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    echo "$want" > "$stamp"
    build_extensions
}

# Cython-compiles the hot-path modules next to their sources (setup.py); only what changed
# is rebuilt.  A module whose build fails stays pure Python (tests/test_extensions.py says so).
build_extensions() {
    local log
    log="$(mktemp)"
    if ! (cd "$ROOT" && "$VENV/bin/python" setup.py -q build_ext --inplace) >"$log" 2>&1; then
        cat "$log" >&2
    elif grep -q "failed\|Error compiling" "$log"; then
        cat "$log" >&2
    fi
    rm -f "$log"
}

for part in "${parts[@]}"; do
    case "$part" in
        venv) do_venv ;;
        system) bash "$ROOT/scripts/install-system-deps.sh" ;;
        ferretdb) bash "$ROOT/scripts/ferretdb.sh" install ;;
        *) echo "bootstrap: unknown part '$part' (venv, system, ferretdb)" >&2; exit 2 ;;
    esac
done
