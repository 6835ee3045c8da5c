#!/usr/bin/env bash
# The project's test command (CI runs exactly this): bootstrap, lint, then the whole test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/gridfs -x`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/bootstrap.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
