#!/usr/bin/env bash
# Checks that vendor/actix-http is the published actix-http 3.20.0 plus vendor/actix-http.patch,
# and nothing else.
#
# Usage: scripts/vendor-check.sh [--tests]
#
#   1. fetch the published crate through cargo (a throwaway manifest that depends on
#      `actix-http = "=3.20.0"`, `cargo fetch`), and check the .crate file's SHA-256 against the
#      checksum recorded below (the one crates.io's index and every Cargo.lock carry);
#   2. unpack it, apply vendor/actix-http.patch, and diff the result with vendor/actix-http:
#      `src/` and every other file must be identical, except Cargo.toml, which may only have
#      lost its [[example]], [[test]], [[bench]] and [dev-dependencies] sections (those files
#      are not vendored);
#   3. with --tests, run actix-http's own library tests on the patched sources, in the unpacked
#      published crate (its dev-dependencies, its examples), with the features the server uses.
#
# Needs network access to crates.io the first time (cargo's cache afterwards). Exit 1 and the
# differences when the vendored crate does not match.
set -euo pipefail

readonly VERSION=3.20.0
# sha256 of actix-http-3.20.0.crate as published (crates.io index `cksum`, Cargo.lock `checksum`).
readonly CHECKSUM=d20a22850ea7fecad12c5f8cd97d246c3af1f04ef400033977c2f13425c45816

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly VENDORED="$REPO_ROOT/vendor/actix-http"
readonly PATCH="$REPO_ROOT/vendor/actix-http.patch"

run_tests=0
case "${1:-}" in
    --tests) run_tests=1 ;;
    "") ;;
    *) echo "usage: scripts/vendor-check.sh [--tests]" >&2; exit 2 ;;
esac

log() { printf 'vendor-check: %s\n' "$*" >&2; }
die() { printf 'vendor-check: error: %s\n' "$*" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The published crate, through cargo and its checksum verification.
mkdir -p "$work/fetch/src"
cat > "$work/fetch/Cargo.toml" <<TOML
[package]
name = "vendor-check"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
actix-http = { version = "=$VERSION", default-features = false }
TOML
: > "$work/fetch/src/lib.rs"
(cd "$work/fetch" && cargo fetch --quiet) || die "cargo fetch of actix-http $VERSION failed"
locked="$(grep -A3 '^name = "actix-http"$' "$work/fetch/Cargo.lock" | sed -n 's/^checksum = "\(.*\)"$/\1/p')"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
crate_file="$(compgen -G "$cargo_home/registry/cache/*/actix-http-$VERSION.crate" | head -n1 || true)"
[[ -n $crate_file ]] || die "actix-http-$VERSION.crate is not in $cargo_home/registry/cache after cargo fetch"
actual="$(sha256sum "$crate_file" | cut -d' ' -f1)"
log "actix-http $VERSION: index checksum $locked, file $actual"
[[ $locked == "$CHECKSUM" ]] || die "crates.io's index records $locked for actix-http $VERSION, not the recorded $CHECKSUM"
[[ $actual == "$CHECKSUM" ]] || die "$crate_file hashes to $actual, not $CHECKSUM"

# 2. Published + patch == vendored.
tar -xzf "$crate_file" -C "$work"
pristine="$work/actix-http-$VERSION"
cp -a "$pristine" "$work/patched"
patch --quiet -p1 -d "$work/patched" < "$PATCH" || die "vendor/actix-http.patch does not apply to the published $VERSION"
find "$work/patched" -name '*.orig' -delete

# The manifest: the published one minus the sections of files that are not vendored.
python3 - "$work/patched/Cargo.toml" "$work/expected-Cargo.toml" <<'PY'
import re, sys
source, target = sys.argv[1], sys.argv[2]
dropped = re.compile(r"^\[\[(example|test|bench)\]\]$|^\[dev-dependencies(\.[^\]]+)?\]$|^\[target\.[^\]]+\.dev-dependencies(\.[^\]]+)?\]$")
out, keep = [], True
for line in open(source, encoding="utf-8").read().splitlines():
    if line.startswith("["):
        keep = not dropped.match(line.strip())
    if keep:
        out.append(line)
text = "\n".join(out).rstrip("\n") + "\n"
text = re.sub(r"\n{3,}", "\n\n", text)
open(target, "w", encoding="utf-8").write(text)
PY
normalise() { sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$1" | cat -s; }
failed=0
if ! diff -u <(normalise "$work/expected-Cargo.toml") <(normalise "$VENDORED/Cargo.toml") > "$work/manifest.diff"; then
    log "vendor/actix-http/Cargo.toml differs from the published manifest minus its test sections:"
    cat "$work/manifest.diff" >&2
    failed=1
fi
# Everything else, file by file (the vendored copy holds no examples, tests or benches).
if ! diff -ru --exclude=Cargo.toml --exclude=Cargo.toml.orig --exclude=Cargo.lock \
        --exclude=.cargo_vcs_info.json --exclude=examples --exclude=tests --exclude=benches \
        "$work/patched" "$VENDORED" > "$work/tree.diff"; then
    log "vendor/actix-http differs from the published $VERSION + vendor/actix-http.patch:"
    cat "$work/tree.diff" >&2
    failed=1
fi
((failed == 0)) || die "the vendored actix-http is not the published crate plus the patch"
log "vendor/actix-http == actix-http $VERSION (sha256 $CHECKSUM) + vendor/actix-http.patch"

# 3. The crate's own library tests on the patched sources.
if ((run_tests)); then
    rm -f "$work/patched/Cargo.lock"
    log "running actix-http's library tests on the patched sources"
    started=$SECONDS
    (cd "$work/patched" && CARGO_TARGET_DIR="${VENDOR_CHECK_TARGET_DIR:-$REPO_ROOT/target/vendor-check}" \
        cargo test --quiet --features ws,http2 --lib)
    log "library tests passed in $((SECONDS - started)) s (build included)"
fi
