#!/usr/bin/env bash
# The TypeScript SDK in clients/typescript (npm package @hourglass/client, not published).
#
#   scripts/sdk.sh install   npm ci, unless node_modules already matches package-lock.json
#   scripts/sdk.sh build     regenerate the types (from docs/openapi.json and docs/asyncapi.yaml)
#                            and the browser bundle the server embeds: commit what changes
#   scripts/sdk.sh check     the generated types and the bundle are current, typecheck, unit tests
#                            (Node), docs/asyncapi.yaml validates with @asyncapi/parser
#
# Several actions run in order: `scripts/sdk.sh install check`. The browser tests (Chromium
# against the real server) are Rust e2e tests: `cargo test -p hourglass-server --test e2e sdk_browser`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../clients/typescript"

need_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "sdk.sh: node and npm are needed (Node 20 or newer)" >&2
        exit 1
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if ((major < 20)); then
        echo "sdk.sh: Node $(node --version) is too old: the SDK needs Node 20 or newer" >&2
        exit 1
    fi
}

install() {
    need_node
    # npm writes node_modules/.package-lock.json on every install: newer than the lock file
    # means the tree already matches it.
    if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
        echo "sdk.sh: node_modules is current"
        return 0
    fi
    local started=$SECONDS
    npm ci --no-audit --no-fund --loglevel=error
    echo "sdk.sh: npm ci took $((SECONDS - started)) s"
}

build() {
    need_node
    npm run --silent gen
    npm run --silent bundle
}

check() {
    need_node
    local started=$SECONDS
    npm run --silent check
    echo "sdk.sh: checks took $((SECONDS - started)) s"
}

if (($# == 0)); then
    set -- install check
fi
for action in "$@"; do
    case $action in
        install | build | check) "$action" ;;
        *)
            echo "usage: scripts/sdk.sh [install|build|check]..." >&2
            exit 2
            ;;
    esac
done
