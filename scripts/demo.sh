#!/usr/bin/env bash
# Run the demo app on http://127.0.0.1:${PORT:-8080}/ .
#
# The GridFS page needs a MongoDB: set MONGODB_URI to use yours; otherwise this starts FerretDB
# (SQLite backend, temporary data) for the demo's lifetime and stops it on exit. If FerretDB
# cannot be built or started, the demo still runs and its GridFS page says why.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Set-up, each step announced (skipped when done): the venv with the `demo` extra only (the
# test tools of `dev` are not needed here), the compiled hot path, FerretDB.  FerretDB is
# checked and started in the background while the venv is prepared: the two share nothing.
# When FerretDB has to be built first (Go, a few minutes the first time), the demo does not
# wait for it: it starts with MONGODB_URI naming the port FerretDB will listen on, the GridFS
# page answers "did not answer" until then, and a line says when FerretDB is up.
STARTED=$SECONDS

# Everything FerretDB leaves (its data, its build copy, the job's state) goes in one directory
# that the exit removes.
FERRETDB_TMP="$(mktemp -d "${TMPDIR:-/tmp}/aioweb-demo.XXXXXX")"
FERRETDB_JOB=""
cleanup() {
    if [ -n "${BUILD_JOB:-}" ]; then
        kill -TERM -- "-$BUILD_JOB" 2>/dev/null || true
        wait "$BUILD_JOB" 2>/dev/null || true
    fi
    if [ -n "$FERRETDB_JOB" ]; then
        # the job's process group: the scripts, a go build, tee (FerretDB itself has its own
        # session and pid file: stopped below)
        kill -TERM -- "-$FERRETDB_JOB" 2>/dev/null || true
        wait "$FERRETDB_JOB" 2>/dev/null || true
    fi
    local pidfile
    for pidfile in "$FERRETDB_TMP"/aioweb-ferretdb.*/pid; do
        [ -f "$pidfile" ] && { bash scripts/ferretdb.sh stop "$(dirname "$pidfile")" || true; }
    done
    rm -rf "$FERRETDB_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The background job: build FerretDB if need be, start it on FERRETDB_PORT, record the outcome
# in $FERRETDB_TMP (rc, state); once the demo serves (the demo-started file), say when it is up.
# shellcheck disable=SC2016
FERRETDB_JOB_SCRIPT='
export TMPDIR="$FERRETDB_TMP"
bash scripts/ferretdb.sh install 2> >(tee "$FERRETDB_TMP/install.log" >&2) \
    && echo "==> starting FerretDB (temporary data) alongside the set-up" >&2 \
    && bash scripts/ferretdb.sh run "$FERRETDB_PORT" >"$FERRETDB_TMP/state.tmp" \
    && mv "$FERRETDB_TMP/state.tmp" "$FERRETDB_TMP/state"
rc=$?
echo "$rc" >"$FERRETDB_TMP/rc"
if [ -f "$FERRETDB_TMP/demo-started" ]; then
    if [ "$rc" = 0 ]; then
        echo "==> FerretDB is up at mongodb://127.0.0.1:$FERRETDB_PORT/: the GridFS page works now" >&2
    else
        echo "demo: FerretDB could not be built or started (see above): the GridFS page stays" \
            "unavailable" >&2
    fi
fi
exit "$rc"
'

if [ -n "${MONGODB_URI:-}" ]; then
    echo "==> GridFS page: using MONGODB_URI" >&2
else
    FERRETDB_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')"
    export FERRETDB_TMP FERRETDB_PORT
    # setsid: its own process group, which the exit stops as a whole
    setsid bash -c "$FERRETDB_JOB_SCRIPT" &
    FERRETDB_JOB=$!
fi

# The compiled hot path: on a first run (modules to compile, a minute or more on two cores) the
# demo does not wait for it either: it serves pure Python at once while the modules compile in
# the background, says when they are ready, and the next start runs compiled.  The footer of
# every page says which it is.  AIOWEB_DEMO_WAIT_FOR_BUILD=1 compiles first, as before.
AIOWEB_COMPILE_LATER=1 bash scripts/bootstrap.sh --extra demo venv
BUILD_JOB=""
BUILD_LOG="$ROOT/.cache/demo-build.log"
read -r STALE TOTAL < <(bash scripts/bootstrap.sh stale)
if [ "$STALE" -gt 0 ] && [ -z "${AIOWEB_NO_EXTENSIONS:-}" ]; then
    if [ -n "${AIOWEB_DEMO_WAIT_FOR_BUILD:-}" ] || ! bash scripts/bootstrap.sh compiler; then
        # (without a working compiler this says so, with the fix, at once)
        bash scripts/bootstrap.sh --extra demo venv
    else
        mkdir -p "$ROOT/.cache"
        echo "==> compiling $STALE of $TOTAL hot-path modules in the background (log:" \
            ".cache/demo-build.log): this first run serves pure Python, the next start runs" \
            "compiled" >&2
        # setsid: its own process group, which the exit stops (what compiled is kept; the next
        # run compiles the rest)
        setsid bash -c 'bash scripts/bootstrap.sh --extra demo venv >"$1" 2>&1 \
            && echo "==> compiled modules ready ($2 of $2): restart the demo to run them" >&2' \
            _ "$BUILD_LOG" "$TOTAL" &
        BUILD_JOB=$!
        export AIOWEB_NO_EXTENSIONS=1
    fi
fi

if [ -n "$FERRETDB_JOB" ]; then
    if [ ! -f "$FERRETDB_TMP/rc" ] && grep -q "building with" "$FERRETDB_TMP/install.log"; then
        # A cold Go build (minutes): serve the other pages now; the job goes on, starts
        # FerretDB on the port chosen above, and says so.
        touch "$FERRETDB_TMP/demo-started"
        MONGODB_URI="mongodb://127.0.0.1:$FERRETDB_PORT/"
        export MONGODB_URI
        echo "==> FerretDB is still being built (progress above): the demo starts now, and its" \
            "GridFS page says the database did not answer until a line here says FerretDB is up" >&2
    elif wait "$FERRETDB_JOB"; then
        MONGODB_URI="$(sed -n 's/^MONGODB_URI=//p' "$FERRETDB_TMP/state")"
        export MONGODB_URI
        echo "==> FerretDB answers at $MONGODB_URI (stopped with the demo)" >&2
    else
        FERRETDB_JOB=""
        echo "demo: no FerretDB (see above) and no MONGODB_URI: the demo starts anyway, and its" \
            "GridFS page says what is missing" >&2
    fi
fi
echo "==> set-up done in $((SECONDS - STARTED)) s; starting the demo on" \
    "http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it)" >&2

# Not exec: the EXIT trap has to run after the demo stops, to stop FerretDB.
.venv/bin/python -m demo --host 127.0.0.1 --port "${PORT:-8080}"
