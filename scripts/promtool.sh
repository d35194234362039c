#!/usr/bin/env bash
# Runs Prometheus's `promtool` with the given arguments, fetching it first when missing.
#
# Usage: scripts/promtool.sh check rules docs/operations/alerts.yaml
#        scripts/promtool.sh --path        (print the promtool it would run)
#
# promtool comes from Debian's `prometheus` package, but that package also installs and starts a
# Prometheus server, so the package is downloaded (`apt-get download`, no root needed once apt's
# lists exist) and only `usr/bin/promtool` is unpacked into target/tools/. A `promtool` already
# on PATH, or named by PROMTOOL, is used as it is. Without apt (macOS, other distributions), the
# message says where to get one.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/tools"

die() { printf 'promtool.sh: %s\n' "$*" >&2; exit 1; }

find_promtool() {
    if [[ -n ${PROMTOOL:-} ]]; then
        [[ -x $PROMTOOL ]] || die "PROMTOOL=$PROMTOOL is not an executable"
        echo "$PROMTOOL"
    elif command -v promtool >/dev/null 2>&1; then
        command -v promtool
    elif [[ -x $TOOLS/promtool ]]; then
        echo "$TOOLS/promtool"
    else
        return 1
    fi
}

fetch_promtool() {
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || die \
        "promtool is not installed and this machine has no apt-get/dpkg-deb to fetch it: install \
Prometheus's promtool (macOS: brew install prometheus; elsewhere the release tarball from \
prometheus.io/download) and put it on PATH or set PROMTOOL=/path/to/promtool"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand now: the folder is this call's
    trap "rm -rf '$work'" RETURN
    printf 'promtool.sh: fetching promtool from the Debian package "prometheus"\n' >&2
    if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
        if [[ $(id -u) -ne 0 ]]; then
            die "apt-get download prometheus failed and apt's package lists cannot be refreshed \
without root: run 'sudo apt-get update' once, or install promtool and set PROMTOOL"
        fi
        apt-get update -qq
        (cd "$work" && apt-get download prometheus >/dev/null) || die "apt-get download prometheus failed"
    fi
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$TOOLS"
    install -m 755 "$work/root/usr/bin/promtool" "$TOOLS/promtool"
}

if ! promtool="$(find_promtool)"; then
    fetch_promtool
    promtool="$TOOLS/promtool"
fi
if [[ ${1:-} == --path ]]; then
    echo "$promtool"
    exit 0
fi
exec "$promtool" "$@"
