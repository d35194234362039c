#!/usr/bin/env bash
# The dependency rule as a check: dependencies point inward only,
#   server → adapters-actix, adapters-postgres → ports → domain.
#
# For each guarded package, list its normal (non-dev, non-build) dependency tree with
# `cargo tree -p <pkg> -e normal --prefix none` and fail when a forbidden crate appears anywhere in
# it, directly or transitively. Patterns are bash globs matched against crate names.
#
#   hourglass-domain   pure rules: no async runtime, no web framework, no database, no JSON, no JWT
#   hourglass-ports    traits + application services: tokio is allowed, actix and diesel are not
#   adapters-postgres  must not know the web adapter; adapters-actix must not know the database
#   adapters-nats      neither the web framework nor the database, nor any other adapter or the server
#
# Usage: scripts/arch.sh   (exit 1 and a list of offenders when the rule is broken)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Crates that are never allowed below the adapters.
readonly WEB=("actix" "actix-*" "awc")
readonly DB=("diesel" "diesel-*" "diesel_*" "tokio-postgres" "postgres-protocol" "pq-sys" "sqlx" "sqlx-*")
readonly UPWARD=("hourglass-adapters-*" "hourglass-server")

DOMAIN_FORBIDDEN=("tokio" "tokio-*" "${WEB[@]}" "${DB[@]}" "serde_json" "jsonwebtoken" "hourglass-ports" "${UPWARD[@]}")
PORTS_FORBIDDEN=("${WEB[@]}" "${DB[@]}" "serde_json" "jsonwebtoken" "${UPWARD[@]}")
POSTGRES_FORBIDDEN=("${WEB[@]}" "hourglass-adapters-actix" "hourglass-server")
ACTIX_FORBIDDEN=("${DB[@]}" "hourglass-adapters-postgres" "hourglass-server")
# The NATS event bus: the ports and async-nats only; no web framework, no database, no sibling adapter.
NATS_FORBIDDEN=("${WEB[@]}" "${DB[@]}" "hourglass-adapters-postgres" "hourglass-adapters-actix" "hourglass-server")

failed=0

# check <package> <forbidden pattern>...
check() {
    local pkg=$1
    shift
    local tree
    if ! tree="$(cargo tree --quiet -p "$pkg" -e normal --prefix none 2>&1)"; then
        printf 'arch: cannot list the dependencies of %s:\n%s\n' "$pkg" "$tree" >&2
        failed=1
        return
    fi
    # Lines look like "name v1.2.3 (path) (*)"; keep the unique names, minus the package itself.
    local names
    names="$(awk 'NF { print $1 }' <<<"$tree" | sort -u | grep -vxF "$pkg" || true)"
    local offenders=() name pattern
    while IFS= read -r name; do
        [[ -n $name ]] || continue
        for pattern in "$@"; do
            # shellcheck disable=SC2053  # the pattern is a glob on purpose
            if [[ $name == $pattern ]]; then
                offenders+=("$name")
                break
            fi
        done
    done <<<"$names"
    if ((${#offenders[@]})); then
        failed=1
        printf 'arch: %s must not depend on: %s\n' "$pkg" "${offenders[*]}" >&2
        local offender
        for offender in "${offenders[@]}"; do
            # Show how the crate gets in (inverted tree, limited to this package's normal deps).
            printf '  path to %s:\n' "$offender" >&2
            cargo tree --quiet -p "$pkg" -e normal -i "$offender" 2>/dev/null | sed 's/^/    /' >&2 || true
        done
    else
        printf 'arch: %-30s ok (%d crates)\n' "$pkg" "$(grep -c . <<<"$names" || true)"
    fi
}

check hourglass-domain "${DOMAIN_FORBIDDEN[@]}"
check hourglass-ports "${PORTS_FORBIDDEN[@]}"
check hourglass-adapters-postgres "${POSTGRES_FORBIDDEN[@]}"
check hourglass-adapters-actix "${ACTIX_FORBIDDEN[@]}"
check hourglass-adapters-nats "${NATS_FORBIDDEN[@]}"

if ((failed)); then
    echo "arch: dependency rule broken (see docs/architecture.md, \"The dependency rule\")" >&2
    exit 1
fi
echo "arch: dependency rule holds"
