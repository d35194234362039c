# Hourglass tasks. `just` lists them; multi-step jobs live in scripts/.
# Install just with `pip install rust-just` (in a venv) or `cargo install just --locked`.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments

_default:
    @{{ just_executable() }} --justfile {{ quote(justfile()) }} --list

# Start the local PostgreSQL (target/pg, 127.0.0.1:55432) for tests and print its URL
db-up:
    scripts/pg.sh start

# Stop the local PostgreSQL
db-down:
    scripts/pg.sh stop

# Print the local PostgreSQL URL
db-url:
    @scripts/pg.sh url

# Stop the local PostgreSQL and delete its data
db-reset:
    scripts/pg.sh reset

# Start the local NATS server with JetStream (target/nats, 127.0.0.1:54222) and print its URL
nats-up:
    scripts/nats.sh start

# Stop the local NATS server (its JetStream store stays in target/nats)
nats-down:
    scripts/nats.sh stop

# Run every test against the local PostgreSQL (each test creates its own database); extra args go to cargo test
test *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    # Says how to provide a C compiler, PostgreSQL and Chromium before anything is built.
    scripts/prerequisites.sh "$@"
    url="$(scripts/pg.sh start)"
    export TEST_DATABASE_URL="$url" DATABASE_URL="$url"
    # The NATS event bus tests (crates/adapters-nats) use their own streams on this server.
    nats_url="$(scripts/nats.sh start)"
    export TEST_NATS_URL="$nats_url"
    # The TypeScript SDK: packages, then its generated files, bundle, unit tests and AsyncAPI
    # document (its browser tests are e2e tests of the cargo run below).
    scripts/sdk.sh install check
    cargo test --workspace --all-targets "$@"

# Fault tests (PostgreSQL restart, SIGKILL, SIGTERM, stalled readers) on a throwaway cluster of their own (target/pg-chaos, 127.0.0.1:55462); `just chaos sigkill` runs the matching ones
chaos *FILTER:
    #!/usr/bin/env bash
    set -euo pipefail
    # The tests stop and start this cluster themselves (scripts/pg.sh with the same variables).
    export HOURGLASS_PG_PORT="${HOURGLASS_CHAOS_PG_PORT:-55462}"
    export HOURGLASS_PG_DIR="${HOURGLASS_CHAOS_PG_DIR:-$PWD/target/pg-chaos}"
    url="$(scripts/pg.sh start)"
    trap 'scripts/pg.sh stop' EXIT
    export TEST_DATABASE_URL="$url" DATABASE_URL="$url"
    began=$SECONDS
    cargo test -p hourglass-server --test chaos -- --ignored --test-threads=1 --nocapture "$@"
    echo "chaos: $((SECONDS - began)) s (build included)" >&2

# The end-to-end tests again with EVENT_BUS=nats on a nats-server of their own (127.0.0.1:54242, target/nats-e2e); extra args filter them
test-nats *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    url="$(scripts/pg.sh start)"
    export TEST_DATABASE_URL="$url" DATABASE_URL="$url"
    export HOURGLASS_NATS_PORT="${HOURGLASS_E2E_NATS_PORT:-54242}"
    export HOURGLASS_NATS_DIR="${HOURGLASS_E2E_NATS_DIR:-$PWD/target/nats-e2e}"
    export TEST_NATS_URL="$(scripts/nats.sh start)"
    trap 'scripts/nats.sh stop' EXIT
    export HOURGLASS_TEST_EVENT_BUS=nats
    began=$SECONDS
    # Skipped: the two tests of the PostgreSQL engine's own LISTEN connection (this engine has
    # none; its counterpart is the broker restart of `just chaos-bus`).
    cargo test -p hourglass-server --test e2e -- --skip listen_connection "$@"
    echo "test-nats: $((SECONDS - began)) s (build included)" >&2

# The event-bus fault tests (three instances; relay holder killed, LISTEN dropped, broker restarted) on both engines, on a cluster and a nats-server of their own
chaos-bus:
    #!/usr/bin/env bash
    set -euo pipefail
    export HOURGLASS_PG_PORT="${HOURGLASS_CHAOS_PG_PORT:-55462}"
    export HOURGLASS_PG_DIR="${HOURGLASS_CHAOS_PG_DIR:-$PWD/target/pg-chaos}"
    url="$(scripts/pg.sh start)"
    export HOURGLASS_NATS_PORT="${HOURGLASS_CHAOS_NATS_PORT:-54262}"
    export HOURGLASS_NATS_DIR="${HOURGLASS_CHAOS_NATS_DIR:-$PWD/target/nats-chaos}"
    export TEST_NATS_URL="$(scripts/nats.sh start)"
    trap 'scripts/nats.sh stop; scripts/pg.sh stop' EXIT
    export TEST_DATABASE_URL="$url" DATABASE_URL="$url"
    began=$SECONDS
    HOURGLASS_TEST_EVENT_BUS=postgres cargo test -p hourglass-server --test chaos -- --ignored \
        --test-threads=1 --nocapture bus_faults::relay_holder_killed bus_faults::listen_connection_dropped
    HOURGLASS_TEST_EVENT_BUS=nats cargo test -p hourglass-server --test chaos -- --ignored \
        --test-threads=1 --nocapture bus_faults::relay_holder_killed bus_faults::broker_killed_and_restarted
    echo "chaos-bus: $((SECONDS - began)) s (build included)" >&2

