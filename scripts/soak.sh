#!/usr/bin/env bash
# Soak run of Hourglass (reliability): a long mixed load with connection churn against a release
# server on durable PostgreSQL, showing whether memory, open files and database connections stay
# flat.
#
# Usage: scripts/soak.sh [--minutes N] [-- LOADGEN_ARGS...]
#
#   --minutes N    length of the load (default 30). The judgement leaves out the first sixth of
#                  the run (at most 5 minutes) as warm-up and compares the next window of that
#                  length with the last one (see tools/loadgen/src/scenario/soak/trend.rs).
#   -- ARGS        extra arguments for `loadgen soak` (e.g. `-- --idle-connections 500`).
#
# What it does: builds the server and loadgen in release; starts a durable PostgreSQL cluster of
# its own (port SOAK_PG_PORT, default 55434, folder target/pg-soak, so the test cluster is left
# alone); creates a fresh database `hourglass_soak`; starts `hourglass serve` (rate limits off,
# RUST_LOG=warn); runs `loadgen soak` with --server-pid and --database-url, which prints a line
# every 10 s and judges the series at the end; meanwhile samples pg_stat_activity by state and
# application_name with psql. Everything lands in target/soak/:
#
#   samples.csv   loadgen's samples: commands, errors, open connections, server RSS/fds/threads,
#                 database connections
#   db.csv        the database's connections by state and by application_name
#   bounded.csv   rows of processed_commands (all, most of one user), users held per rate limit
#   loadgen.txt   loadgen's output; summary.json its final JSON line; server.log the server's log
#
# Load (environment, defaults in brackets): SOAK_USERS [30] command users with 2 devices each at
# SOAK_RATE [150] commands/s, SOAK_IDLE [300] idle WebSockets, SOAK_STREAMS [100] notification
# streams, SOAK_REST_RATE [20] REST requests/s, SOAK_LIFETIME [60] mean connection lifetime in
# seconds. SOAK_RATE_LIMIT_ENABLED [false] turns the server's rate limits on (set their
# variables high enough for the load); `-- --request-ids` gives every command a request_id, so
# processed_commands fills and its clean-up (PROCESSED_COMMANDS_*, from the environment) works;
# bounded.csv then shows both. Exit status: 0 when the verdict is flat, 1 when something grew or
# could not be judged.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

minutes=30
extra=()
while (($#)); do
    case $1 in
        --minutes) minutes=${2:?--minutes needs a number}; shift ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown argument '$1' (loadgen arguments go after --)" >&2; exit 2 ;;
    esac
    shift
done
if ! [[ $minutes =~ ^[0-9]+$ ]] || ((minutes < 1 || minutes > 60)); then
    echo "soak.sh: --minutes must be 1..60" >&2
    exit 2
fi

: "${SOAK_HTTP_PORT:=18090}" "${SOAK_POOL_SIZE:=16}" "${SOAK_SAMPLE_S:=10}"
: "${SOAK_USERS:=30}" "${SOAK_RATE:=150}" "${SOAK_IDLE:=300}" "${SOAK_STREAMS:=100}"
: "${SOAK_REST_RATE:=20}" "${SOAK_LIFETIME:=60}"
export HOURGLASS_PG_PORT="${SOAK_PG_PORT:-55434}"
export HOURGLASS_PG_DIR="${SOAK_PG_DIR:-$REPO_ROOT/target/pg-soak}"

work=target/soak
mkdir -p "$work"
log() { printf 'soak.sh: %s\n' "$*" >&2; }
die() { printf 'soak.sh: error: %s\n' "$*" >&2; exit 1; }

machine_mem="$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
machine="$(nproc) cores, ${machine_mem}, Linux $(uname -r)"
log "machine: $machine; load average $(cut -d' ' -f1-3 /proc/loadavg)"

log "building hourglass and loadgen (release)"
cargo build --release -q -p hourglass-server -p hourglass-loadgen
bin="${CARGO_TARGET_DIR:-target}/release/hourglass"
loadgen="${CARGO_TARGET_DIR:-target}/release/loadgen"

base_url="$(scripts/pg.sh start --durable)"
soak_url="${base_url%/*}/hourglass_soak"
psql -X -q -v ON_ERROR_STOP=1 "$base_url" \
    -c 'DROP DATABASE IF EXISTS hourglass_soak WITH (FORCE)' \
    -c 'CREATE DATABASE hourglass_soak'

# Every connection is two descriptors on this machine (server and loadgen side); the defaults of
# 1024 would be the first thing to run out.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

secret="$(head -c 32 /dev/urandom | base64)"
export JWT_SECRET="$secret" DATABASE_URL="$soak_url" BIND_ADDR="127.0.0.1:$SOAK_HTTP_PORT"
export RATE_LIMIT_ENABLED="${SOAK_RATE_LIMIT_ENABLED:-false}" DATABASE_POOL_SIZE="$SOAK_POOL_SIZE" RUST_LOG="${SOAK_RUST_LOG:-warn}"
export LOG_FORMAT=json
server_log="$work/server.log"
: >"$server_log"
"$bin" migrate >&2

server_pid=""
db_sampler_pid=""
cleanup() {
    if [[ -n $db_sampler_pid ]]; then kill "$db_sampler_pid" 2>/dev/null || true; fi
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$bin" serve >>"$server_log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 30))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$BIND_ADDR/readyz" 2>/dev/null) == 200 ]]; do
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$server_log" >&2; die "the server exited during start-up"; }
    ((SECONDS < deadline)) || die "the server was not ready within 30 s"
    sleep 0.05
