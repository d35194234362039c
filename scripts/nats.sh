#!/usr/bin/env bash
# A local NATS server with JetStream for tests, `just run` and CI (the NATS event bus, issue 22).
#
# Usage: scripts/nats.sh start | stop | kill | url | status | install
#
#   start      start `nats-server -js` (when not running) and wait until it answers; prints ONLY
#              its URL on stdout, so `URL=$(scripts/nats.sh start)` works. Idempotent. A start after
#              `kill` or `stop` reuses the same JetStream store.
#   stop       stop the server gracefully (SIGTERM; no-op when stopped).
#   kill       kill -9 the server (fault tests); the store stays.
#   url        print the URL (whether or not the server runs).
#   status     print state, folder and URL; exit 0 when running, 3 when stopped.
#   install    make sure nats-server exists (apt-get install nats-server as root); print its path.
#
# Environment:
#   HOURGLASS_NATS_PORT  TCP port on 127.0.0.1 (default 54222)
#   HOURGLASS_NATS_DIR   folder (default <repo>/target/nats): JetStream store in ./jetstream,
#                        log in ./nats-server.log, pid in ./nats-server.pid
# Everything but the URL goes to stderr.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly PORT="${HOURGLASS_NATS_PORT:-54222}"
readonly HOST=127.0.0.1
readonly READY_TIMEOUT=30              # seconds
readonly URL="nats://${HOST}:${PORT}"

log() { printf 'nats.sh: %s\n' "$*" >&2; }
die() { printf 'nats.sh: error: %s\n' "$*" >&2; exit 1; }

[[ $PORT =~ ^[0-9]+$ ]] || die "HOURGLASS_NATS_PORT must be a number, got '$PORT'"

DIR="${HOURGLASS_NATS_DIR:-$REPO_ROOT/target/nats}"
[[ $DIR = /* ]] || DIR="$PWD/$DIR"
readonly DIR
readonly STORE="$DIR/jetstream" LOGFILE="$DIR/nats-server.log" PIDFILE="$DIR/nats-server.pid"

find_binary() {
    command -v nats-server 2>/dev/null && return 0
    [[ -x /usr/bin/nats-server ]] && { echo /usr/bin/nats-server; return 0; }
    return 1
}

ensure_binary() {
    if BIN="$(find_binary)"; then return 0; fi
    [[ $(id -u) -eq 0 ]] || die "nats-server not found. Install it, e.g. 'sudo apt-get install -y nats-server', or run this script as root to install it"
    command -v apt-get >/dev/null 2>&1 || die "nats-server not found and apt-get is not available"
    log "nats-server not found; installing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends nats-server >&2 || die "apt-get install nats-server failed"
    BIN="$(find_binary)" || die "nats-server was installed but is not on PATH"
}

running_pid() {
    [[ -s $PIDFILE ]] || return 1
    local pid
    pid="$(<"$PIDFILE")"
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # Ours only: the process must be a nats-server using our store.
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STORE" || return 1
    echo "$pid"
}

answers() {
    # The monitoring-free check: a TCP connect plus the server's INFO line.
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT && head -c 4 <&3" 2>/dev/null | grep -q INFO
}

take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$DIR"
    exec 9>>"$DIR/.lock"
    flock -w 60 9 || die "another scripts/nats.sh is still running for $DIR"
}

cmd_start() {
    take_lock
    ensure_binary
    mkdir -p "$STORE"
    if running_pid >/dev/null; then
        log "already running on $HOST:$PORT ($DIR)"
    else
        answers && die "another server already answers on $HOST:$PORT; stop it or set HOURGLASS_NATS_PORT"
        local before=0
        [[ -f $LOGFILE ]] && before="$(wc -l <"$LOGFILE")"
        log "starting nats-server -js on $HOST:$PORT (store $STORE, log $LOGFILE)"
        # setsid: the server outlives this script and the caller's process group; fd 9 (the lock)
        # is not inherited.
        setsid "$BIN" -js -a "$HOST" -p "$PORT" -sd "$STORE" -l "$LOGFILE" -P "$PIDFILE" \
            </dev/null >/dev/null 2>&1 9>&- &
        local deadline=$((SECONDS + READY_TIMEOUT))
        until answers && running_pid >/dev/null; do
            if ((SECONDS >= deadline)); then
                tail -n 30 "$LOGFILE" >&2 2>/dev/null || true
                die "nats-server did not become ready within ${READY_TIMEOUT}s"
            fi
            sleep 0.1
        done
        # JetStream recovers its store before it serves API requests; wait for that too.
        until tail -n "+$((before + 1))" "$LOGFILE" 2>/dev/null | grep -q "Server is ready"; do
            ((SECONDS < deadline)) || die "nats-server did not finish starting within ${READY_TIMEOUT}s"
            sleep 0.1
        done
    fi
    echo "$URL"
}

cmd_stop() {
    local pid
    if pid="$(running_pid)"; then
        log "stopping nats-server (pid $pid)"
        kill -TERM "$pid"
        local deadline=$((SECONDS + 30))
        while kill -0 "$pid" 2>/dev/null; do
            ((SECONDS < deadline)) || die "nats-server (pid $pid) did not stop within 30 s"
            sleep 0.1
        done
    else
        log "not running ($DIR)"
    fi
}

cmd_kill() {
    local pid
    if pid="$(running_pid)"; then
        log "kill -9 nats-server (pid $pid)"
        kill -KILL "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    else
        log "not running ($DIR)"
    fi
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid) on $HOST:$PORT"
        echo "store: $STORE"
        echo "log:   $LOGFILE"
        echo "url:   $URL"
        return 0
    fi
    echo "stopped ($DIR)"
    return 3
}

main() {
    local cmd=${1:-}
    case $cmd in
        start) cmd_start ;;
        stop) cmd_stop ;;
        kill) cmd_kill ;;
        url) echo "$URL" ;;
        status) cmd_status ;;
        install) ensure_binary; log "nats-server: $BIN ($("$BIN" --version))"; echo "$BIN" ;;
        -h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
        *) die "usage: scripts/nats.sh start | stop | kill | url | status | install" ;;
    esac
}

main "$@"
