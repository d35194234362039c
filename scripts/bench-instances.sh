#!/usr/bin/env bash
# Commands per second with 1, 2 and 3 instances on one database (issue 22), on both event-bus
# engines, side by side with the design before the outbox (a base commit, at 3 instances) and with
# pgbench doing a command's SQL with `pg_notify`, with an outbox INSERT, and exactly as the server
# runs it (the ceiling), at 16 and 48 clients, all in one run. Then the cross-instance fan-out
# latency at half the 3-instance rate (open loop: where users are, not at saturation).
#
# Usage: scripts/bench-instances.sh [--base COMMIT] [--engines LIST] [--light] [--out FILE]
#
#   --base C     also build COMMIT (in a worktree under target/bench-base) and measure it at 3
#                instances: the "before" column. Default: no base run.
#   --engines L  comma-separated, of postgres and nats (default both). NATS runs on a
#                nats-server of its own (scripts/nats.sh, port BENCH_NATS_PORT, default 54234).
#   --light      only the light-load row of each engine (no pgbench, no maximum): a quick
#                check of the cross-instance delivery where users are (raise BENCH_INSTANCE_S for
#                more samples: 10 commands/s per loadgen).
#   --out F      where the report goes (default target/bench/instances.md).
#
# Each instance is `hourglass serve` with HTTP_WORKERS=1, RUNTIME_WORKERS=1 (three instances
# with tokio's default of one thread per core ran 5-15 % fewer commands/s on 2 cores: idle
# runtime threads of every instance competing with PostgreSQL; BENCH_RUNTIME_WORKERS changes it)
# and a pool of 16, on the durable bench cluster (fsync on; port BENCH_PG_PORT, default 55434,
# folder target/pg-bench-instances); the base, which predates RUNTIME_WORKERS, gets the same
# through tokio's TOKIO_WORKER_THREADS. One `loadgen cycles` per instance drives it at its
# maximum (closed loop): its users' device 0 on that instance, device 1 on the next one, so every
# fan-out copy crosses instances. The figures:
#   - commands/s: the sum of the loadgens', and that sum over the ceiling;
#   - cross-instance delivery p99: from the reply on device 0 to the copy on device 1 (what the
#     other device waits beyond the device that made the change), and the fan-out p99 from the
#     command's (scheduled) send, which adds the command's own round trip; copies that never came
#     (`fanout_missing`) are counted;
#   - table scans per command (`pg_stat_user_tables`, index + sequential, outside `event_outbox`,
#     whose scans are the relays' publishing and idle polls): what the writers read plus what
#     every receiving instance reads, so it grows with the instances when receivers load events;
#   - CPU (pidstat, when installed): the database's CPU milliseconds per command, and the share of
#     the cores the servers (and nats-server) and the loadgens took. The pgbench rows have the
#     same for pgbench, so the two can be set side by side.
# Then each engine at 3 instances at half its maximum and at a light load (BENCH_LIGHT_RATE,
# default 30 commands/s in all, 8 users per loadgen): open loop, where users are.
#
# Environment: BENCH_INSTANCE_USERS (users per loadgen, default 32), BENCH_INSTANCE_S (seconds
# per phase, default 15), BENCH_PGBENCH_S (default 10), BENCH_BIN (an `hourglass` binary to
# measure instead of the tree's release build, e.g. a copy of an earlier one, for before/after
# runs on one machine). Benchmarks are not tests.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

base=""
light=0
engines=postgres,nats
out=target/bench/instances.md
while (($#)); do
    case $1 in
        --base) base=${2:?--base needs a commit}; shift ;;
        --out) out=${2:?--out needs a file}; shift ;;
        --engines) engines=${2:?--engines needs a list}; shift ;;
        --light) light=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-instances.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
: "${BENCH_INSTANCE_USERS:=32}" "${BENCH_INSTANCE_S:=15}" "${BENCH_PGBENCH_S:=10}"
: "${BENCH_LIGHT_RATE:=30}"

