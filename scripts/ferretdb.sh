#!/usr/bin/env bash
# FerretDB (a MongoDB-wire-compatible server) for the GridFS tests and the demo.
#
#   ferretdb.sh install        build the pinned FerretDB with the Go toolchain (skipped when built)
#   ferretdb.sh path           print the binary's path
#   ferretdb.sh run [PORT]     start it in the background on 127.0.0.1 (SQLite backend, temporary
#                              data directory, telemetry off), wait until it answers, and print
#                              shell assignments: FERRETDB_DIR=... FERRETDB_PID=... MONGODB_URI=...
#   ferretdb.sh stop DIR       stop the server started by `run` and remove its directory
#
# The Go module and build caches stay at their default locations (`go env GOMODCACHE GOCACHE`), so
# a second install on the same machine is fast.
set -euo pipefail

FERRETDB_VERSION="v1.24.2"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_PKG="$FERRETDB_MODULE/cmd/ferretdb"

die() { echo "ferretdb.sh: $*" >&2; exit 1; }

NO_GO="FerretDB is built from source with Go 1.24 or newer, and no Go toolchain was found: \
install golang (apt-get install golang where it is 1.24+, e.g. Debian 13; Debian 12's is 1.19: \
use https://go.dev/dl/) or set MONGODB_URI to a MongoDB instead"

# The Go toolchain: $GO when set (GO=/nonexistent pretends there is none), else go on PATH,
# else the official tarball's location.
go_bin() {
    if [ -n "${GO:-}" ]; then
        command -v "$GO" 2>/dev/null
        return
    fi
    command -v go 2>/dev/null && return 0
    [ -x /usr/local/go/bin/go ] && { echo /usr/local/go/bin/go; return 0; }
    return 1
}

bin_dir() {
    local go gobin
    go="$(go_bin)" || die "$NO_GO"
    gobin="$("$go" env GOBIN)"
    if [ -z "$gobin" ]; then
        gobin="$("$go" env GOPATH | cut -d: -f1)/bin"
    fi
    echo "$gobin"
}

# FERRETDB_BIN, else where `go install` puts binaries; without Go, Go's default GOPATH (a
# binary built earlier still runs when the toolchain has gone).
binary_path() {
    if [ -n "${FERRETDB_BIN:-}" ]; then
        echo "$FERRETDB_BIN"
    elif go_bin >/dev/null; then
        echo "$(bin_dir)/ferretdb"
    else
        echo "$HOME/go/bin/ferretdb"
    fi
}

# `ferretdb --version` prints "version: vX.Y.Z" for a binary built as below.
is_installed() {
    local bin
    bin="$(binary_path)"
    [ -x "$bin" ] || return 1
    local out
    out="$("$bin" --version 2>/dev/null)" || return 1
    grep -qx "version: $FERRETDB_VERSION" <<<"$out"
}

# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: (1) it also asks
# the module proxy for FerretDB's version list (to report deprecations), which the proxy reachable
# here refuses with "403 Forbidden ... This module version is not available"; (2) a binary built
# that way panics at start-up ("Invalid build/version/version.txt file content"), because FerretDB
# embeds its version from a generated file that is not in the module. So: download exactly the
# pinned module (checksum-verified against the Go checksum database), copy it, write the version
# file FerretDB's own build task would generate, and build it with FerretDB's own go.sum.
cmd_install() {
    if is_installed; then
        echo "==> FerretDB $FERRETDB_VERSION: built already ($(binary_path))" >&2
        return 0
    fi
    local go dir bin src
    go="$(go_bin)" || die "$NO_GO"
    "$go" list -f '{{context.ReleaseTags}}' runtime 2>/dev/null | grep -q 'go1\.24' \
        || die "Go 1.24 or newer is needed to build FerretDB $FERRETDB_VERSION; found" \
            "$("$go" version) (install a newer Go: https://go.dev/dl/, or set MONGODB_URI)"
    dir="$(bin_dir)"
    bin="$dir/ferretdb"
    [ -n "${FERRETDB_BIN:-}" ] && bin="$FERRETDB_BIN" && dir="$(dirname "$bin")"
    mkdir -p "$dir"
    local started=$SECONDS
    echo "==> FerretDB $FERRETDB_VERSION: building with $("$go" version | cut -d' ' -f3)" \
        "(a few minutes the first time; the Go caches make later builds quick)" >&2
    echo "    downloading the module and its dependencies (Go module proxy)" >&2
    src="$("$go" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$src" ] && [ -d "$src" ] || die "could not download $FERRETDB_MODULE@$FERRETDB_VERSION"
    BUILD_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")"
    trap 'rm -rf "${BUILD_DIR:-}"' EXIT
    cp -r "$src/." "$BUILD_DIR/"
    chmod -R u+w "$BUILD_DIR"
    echo "$FERRETDB_VERSION" > "$BUILD_DIR/build/version/version.txt"
    echo "aioweb-scripts" > "$BUILD_DIR/build/version/package.txt"
    go_build "$go" "$bin.tmp"
    mv -f "$bin.tmp" "$bin"
    is_installed || die "built $bin but it does not report version $FERRETDB_VERSION"
    echo "    done in $((SECONDS - started)) s ($bin)" >&2
}

