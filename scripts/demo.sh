#!/usr/bin/env bash
# Run the demo app on http://127.0.0.1:${PORT:-8080}/ .
#
# The GridFS page needs a MongoDB: set MONGODB_URI to use yours; otherwise this starts FerretDB
# (SQLite backend, temporary data) for the demo's lifetime and stops it on exit. If FerretDB
# cannot be built or started, the demo still runs and its GridFS page says why.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/bootstrap.sh venv

FERRETDB_DIR=""
cleanup() {
    if [ -n "$FERRETDB_DIR" ]; then
        bash scripts/ferretdb.sh stop "$FERRETDB_DIR" || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${MONGODB_URI:-}" ]; then
    if bash scripts/ferretdb.sh install && state="$(bash scripts/ferretdb.sh run)"; then
        FERRETDB_DIR="$(sed -n 's/^FERRETDB_DIR=//p' <<<"$state")"
        MONGODB_URI="$(sed -n 's/^MONGODB_URI=//p' <<<"$state")"
        export MONGODB_URI
        echo "demo: FerretDB at $MONGODB_URI" >&2
    else
        echo "demo: no MONGODB_URI and FerretDB could not start; the GridFS page will say so" >&2
    fi
fi

# Not exec: the EXIT trap has to run after the demo stops, to stop FerretDB.
.venv/bin/python -m demo --host 127.0.0.1 --port "${PORT:-8080}"
