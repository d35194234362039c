#!/usr/bin/env bash
# Makes sure a cargo subcommand is installed at the version this project was checked with, and
# installs it with `cargo install --locked` when it is missing (minutes: it compiles).
#
# Usage: scripts/cargo-tool.sh deb|deny
#
# The pinned versions are the ones the project's checks were written against; another version
# already installed is used as it is (a newer cargo-deny may flag more, which is its job).
set -euo pipefail

case "${1:-}" in
    deb) crate=cargo-deb; version=3.8.0 ;;
    deny) crate=cargo-deny; version=0.20.2 ;;
    *) echo "usage: scripts/cargo-tool.sh deb|deny" >&2; exit 2 ;;
esac

if cargo "$1" --version >/dev/null 2>&1; then
    cargo "$1" --version >&2
    exit 0
fi
printf 'cargo-tool: %s is missing; installing %s@%s with cargo install --locked (compiles, takes minutes)\n' \
    "$crate" "$crate" "$version" >&2
started=$SECONDS
cargo install --locked --quiet "$crate@$version"
printf 'cargo-tool: %s installed in %d s\n' "$crate" $((SECONDS - started)) >&2
