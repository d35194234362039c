#!/usr/bin/env bash
# Builds the Debian package of `hourglass` with cargo-deb, and optionally checks it.
#
# Usage: scripts/package.sh [--profile release|dev] [--check]
#
#   --profile  the cargo profile of the packaged binary: `release` (default; LTO, what ships)
#              or `dev` (the debug binary `just test` already built: CI checks the package's
#              contents and start-up without paying for a release build)
#   --check    then check the package without installing it (scripts/package-check.sh):
#              unpack it into a temporary root, `systemd-analyze verify` its unit where that
#              tool exists, and start the unpacked binary with the packaged env file against
#              the test PostgreSQL (scripts/pg.sh)
#
# Prints the path of the .deb (target/debian/hourglass_<version>-1_<arch>.deb) on stdout.
# Installs cargo-deb when missing (scripts/cargo-tool.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

profile=release
check=0
while (($#)); do
    case "$1" in
        --profile) profile="${2:?--profile needs release or dev}"; shift 2 ;;
        --check) check=1; shift ;;
        *) echo "usage: scripts/package.sh [--profile release|dev] [--check]" >&2; exit 2 ;;
    esac
done

command -v dpkg-deb >/dev/null 2>&1 || {
    echo "package: dpkg-deb is missing: building a .deb needs Debian's dpkg (apt-get install dpkg)" >&2
    exit 1
}
scripts/cargo-tool.sh deb

target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/debian"
mkdir -p "$out"
started=$SECONDS
deb="$(cargo deb -p hourglass-server --profile "$profile" --output "$out" --quiet | tail -n1)"
[[ -f $deb ]] || { echo "package: cargo deb did not produce a .deb" >&2; exit 1; }
printf 'package: %s (%s profile) in %d s\n' "$deb" "$profile" $((SECONDS - started)) >&2
if ((check)); then
    scripts/package-check.sh "$deb"
fi
echo "$deb"