done
log "server pid $server_pid ready on $BIND_ADDR (pool $SOAK_POOL_SIZE)"

# The database's view, by state and by who is connected (the listener names itself).
db_csv="$work/db.csv"
echo "elapsed_s,total,active,idle,idle_in_transaction,listener,others" >"$db_csv"
# What must stay bounded (issue 17): rows of processed_commands (all, and the most of one user)
# and the users each rate limit holds (from /metrics, set every 30 s).
bounded_csv="$work/bounded.csv"
echo "elapsed_s,processed_rows,processed_max_per_user,keys_rest,keys_ws_connect,keys_sse_connect" >"$bounded_csv"
t0=$SECONDS
(
    while true; do
        row="$(psql -X -At -F, "$base_url" -c "
            SELECT count(*), count(*) FILTER (WHERE state = 'active'),
                   count(*) FILTER (WHERE state = 'idle'),
                   count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
                   count(*) FILTER (WHERE application_name = 'hourglass-listener'),
                   count(*) FILTER (WHERE application_name <> 'hourglass-listener')
              FROM pg_stat_activity
             WHERE datname = 'hourglass_soak' AND pid <> pg_backend_pid()" 2>/dev/null || echo ",,,,,")"
        echo "$((SECONDS - t0)),$row" >>"$db_csv"
        rows="$(psql -X -At -F, "$soak_url" -c "
            SELECT coalesce(sum(n), 0), coalesce(max(n), 0)
              FROM (SELECT count(*) AS n FROM processed_commands GROUP BY user_id) per_user" \
            2>/dev/null || echo ",")"
        keys="$(curl -s "http://$BIND_ADDR/metrics" 2>/dev/null | awk '
            /^hourglass_rate_limit_keys\{limit="rest"\}/ {r = $2}
            /^hourglass_rate_limit_keys\{limit="ws_connect"\}/ {w = $2}
            /^hourglass_rate_limit_keys\{limit="sse_connect"\}/ {s = $2}
            END {printf "%s,%s,%s", r, w, s}')"
        echo "$((SECONDS - t0)),$rows,$keys" >>"$bounded_csv"
        sleep "$SOAK_SAMPLE_S"
    done
) &
db_sampler_pid=$!

run_id="soak$(date +%s)"
args=(soak --target "http://$BIND_ADDR" --server-pid "$server_pid" --database-url "$soak_url"
    --duration $((minutes * 60)) --sample-interval "$SOAK_SAMPLE_S" --samples-csv "$work/samples.csv"
    --users "$SOAK_USERS" --devices 2 --rate "$SOAK_RATE" --idle-connections "$SOAK_IDLE"
    --sse-streams "$SOAK_STREAMS" --rest-rate "$SOAK_REST_RATE" --churn-lifetime "$SOAK_LIFETIME"
    --run-id "$run_id" --timeout 15 "${extra[@]}")
log "loadgen ${args[*]}"
"$loadgen" "${args[@]}" | tee "$work/loadgen.txt"
tail -n 1 "$work/loadgen.txt" >"$work/summary.json"

