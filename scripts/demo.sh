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
# test tools of `dev` are not needed here), the compiled hot path, FerretDB.
STARTED=$SECONDS
bash scripts/bootstrap.sh --extra demo venv

FERRETDB_DIR=""
cleanup() {
    if [ -n "$FERRETDB_DIR" ]; then
        bash scripts/ferretdb.sh stop "$FERRETDB_DIR" || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${MONGODB_URI:-}" ]; then
    echo "==> GridFS page: using MONGODB_URI" >&2
elif bash scripts/ferretdb.sh install && echo "==> starting FerretDB (temporary data)" >&2 \
    && state="$(bash scripts/ferretdb.sh run)"; then
    FERRETDB_DIR="$(sed -n 's/^FERRETDB_DIR=//p' <<<"$state")"
    MONGODB_URI="$(sed -n 's/^MONGODB_URI=//p' <<<"$state")"
    export MONGODB_URI
    echo "    FerretDB answers at $MONGODB_URI (stopped with the demo)" >&2
else
    echo "demo: no FerretDB (see above) and no MONGODB_URI: the demo starts anyway, and its" \
        "GridFS page says what is missing" >&2
fi
echo "==> set-up done in $((SECONDS - STARTED)) s; starting the demo on" \
    "http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it)" >&2

# Not exec: the EXIT trap has to run after the demo stops, to stop FerretDB.
.venv/bin/python -m demo --host 127.0.0.1 --port "${PORT:-8080}"
