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
# checked (built if need be) and started in the background while the venv is prepared: the
# two share nothing, and the demo waits for whichever finishes last instead of for both in turn.
STARTED=$SECONDS

FERRETDB_DIR=""
FERRETDB_JOB=""
FERRETDB_STATE="$(mktemp "${TMPDIR:-/tmp}/aioweb-demo-ferretdb.XXXXXX")"
cleanup() {
    if [ -n "$FERRETDB_JOB" ]; then
        kill "$FERRETDB_JOB" 2>/dev/null || true
        wait "$FERRETDB_JOB" 2>/dev/null || true
    fi
    [ -n "$FERRETDB_DIR" ] || FERRETDB_DIR="$(sed -n 's/^FERRETDB_DIR=//p' "$FERRETDB_STATE")"
    if [ -n "$FERRETDB_DIR" ]; then
        bash scripts/ferretdb.sh stop "$FERRETDB_DIR" || true
    fi
    rm -f "$FERRETDB_STATE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${MONGODB_URI:-}" ]; then
    echo "==> GridFS page: using MONGODB_URI" >&2
else
    {
        bash scripts/ferretdb.sh install \
            && echo "==> starting FerretDB (temporary data) alongside the set-up" >&2 \
            && bash scripts/ferretdb.sh run >"$FERRETDB_STATE"
    } &
    FERRETDB_JOB=$!
fi

bash scripts/bootstrap.sh --extra demo venv

if [ -n "$FERRETDB_JOB" ]; then
    if wait "$FERRETDB_JOB"; then
        FERRETDB_DIR="$(sed -n 's/^FERRETDB_DIR=//p' "$FERRETDB_STATE")"
        MONGODB_URI="$(sed -n 's/^MONGODB_URI=//p' "$FERRETDB_STATE")"
        export MONGODB_URI
        echo "==> FerretDB answers at $MONGODB_URI (stopped with the demo)" >&2
    else
        echo "demo: no FerretDB (see above) and no MONGODB_URI: the demo starts anyway, and its" \
            "GridFS page says what is missing" >&2
    fi
    FERRETDB_JOB=""
fi
echo "==> set-up done in $((SECONDS - STARTED)) s; starting the demo on" \
    "http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it)" >&2

# Not exec: the EXIT trap has to run after the demo stops, to stop FerretDB.
.venv/bin/python -m demo --host 127.0.0.1 --port "${PORT:-8080}"