# Every client is gone now. The server notices a client that left without a close handshake
# only when it next writes to it (an SSE heartbeat, a WebSocket ping), so its descriptors are
# looked at now and then every 30 s; after a minute they are back to the start plus the pool.
server_sockets() {
    ss -Htan "( sport = :$SOAK_HTTP_PORT )" | awk '$1 != "LISTEN" {n[$1]++} END {for (s in n) printf "%s %d, ", s, n[s]}' | sed 's/, $//'
}
fds_now() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# What the server's descriptors are: sockets by TCP state (sockets the kernel has already
# dropped from its tables, e.g. after a reset, show as "not in a TCP table"), and other kinds.
fd_kinds() {
    local inode state
    declare -A tcp_state=()
    while read -r inode state; do tcp_state[$inode]=$state; done < <(
        awk 'NR > 1 {print $10, $4}' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
    for fd in "/proc/$server_pid/fd"/*; do
        target="$(readlink "$fd" 2>/dev/null)" || continue
        if [[ $target =~ ^socket:\[([0-9]+)\]$ ]]; then
            inode=${BASH_REMATCH[1]}
            case ${tcp_state[$inode]:-none} in
                01) echo "tcp established" ;; 08) echo "tcp close-wait" ;; 0A) echo "tcp listen" ;;
                none) echo "socket not in a TCP table" ;; *) echo "tcp state ${tcp_state[$inode]}" ;;
            esac
        else
            echo "${target%%[:\[]*}"
        fi
    done | sort | uniq -c | awk '{n = $1; $1 = ""; printf "%s%s %d", sep, substr($0, 2), n; sep = ", "}'
}
# SOAK_DRAIN_S (default 60 s: a ping interval plus a heartbeat) is how long it is watched,
# every 30 s at most.
drain_s="${SOAK_DRAIN_S:-60}"
after_now="$(fds_now) fds ($(fd_kinds)); sockets: $(server_sockets)"
log "right after the load: $after_now; watching for ${drain_s} s"
drained=0
while ((drained < drain_s)); do
    pause=$((drain_s - drained < 30 ? drain_s - drained : 30))
    sleep "$pause"
    drained=$((drained + pause))
    after_drain="$(fds_now) fds ($(fd_kinds)), rss $(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status") KiB; sockets: $(server_sockets)"
    log "${drained} s after the load: $after_drain"
done
kill "$db_sampler_pid" 2>/dev/null || true
wait "$db_sampler_pid" 2>/dev/null || true
db_sampler_pid=""

# ---------------------------------------------------------------------------------------------
# Table: one row every sixth of the run (every 5 minutes of a 30-minute run).
# ---------------------------------------------------------------------------------------------
step=$((minutes * 60 / 6))
echo
echo "| minute | server RSS (MiB) | open fds | threads | DB connections | WebSockets open | streams open | commands/s since previous row | errors so far |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F, -v step="$step" -v half="$((SOAK_SAMPLE_S / 2))" '
    NR == 1 { next }
    $1 + half >= next_at {
        rate = (have_prev && $1 > pt) ? sprintf("%.0f", ($2 - pc) / ($1 - pt)) : "–"
        printf "| %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", $1 / 60, $6 / 1024, $7, $8, $9, $4, $5, rate, $3
        pt = $1; pc = $2; have_prev = 1; next_at += step
    }' "$work/samples.csv"
echo
echo "server right after the load: $after_now"
echo "server ${drain_s} s later: $after_drain"
jq -r '"loadgen 3 s after closing everything: rss \(.soak.after.rss_kib) KiB, \(.soak.after.fds) fds, \(.soak.after.threads) threads, \(.soak.after.db_connections) database connections, \(.soak.after.ws_open) ws / \(.soak.after.sse_open) streams open"' "$work/summary.json"
jq -r '"achieved: \(.counters.commands_ok) commands (\(.throughput_per_s | . * 10 | round / 10)/s), \(.counters.rest_ok // 0) REST calls, \(.counters.ws_opened // 0) WebSockets and \(.counters.sse_opened // 0) streams opened (closes: \(.counters.closed_clean // 0) clean, \(.counters.closed_fin // 0) FIN, \(.counters.closed_reset // 0) reset), \(.error_total) errors"' "$work/summary.json"
jq -r '.errors | to_entries[] | "  error \(.key): \(.value)"' "$work/summary.json"
server_errors="$(grep -c '"level":"ERROR"' "$server_log" || true)"
echo "server log: $server_errors ERROR lines ($server_log)"
verdict="$(jq -r '.soak.verdict' "$work/summary.json")"
echo "VERDICT: $verdict"
[[ $(jq -r '.soak.flat' "$work/summary.json") == true ]]
