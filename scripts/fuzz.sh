#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and the timer state machine (fuzz/, cargo-fuzz layout).
#
# Builds every target, then runs each for N seconds over its committed corpus (fuzz/corpus/<t>)
# and its crash regressions (fuzz/regressions/<t>), failing on the first crash. New inputs go to a
# scratch directory, so a run never changes the committed corpus; a crash input is left in
# fuzz/artifacts/<t>/ (git-ignored) with the command that replays it.
#
# The toolchain is stable, so libFuzzer runs without a sanitizer (`-s none`): Rust's own checks
# (bounds, overflow with debug assertions, the targets' assertions) are what finds bugs.
#
# Usage: scripts/fuzz.sh [--seconds N] [--target T]...
#   --seconds N   run each target for N seconds (default 30)
#   --target T    only this target (repeatable); default: every target `cargo fuzz list` knows
#   --grow        write new inputs into fuzz/corpus/<t> instead of a scratch directory (long runs
#                 meant to extend the corpus; minimize afterwards with `cargo fuzz cmin -s none <t>`)
#
# Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) when it is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=30
targets=()
grow=0
while (($#)); do
    case $1 in
        --seconds)
            seconds=${2:?--seconds needs a value}
            shift 2
            ;;
        --target)
            targets+=("${2:?--target needs a value}")
            shift 2
            ;;
        --grow)
            grow=1
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "fuzz.sh: unknown argument $1 (see --help)" >&2
            exit 2
            ;;
    esac
done
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: --seconds must be a positive integer, got $seconds" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz not found; installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

cd fuzz
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list)
fi

started=$SECONDS
cargo fuzz build -s none
echo "fuzz.sh: built ${#targets[@]} targets in $((SECONDS - started))s"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for target in "${targets[@]}"; do
    inputs=()
    if ((grow)); then
        mkdir -p "corpus/$target"
        inputs+=("corpus/$target")
    else
        mkdir -p "$scratch/$target"
        inputs+=("$scratch/$target")
        [[ -d corpus/$target ]] && inputs+=("corpus/$target")
    fi
    [[ -d regressions/$target ]] && inputs+=("regressions/$target")
    echo
    echo "==> fuzz $target for ${seconds}s over ${inputs[*]}"
    log="$scratch/$target.log"
    # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that takes 2 GB a leak.
    status=0
    cargo fuzz run -s none "$target" "${inputs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        tail -n 60 "$log" >&2
        echo "fuzz.sh: $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
done
echo
echo "fuzz.sh: ${#targets[@]} targets fuzzed for ${seconds}s each, no crash ($((SECONDS - started))s in all)"