# `go build -v` names each package as it compiles it (cached ones are not named): a line every
# tenth of the package count keeps a cold build from looking stuck.
go_build() {
    local go="$1" out="$2" total log n=0 next
    export GOFLAGS="-mod=readonly -buildvcs=false"
    total="$(cd "$BUILD_DIR" && "$go" list -deps ./cmd/ferretdb 2>/dev/null | wc -l)"
    [ "$total" -gt 0 ] || total=1
    next=$((total / 10 + 1))
    log="$BUILD_DIR/.build-log"
    echo "    compiling up to $total packages" >&2
    if ! (cd "$BUILD_DIR" && "$go" build -v -o "$out" ./cmd/ferretdb) 2>"$log"; then
        tail -n 40 "$log" >&2
        die "go build failed (log above)"
    fi &
    local builder=$!
    while kill -0 "$builder" 2>/dev/null; do
        n="$(wc -l <"$log" 2>/dev/null || echo 0)"
        if [ "$n" -ge "$next" ]; then
            echo "    compiled $n of up to $total packages ($((SECONDS - started)) s)" >&2
            next=$((n + total / 10 + 1))
        fi
        sleep 1
    done
    wait "$builder"
}

free_port() {
    local py
    py="$(command -v python3 || true)"
    [ -n "$py" ] || die "python3 is needed to pick a free port (or pass PORT)"
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() {
    # A TCP connect that succeeds means the listener is up; FerretDB opens it once its backend
    # is ready.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_run() {
    local port="${1:-}"
    local bin dir pid i
    bin="$(binary_path)"
    [ -x "$bin" ] || die "FerretDB is not built; run: $0 install"
    [ -n "$port" ] || port="$(free_port)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/aioweb-ferretdb.XXXXXX")"
    mkdir -p "$dir/data"
    # setsid: the server gets its own process group, so a Ctrl-C aimed at the caller's foreground
    # job does not kill it before the caller's cleanup runs.
    setsid "$bin" \
        --handler=sqlite \
        --sqlite-url="file:$dir/data/" \
        --listen-addr="127.0.0.1:$port" \
        --state-dir="$dir" \
        --debug-addr=- \
        --telemetry=disable \
        --log-level=warn \
        >"$dir/log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$dir/pid"
    for i in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$dir/log" >&2
            rm -rf "$dir"
            die "FerretDB exited during start-up"
        fi
        if answers "$port"; then
            echo "FERRETDB_DIR=$dir"
            echo "FERRETDB_PID=$pid"
            echo "MONGODB_URI=mongodb://127.0.0.1:$port/"
            return 0
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    cat "$dir/log" >&2
    rm -rf "$dir"
    die "FerretDB did not answer on 127.0.0.1:$port within 30 s"
}

cmd_stop() {
    local dir="${1:-}"
    [ -n "$dir" ] && [ -f "$dir/pid" ] || die "usage: $0 stop DIR (the FERRETDB_DIR printed by run)"
    local pid i
    pid="$(cat "$dir/pid")"
    if kill "$pid" 2>/dev/null; then
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    install) cmd_install ;;
    path) binary_path ;;
    run) shift; cmd_run "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install|path|run [PORT]|stop DIR" >&2; exit 2 ;;
esac
