#!/usr/bin/env bash
# Checks, before `just test` builds anything, that this machine can run the whole suite, and
# says how to provide what is missing instead of letting a test fail on it later.
#
#   - a C compiler (`cc`): aws-lc-sys (TLS and JWT crypto) and zstd-sys compile C code;
#   - PostgreSQL's server binaries (initdb, pg_ctl, postgres): scripts/pg.sh runs a throwaway
#     cluster; as root with apt-get it installs them itself;
#   - Chromium, for the browser tests: as root with apt-get the tests install Debian's chromium
#     themselves; otherwise it must be at /usr/bin/chromium or named by HOURGLASS_CHROMIUM.
#
# Usage: scripts/prerequisites.sh [the arguments of `just test`]
# (`-- --skip browser` among them leaves Chromium out of the check, as the tests that need it.)
# Exit 0 when everything is there or will be installed, 1 with instructions otherwise.
set -euo pipefail

skip_browser=0
previous=""
for arg in "$@"; do
    [[ $previous == --skip && $arg == browser ]] && skip_browser=1
    previous=$arg
done

missing=0
say() { printf '%s\n' "$*" >&2; }
can_apt_install() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }

if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
    missing=1
    say "prerequisites: no C compiler (cc) found. The build compiles C (aws-lc-sys, zstd-sys)."
    say "  Debian/Ubuntu: sudo apt-get install build-essential    macOS: xcode-select --install"
    say "  Fedora: sudo dnf install gcc make"
fi

pg_found=0
if [[ -n ${HOURGLASS_PG_BINDIR:-} ]]; then
    [[ -x $HOURGLASS_PG_BINDIR/initdb && -x $HOURGLASS_PG_BINDIR/pg_ctl ]] && pg_found=1
elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]]; then
    pg_found=1
elif compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    pg_found=1
fi
if ((pg_found == 0)) && ! can_apt_install; then
    missing=1
    say "prerequisites: PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed,"
    say "  and this session cannot install them (it needs root and apt-get). The tests start a"
    say "  throwaway cluster of their own (scripts/pg.sh), so provide the binaries, any version >= 13:"
    say "  Debian/Ubuntu: sudo apt-get install postgresql    macOS: brew install postgresql@16"
    say "  then, if they are not found by themselves (pg_config on PATH, /usr/lib/postgresql/*/bin):"
    say "  export HOURGLASS_PG_BINDIR=\$(brew --prefix postgresql@16)/bin   (or the folder holding initdb)"
fi

chromium="${HOURGLASS_CHROMIUM:-/usr/bin/chromium}"
if ((skip_browser == 0)) && [[ ! -x $chromium ]] && { [[ -n ${HOURGLASS_CHROMIUM:-} ]] || ! can_apt_install; }; then
    missing=1
    say "prerequisites: Chromium is missing ($chromium), and the browser tests cannot install it"
    say "  (that needs root and apt-get). Provide a Chromium or Chrome and name it:"
    say "  Debian/Ubuntu: sudo apt-get install chromium"
    say "  macOS: brew install --cask chromium, then"
    say "    export HOURGLASS_CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium"
    say "  or any Chrome: export HOURGLASS_CHROMIUM=/path/to/google-chrome"
    say "  To run everything else meanwhile: just test -- --skip browser"
fi

if ((missing)); then
    say "prerequisites: see README.md, \"Prerequisites\"."
    exit 1
fi