# Formatting check, clippy with warnings denied, rustdoc with warnings denied
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items

# Check the dependency rule (server → adapters → ports → domain) with cargo tree
arch:
    scripts/arch.sh

# Build and run the server on the durable local PostgreSQL, with a development JWT secret and token
run:
    #!/usr/bin/env bash
    set -euo pipefail
    url="$(scripts/pg.sh start --durable)"
    secret_file=target/dev-jwt-secret
    if [[ ! -s $secret_file ]]; then
        mkdir -p target
        (umask 077 && head -c 32 /dev/urandom | base64 > "$secret_file")
        echo "created a development JWT secret in $secret_file" >&2
    fi
    secret="$(< "$secret_file")"
    cargo build --release -p hourglass-server
    bin="${CARGO_TARGET_DIR:-target}/release/hourglass"
    export DATABASE_URL="$url" JWT_SECRET="$secret" BIND_ADDR="${BIND_ADDR:-127.0.0.1:8000}"
    token="$("$bin" token --sub dev --name Dev --ttl 86400)"
    echo
    echo "DATABASE_URL=$DATABASE_URL"
    echo "JWT_SECRET=$JWT_SECRET   (kept in $secret_file)"
    echo "token for user 'dev' (valid 24 h):"
    echo "$token"
    echo
    echo "serving on http://$BIND_ADDR  (WebSocket ws://$BIND_ADDR/v1/ws/timers, API reference http://$BIND_ADDR/docs)"
    echo
    exec "$bin" serve

# Apply pending migrations to the local (durable) PostgreSQL
migrate:
    #!/usr/bin/env bash
    set -euo pipefail
    DATABASE_URL="$(scripts/pg.sh start --durable)" cargo run -p hourglass-server -- migrate

# The TypeScript SDK (clients/typescript): install, regenerate its types and browser bundle (commit them), check and unit-test it, then its browser tests against the real server
sdk:
    #!/usr/bin/env bash
    set -euo pipefail
    scripts/sdk.sh install build check
    url="$(scripts/pg.sh start)"
    export TEST_DATABASE_URL="$url" DATABASE_URL="$url"
    cargo test -p hourglass-server --test e2e sdk_browser

# Regenerate docs/openapi.json from the handlers (commit the result; a test checks it)
openapi:
    UPDATE_OPENAPI=1 cargo test -p hourglass-adapters-actix --lib openapi::tests::the_committed_document_is_current

# Run the benchmark set against a release build and durable PostgreSQL; writes docs/benchmarks.md (`just bench --quick`: smoke run)
bench *ARGS:
    scripts/bench.sh "$@"

# Commands/s with 1, 2 and 3 instances on one database, pgbench with pg_notify and with an outbox INSERT, all in one run (`just bench-instances --base <commit>` adds an older design at 3 instances)
bench-instances *ARGS:
    scripts/bench-instances.sh "$@"

# Soak run: mixed load with connection churn on a release build and durable PostgreSQL; judges RSS, fds and DB connections (`just soak --minutes 3`: a trial)
soak *ARGS:
    scripts/soak.sh "$@"

# Criterion micro-benchmarks (domain transitions, timer rendering, metrics recording); extra args go to cargo bench
bench-micro *ARGS:
    cargo bench -p hourglass-domain -p hourglass-adapters-actix "$@"

# Run the load generator (release); e.g. `just loadgen cycles --secret S --target http://127.0.0.1:8000`
loadgen *ARGS:
    cargo run --release -q -p hourglass-loadgen -- "$@"

# Fuzz every target (cargo-fuzz, stable, no sanitizer) over the committed corpus; `just fuzz --seconds 600 --target rest_query`
fuzz *ARGS:
    scripts/fuzz.sh "$@"

# Build the Debian package (cargo-deb; installs it when missing) into target/debian/; `just package --check` also checks it unpacked, `--profile dev` packages the debug binary
package *ARGS:
    scripts/package.sh "$@"

# Check the Prometheus alerting rules (promtool check rules) and run their unit tests (promtool test rules); fetches promtool when missing
alerts:
    scripts/promtool.sh check rules docs/operations/alerts.yaml
    scripts/promtool.sh test rules docs/operations/alerts.test.yaml

# cargo-deny: banned and duplicate crates, licences, sources (installs cargo-deny when missing); advisories: docs/operations.md
deny:
    scripts/cargo-tool.sh deny
    cargo deny --log-level warn check bans licenses sources

# Check that vendor/actix-http is the published actix-http 3.20.0 plus vendor/actix-http.patch (`just vendor --tests`: also its library tests)
vendor *ARGS:
    scripts/vendor-check.sh "$@"

# Format all code
fmt:
    cargo fmt --all

# What CI runs (.ci/run): tests, lints, the dependency rule
ci: test lint arch
