#!/usr/bin/env bash
# Install the system tools the test suite and benchmarks use (Debian/Ubuntu, as root).
#
# Idempotent: packages already installed are left alone, and `apt-get update` runs only when
# something is missing. Waits for another apt/dpkg run (for example a parallel bootstrap) to finish
# instead of failing on the dpkg lock.
set -euo pipefail

# Debian package names; installed means dpkg reports them installed.
PACKAGES=(chromium chromium-driver curl wrk redis-server memcached nginx)

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "==> system tools: all present (${PACKAGES[*]})" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: apt-get not found; install these yourself: ${missing[*]}" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-system-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
fi

wait_for_apt() {
    # Another apt or dpkg may hold the lock (e.g. an install started by someone else).
    local i
    for i in $(seq 1 180); do
        if ! pgrep -x apt-get >/dev/null && ! pgrep -x apt >/dev/null \
            && ! pgrep -x dpkg >/dev/null; then
            return 0
        fi
        [ "$i" -eq 1 ] && echo "install-system-deps: waiting for another apt/dpkg to finish..." >&2
        sleep 2
    done
    echo "install-system-deps: apt/dpkg still busy after 6 minutes" >&2
    return 1
}

wait_for_apt
# Re-check: the other apt run may have installed them.
still_missing=()
for pkg in "${missing[@]}"; do
    is_installed "$pkg" || still_missing+=("$pkg")
done
[ "${#still_missing[@]}" -eq 0 ] && exit 0

started=$SECONDS
echo "==> system tools: installing ${still_missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
echo "    apt-get update" >&2
$SUDO apt-get update -qq
echo "    apt-get install (a minute or two for chromium)" >&2
# One line per package as dpkg sets it up; apt's full output only when it fails.
log="$(mktemp)"
if ! $SUDO apt-get install -y -q --no-install-recommends "${still_missing[@]}" 2>&1 \
    | tee "$log" | { grep --line-buffered '^Setting up ' || true; } | sed -u 's/^/    /' >&2; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "    done in $((SECONDS - started)) s" >&2