export HOURGLASS_PG_PORT="${BENCH_PG_PORT:-55434}"
export HOURGLASS_PG_DIR="${BENCH_PG_DIR:-$REPO_ROOT/target/pg-bench-instances}"
work=target/bench/instances
mkdir -p "$work"
rm -f "$work"/*
log() { printf 'bench-instances.sh: %s\n' "$*" >&2; }
die() { printf 'bench-instances.sh: error: %s\n' "$*" >&2; exit 1; }

# `cpu_sample FILE SECONDS`: pidstat's average %CPU per process over SECONDS, in the background
# (nothing when pidstat is missing). `cpu_of FILE PATTERN`: the summed %CPU of the matching
# commands in FILE ("" without a sample).
cpu_sample() {
    cpu_pid=""
    command -v pidstat >/dev/null 2>&1 || return 0
    pidstat -u -C 'hourglass|postgres|loadgen|nats-server|pgbench' "$2" 1 >"$1" 2>&1 &
    cpu_pid=$!
}
cpu_of() {
    [[ -s $1 ]] || return 0
    awk -v pat="$2" '/^Average:/ && $NF ~ pat {s += $8} END {printf "%.0f", s}' "$1"
}
# `db_ms_per FILE RATE`: the database's CPU milliseconds per operation at RATE per second.
db_ms_per() {
    awk -v c="$(cpu_of "$1" '^postgres$')" -v r="$2" 'BEGIN {printf "%.2f ms", c * 10 / r}'
}

log "building hourglass and loadgen (release)"
cargo build --release -q -p hourglass-server -p hourglass-loadgen
target_dir="${CARGO_TARGET_DIR:-target}"
bin_now="${BENCH_BIN:-$target_dir/release/hourglass}"
loadgen="$target_dir/release/loadgen"
bin_base=""
if [[ -n $base ]]; then
    tree=target/bench-base
    if [[ ! -d $tree ]]; then git worktree add --detach "$tree" "$base" >&2; fi
    git -C "$tree" checkout -q --detach "$base"
    log "building the base $base (release) in $tree"
    (cd "$tree" && CARGO_TARGET_DIR="$REPO_ROOT/target/bench-base-target" cargo build --release -q -p hourglass-server)
    bin_base="$REPO_ROOT/target/bench-base-target/release/hourglass"
fi

base_url="$(scripts/pg.sh start --durable)"
db_url="${base_url%/*}/hourglass_instances"
reset_database() {
    psql -X -q -v ON_ERROR_STOP=1 "$base_url" \
        -c 'DROP DATABASE IF EXISTS hourglass_instances WITH (FORCE)' \
        -c 'CREATE DATABASE hourglass_instances'
    DATABASE_URL="$db_url" "$bin_now" migrate >&2
}

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/pg.sh stop >/dev/null 2>&1 || true
    [[ -z ${nats_url:-} ]] || scripts/nats.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

nats_url=""
if [[ ,$engines, == *,nats,* ]]; then
    export HOURGLASS_NATS_PORT="${BENCH_NATS_PORT:-54234}"
    export HOURGLASS_NATS_DIR="$REPO_ROOT/target/nats-bench"
    nats_url="$(scripts/nats.sh start)"
fi

secret="$(head -c 32 /dev/urandom | base64)"
export JWT_SECRET="$secret" RATE_LIMIT_ENABLED=false DATABASE_POOL_SIZE=16 HTTP_WORKERS=1
export RUNTIME_WORKERS="${BENCH_RUNTIME_WORKERS:-1}"
export RUST_LOG=warn LOG_FORMAT=json ALARM_SCHEDULER_ENABLED=false

# pgbench: a command's SQL with pg_notify (today's writers), with an outbox INSERT, and as the
# server runs it (the ceiling), each at 16 and 48 clients, into `tps` and `cpu`.
declare -A tps cpu
pgbench_rows() {
    local script clients pgbench_cpu minid maxid
    reset_database
    psql -X -q -v ON_ERROR_STOP=1 "$db_url" <<'SQL'
INSERT INTO users (subject, nickname, created_at, updated_at)
SELECT 'pgbench-' || g, 'pgbench' || g, now(), now() FROM generate_series(1, 1000) AS g;
INSERT INTO timers (id, owner_id, allocated_duration, status, started_at, pause_history,
                    created_at, updated_at)
SELECT gen_random_uuid(), id, 1500, 'RUNNING', now(),
       '[{"action":"start","at":"2026-01-01T00:00:00Z"}]'::jsonb, now(), now()
  FROM users WHERE subject LIKE 'pgbench-%';
VACUUM ANALYZE users, timers;
SQL
    read -r minid maxid < <(psql -X -At -F' ' "$db_url" -c "SELECT min(id), max(id) FROM users WHERE subject LIKE 'pgbench-%'")
    for script in command command-outbox command-served; do
        for clients in 16 48; do
            log "pgbench $script, $clients clients"
            cpu_sample "$work/cpu-pgbench-$script-$clients.txt" "$((BENCH_PGBENCH_S - 2))"
            pgbench -n -c "$clients" -j 2 -T "$BENCH_PGBENCH_S" -f "scripts/bench/$script.sql" \
                -D minid="$minid" -D maxid="$maxid" "$db_url" >"$work/pgbench-$script-$clients.txt" 2>&1
            [[ -z $cpu_pid ]] || wait "$cpu_pid"
            tps[$script-$clients]="$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$work/pgbench-$script-$clients.txt" | awk '{printf "%.0f", $1}')"
            pgbench_cpu="$work/cpu-pgbench-$script-$clients.txt"
            cpu[$script-$clients]="–"
            [[ ! -s $pgbench_cpu ]] || cpu[$script-$clients]="$(db_ms_per "$pgbench_cpu" "${tps[$script-$clients]}") · pgbench $(cpu_of "$pgbench_cpu" '^pgbench$') %"
            psql -X -q "$db_url" -c 'TRUNCATE event_outbox' -c 'VACUUM timers' -c 'CHECKPOINT'
        done
    done
}
if ((light == 0)); then pgbench_rows; fi

scans() {
    psql -X -At "$db_url" -c 'SELECT pg_stat_force_next_flush()' >/dev/null 2>&1 || true
    psql -X -At "$db_url" -c "SELECT coalesce(sum(coalesce(idx_scan, 0) + seq_scan), 0) FROM pg_stat_user_tables WHERE relname NOT LIKE 'event_outbox%'"
}

# `run LABEL ENGINE BIN N [RATE [USERS]]`: N instances of BIN on ENGINE, one loadgen per instance
# with USERS users (default BENCH_INSTANCE_USERS), at its maximum (closed loop) or, with RATE, at
# RATE commands/s in all (open loop).
declare -A result max_rate
run() {
    local label=$1 engine=$2 bin=$3 n=$4 rate=${5:-0} users=${6:-$BENCH_INSTANCE_USERS}
    local i port next before after lg_pids=()
    local key="$label-$engine-$n-$rate"
    reset_database
    pids=()
    local bus_env=(EVENT_BUS=postgres)
    if [[ $engine == nats ]]; then
        # A stream of this run's own, so nothing of an earlier run is replayed.
        bus_env=(EVENT_BUS=nats "NATS_URL=$nats_url" "NATS_STREAM=BENCH$RANDOM$SECONDS" "NATS_SUBJECT_PREFIX=b$RANDOM$SECONDS")
    fi
    for ((i = 0; i < n; i++)); do
        port=$((18180 + i))
        env "${bus_env[@]}" BIND_ADDR="127.0.0.1:$port" DATABASE_URL="$db_url" "$bin" serve \
            >>"$work/server-$key.log" 2>&1 &
        pids+=($!)
    done
    for ((i = 0; i < n; i++)); do
        port=$((18180 + i))
        local deadline=$((SECONDS + 30))
        until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]]; do
            ((SECONDS < deadline)) || die "instance $i of $key did not start"
            sleep 0.05
        done
    done
    before="$(scans)"
    for ((i = 0; i < n; i++)); do
        port=$((18180 + i))
        next=$((18180 + (i + 1) % n))
        local fanout=() pace=()
        ((n > 1)) && fanout=(--fanout-target "http://127.0.0.1:$next")
        [[ $rate == 0 ]] || pace=(--rate "$(awk -v r="$rate" -v n="$n" 'BEGIN {printf "%.1f", r / n}')")
        "$loadgen" cycles --target "http://127.0.0.1:$port" "${fanout[@]}" "${pace[@]}" \
            --users "$users" --devices 2 --duration "$BENCH_INSTANCE_S" \
            --run-id "$key-$i-$(date +%s)" >"$work/loadgen-$key-$i.txt" 2>&1 &
        lg_pids+=($!)
    done
    # The middle of the phase: connecting and draining are left out.
    sleep 2
    cpu_sample "$work/cpu-$key.txt" "$((BENCH_INSTANCE_S - 4))"
    for i in "${lg_pids[@]}"; do wait "$i" || die "a loadgen of $key failed"; done
    [[ -z $cpu_pid ]] || wait "$cpu_pid"
    sleep 2
    after="$(scans)"
    for i in "${pids[@]}"; do kill -TERM "$i" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
    local total=0 commands=0 delivery="" median="" fan="" missing=0 json tp
    for ((i = 0; i < n; i++)); do
        json="$(tail -n 1 "$work/loadgen-$key-$i.txt")"
        tp="$(jq -r '.throughput_per_s' <<<"$json")"
        total="$(awk -v a="$total" -v b="$tp" 'BEGIN {printf "%.0f", a + b}')"
        missing=$((missing + $(jq -r '.errors.fanout_missing // 0' <<<"$json")))
        if ((n > 1)); then
            delivery+="${delivery:+ / }$(jq -r '.latency.fanout_after_reply.p99_ms // 0 | . * 10 | round / 10' <<<"$json")"
            median+="${median:+ / }$(jq -r '.latency.fanout_after_reply.p50_ms // 0 | . * 10 | round / 10' <<<"$json")"
            fan+="${fan:+ / }$(jq -r '.latency.fanout.p99_ms // 0 | . * 10 | round / 10' <<<"$json")"
        fi
    done
    max_rate[$key]=$total
    commands="$(awk -v t="$total" -v d="$BENCH_INSTANCE_S" 'BEGIN {printf "%.0f", t * d}')"
    local ceiling="${tps[command-served-16]:-}"
    ((n > 1)) && ceiling="${tps[command-served-48]:-}"
    local of_ceiling="–"
    [[ $rate != 0 || -z $ceiling ]] || of_ceiling="$(awk -v a="$total" -v c="$ceiling" 'BEGIN {printf "%.0f %%", 100 * a / c}')"
    local cpu_file="$work/cpu-$key.txt" cpu_cell="–"
    if [[ -s $cpu_file ]]; then
        cpu_cell="$(db_ms_per "$cpu_file" "$total") · servers $(cpu_of "$cpu_file" '^(hourglass|nats-server)$') % · loadgens $(cpu_of "$cpu_file" '^loadgen$') %"
    fi
    result[$key]="| $label | $engine | $n | ${rate/#0/max} | $total | $of_ceiling | ${delivery:-–} | ${median:-–} | ${fan:-–} | $missing | $(awk -v a="$before" -v b="$after" -v c="$commands" 'BEGIN {printf "%.2f", (b - a) / c}') | $cpu_cell |"
    log "${result[$key]}"
}

IFS=, read -r -a engine_list <<<"$engines"
rows=()
for engine in "${engine_list[@]}"; do
    if ((light)); then
        run outbox "$engine" "$bin_now" 3 "$BENCH_LIGHT_RATE" 8
        rows+=("${result[outbox-$engine-3-$BENCH_LIGHT_RATE]}")
        continue
    fi
    for n in 1 2 3; do
        run outbox "$engine" "$bin_now" "$n"
        rows+=("${result[outbox-$engine-$n-0]}")
    done
    half="$(awk -v r="${max_rate[outbox-$engine-3-0]}" 'BEGIN {printf "%.0f", r / 2}')"
    run outbox "$engine" "$bin_now" 3 "$half"
    rows+=("${result[outbox-$engine-3-$half]}")
    run outbox "$engine" "$bin_now" 3 "$BENCH_LIGHT_RATE" 8
    rows+=("${result[outbox-$engine-3-$BENCH_LIGHT_RATE]}")
done
if [[ -n $bin_base ]]; then
    export TOKIO_WORKER_THREADS="$RUNTIME_WORKERS"
    run "notify ($base)" postgres "$bin_base" 3
    unset TOKIO_WORKER_THREADS
    rows+=("${result[notify ($base)-postgres-3-0]}")
fi

light_flag=""
((light == 0)) || light_flag=" --light"
mkdir -p "$(dirname "$out")"
{
    echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2 " GiB"}'), load before $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Command: \`scripts/bench-instances.sh${base:+ --base $base}$light_flag\` (users per loadgen $BENCH_INSTANCE_USERS, ${BENCH_INSTANCE_S} s per phase; every instance with HTTP_WORKERS=1, RUNTIME_WORKERS=$RUNTIME_WORKERS, pool 16)."
    if ((light == 0)); then
        echo
        echo "| pgbench script | 16 clients | 48 clients | database CPU per transaction · pgbench's CPU, 16 clients |"
        echo "|---|---|---|---|"
        echo "| lock, update, \`pg_notify\`, commit (\`command.sql\`, the writers before issue 22) | ${tps[command-16]} tps | ${tps[command-48]} tps | ${cpu[command-16]} |"
        echo "| lock, update, outbox \`INSERT\`, commit (\`command-outbox.sql\`) | ${tps[command-outbox-16]} tps | ${tps[command-outbox-48]} tps | ${cpu[command-outbox-16]} |"
        echo "| a command's statements as the server runs them (\`command-served.sql\`, the ceiling) | ${tps[command-served-16]} tps | ${tps[command-served-48]} tps | ${cpu[command-served-16]} |"
    fi
    echo
    echo "Commands/s against the ceiling: 1 instance (pool 16) against 16 clients, 2 and 3 instances against 48."
    echo "Delivery p99 and p50: reply on device 0 → copy on device 1 (another instance); fan-out p99: the command's (scheduled) send → that copy. One figure per loadgen."
    echo
    echo "| design | engine | instances | rate | commands/s (sum) | of the ceiling | cross-instance delivery p99, ms | delivery p50, ms | fan-out p99 from send, ms | copies missing | table scans per command (outside the outbox) | CPU: database per command · servers · loadgens |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$out"
cat "$out"
