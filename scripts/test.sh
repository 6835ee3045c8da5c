#!/usr/bin/env bash
# The project's test command (CI runs exactly this): bootstrap, lint, then the whole test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/integrations/gridfs -x`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STEPS=3
[ "$#" -eq 0 ] && STEPS=4
echo "test.sh: [1/$STEPS] set-up: venv with the dev extra, compiled modules, system tools," \
    "FerretDB (each skipped when done)" >&2
bash scripts/bootstrap.sh
echo "test.sh: [2/$STEPS] lint (ruff check, ruff format --check), the layer contracts" \
    "(lint-imports), types (mypy --strict over aioweb/), the documentation site" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check -q aioweb tests scripts bench demo setup.py
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
.venv/bin/mypy
# The documentation site: a broken link or API reference fails (not -q: it hides the warnings
# that --strict counts); quiet when it passes, the whole log when it does not
export NO_MKDOCS_2_WARNING=1
.venv/bin/mkdocs build --strict -d .cache/site >/dev/null 2>&1 || .venv/bin/mkdocs build --strict -d .cache/site
echo "test.sh: [3/$STEPS] tests: pytest ${*:-(the whole suite)}" >&2
.venv/bin/python -m pytest "$@"
if [ "$#" -eq 0 ]; then
    # The hot-path modules ran compiled above; the wire and core tests run again on their pure
    # Python sources, which is what runs wherever no C compiler built them (see setup.py).
    echo "test.sh: [4/$STEPS] wire and core tests again with AIOWEB_NO_EXTENSIONS=1" \
        "(pure Python)" >&2
    AIOWEB_NO_EXTENSIONS=1 .venv/bin/python -m pytest -q -p no:cacheprovider \
        tests/http tests/server tests/framework/test_framework.py \
        tests/framework/test_json_dumps.py tests/framework/test_response_head.py \
        tests/framework/test_routing_cache.py tests/compat/test_compat.py \
        tests/compat/test_compat_names.py tests/tooling/test_test_utils.py \
        tests/functional/test_seed_017.py tests/functional/test_seed_modern.py \
        tests/architecture/test_extensions.py tests/architecture/test_import_alone.py
fi
