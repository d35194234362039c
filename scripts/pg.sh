#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, `just run` and CI.
#
# Usage: scripts/pg.sh start [--durable] | stop | url | status | reset | install
#
#   start      initialise (first time) and start the cluster; prints ONLY its URL on stdout, so
#              `URL=$(scripts/pg.sh start)` works. Idempotent. Without --durable the cluster runs
#              with fsync, synchronous_commit and full_page_writes off (fast, for tests); with
#              --durable they are on (for `just run` and benchmarks). A running cluster in the
#              other mode is restarted in the requested one.
#   stop       stop the cluster (no-op when stopped).
#   url        print the URL (whether or not the cluster runs).
#   status     print state, mode, folder and URL; exit 0 when running, 3 when stopped.
#   reset      stop the cluster and delete its folder.
#   install    make sure the PostgreSQL server binaries exist (apt-get as root); print their folder.
#
# Environment:
#   HOURGLASS_PG_PORT    TCP port on 127.0.0.1 (default 55432)
#   HOURGLASS_PG_DIR     cluster folder (default <repo>/target/pg; data in ./data, log in ./postgres.log)
#   HOURGLASS_PG_BINDIR  folder holding initdb/pg_ctl/postgres (default: found automatically)
#
# Facts this script works around: `initdb` and `pg_ctl` refuse to run as root, so as root the
# server binaries run as the `postgres` user, which must be able to traverse every parent of the
# cluster folder; when it cannot (a repository under a 0700 /root, say) the default folder moves to
# /tmp/hourglass-pg-<port>. Everything but the URL goes to stderr.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly PORT="${HOURGLASS_PG_PORT:-55432}"
readonly HOST=127.0.0.1
readonly APP_USER=hourglass
readonly APP_PASSWORD=hourglass
readonly APP_DB=hourglass
readonly SERVER_USER=postgres          # OS user that runs the server when we are root
readonly READY_TIMEOUT=30              # seconds

URL="postgres://${APP_USER}:${APP_PASSWORD}@${HOST}:${PORT}/${APP_DB}"
readonly URL

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { printf 'pg.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

[[ $PORT =~ ^[0-9]+$ ]] || die "HOURGLASS_PG_PORT must be a number, got '$PORT'"

# Client-side libpq variables from the caller's environment must not redirect our own psql calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSSLMODE PGOPTIONS PGDATA 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# Binaries
# ---------------------------------------------------------------------------------------------

has_server_binaries() {
    [[ -n ${1:-} && -x $1/initdb && -x $1/pg_ctl && -x $1/postgres && -x $1/pg_isready && -x $1/psql ]]
}

find_bindir() {
    local dir
    if [[ -n ${HOURGLASS_PG_BINDIR:-} ]]; then
        has_server_binaries "$HOURGLASS_PG_BINDIR" && { echo "$HOURGLASS_PG_BINDIR"; return 0; }
        die "HOURGLASS_PG_BINDIR=$HOURGLASS_PG_BINDIR does not hold initdb, pg_ctl, postgres, pg_isready and psql"
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        has_server_binaries "$dir" && { echo "$dir"; return 0; }
    fi
    # Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin, newest major first.
    local candidates=()
    mapfile -t candidates < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r)
    for dir in "${candidates[@]}"; do
        has_server_binaries "$dir" && { echo "$dir"; return 0; }
    done
    return 1
}

install_postgresql() {
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries not found and apt-get is not available; install PostgreSQL (initdb, pg_ctl, postgres) or set HOURGLASS_PG_BINDIR"
    log "PostgreSQL server binaries not found; installing with apt-get (this takes 15-30 s)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed"
}

ensure_bindir() {
    if BINDIR="$(find_bindir)"; then
        return 0
    fi
    if is_root; then
        install_postgresql
        BINDIR="$(find_bindir)" || die "PostgreSQL was installed but its binaries were not found under /usr/lib/postgresql/*/bin"
    else
        die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found. Install them, e.g. 'sudo apt-get install -y postgresql', or run this script as root to install them, or set HOURGLASS_PG_BINDIR"
    fi
}

# ---------------------------------------------------------------------------------------------
# Where the cluster lives and who runs it
# ---------------------------------------------------------------------------------------------

# The nearest existing ancestor of a (possibly not yet existing) path.
existing_ancestor() {
    local p="$1"
    while [[ ! -e $p ]]; do p="$(dirname "$p")"; done
    echo "$p"
}

# Can the server user reach (traverse into) this existing folder?
server_user_can_reach() {
    (cd / && runuser -u "$SERVER_USER" -- test -x "$1") 2>/dev/null
}

ensure_server_user() {
    if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        log "creating system user '$SERVER_USER' to run the server (initdb refuses to run as root)"
        useradd --system --user-group --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin "$SERVER_USER" >&2
    fi
}

# Sets PGROOT (cluster folder), DATA (PGDATA) and LOGFILE. Does not create anything.
resolve_dir() {
    local explicit=${HOURGLASS_PG_DIR:-}
    PGROOT="${explicit:-$REPO_ROOT/target/pg}"
    [[ $PGROOT = /* ]] || PGROOT="$PWD/$PGROOT"
    if is_root && id -u "$SERVER_USER" >/dev/null 2>&1; then
        local anc
        anc="$(existing_ancestor "$PGROOT")"
        if ! server_user_can_reach "$anc"; then
            if [[ -n $explicit ]]; then
                die "HOURGLASS_PG_DIR=$explicit: user '$SERVER_USER' cannot traverse $anc; choose a folder it can reach"
            fi
            local fallback="/tmp/hourglass-pg-$PORT"
            log "user '$SERVER_USER' cannot traverse $anc; using $fallback instead of $PGROOT"
            PGROOT="$fallback"
        fi
    fi
    [[ $PGROOT != *"'"* ]] || die "the cluster folder must not contain a single quote: $PGROOT"
    DATA="$PGROOT/data"
    LOGFILE="$PGROOT/postgres.log"
}

# Run a server-side binary: as the postgres user when we are root, directly otherwise.
# fd 9 (our lock) is closed so a started postmaster never inherits it.
as_server() {
    if is_root; then
        (cd / && runuser -u "$SERVER_USER" -- "$@") 9>&-
    else
        "$@" 9>&-
    fi
}

take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    local lock
    lock="${TMPDIR:-/tmp}/hourglass-pg-$PORT-$(id -u).lock"
    if ! (: >>"$lock") 2>/dev/null; then
        log "cannot create lock file $lock; continuing without a lock"
        return 0
    fi
    exec 9>>"$lock"
    if ! flock -w 120 9; then
        die "another scripts/pg.sh is still running on port $PORT (lock $lock)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Cluster operations
# ---------------------------------------------------------------------------------------------

is_initialised() { [[ -f $DATA/PG_VERSION ]]; }

is_running() {
    is_initialised || return 1
    [[ -n ${BINDIR:-} ]] || BINDIR="$(find_bindir)" || return 1
    as_server "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

psql_admin() {
    PGCONNECT_TIMEOUT=5 "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$HOST" -p "$PORT" -U postgres -d postgres "$@"
}

# Prints "on" or "off" (the running server's fsync).
running_fsync() { psql_admin -At -c 'SHOW fsync' 2>/dev/null || echo unknown; }

show_log_tail() {
    if [[ -f $LOGFILE ]]; then
        log "last lines of $LOGFILE:"
        tail -n 40 "$LOGFILE" | sed 's/^/    /' >&2 || true
    fi
}

init_cluster() {
    mkdir -p "$PGROOT"
    if is_root; then
        ensure_server_user
        # The folder we just created must itself be reachable (a restrictive umask, say).
        local parent
        parent="$(dirname "$PGROOT")"
        server_user_can_reach "$parent" || die "user '$SERVER_USER' cannot traverse $parent"
        chown "$SERVER_USER": "$PGROOT"
    fi
    chmod 0700 "$PGROOT"
    local major
    major="$("$BINDIR/pg_ctl" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
    log "initialising PostgreSQL $major cluster in $DATA"
    if ! as_server "$BINDIR/initdb" -D "$DATA" --auth=trust --username=postgres -E UTF8 --locale=C \
        >"$PGROOT/initdb.log" 2>&1; then
        cat "$PGROOT/initdb.log" >&2
        die "initdb failed"
    fi
}

check_version() {
    local data_major bin_major
    data_major="$(cat "$DATA/PG_VERSION")"
    bin_major="$("$BINDIR/pg_ctl" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
    if [[ $data_major != "$bin_major" ]]; then
        die "cluster in $DATA is PostgreSQL $data_major but the binaries in $BINDIR are $bin_major; run 'scripts/pg.sh reset'"
    fi
}

server_options() {
    local durable=$1 sync=off
    [[ $durable == 1 ]] && sync=on
    local socket_dir=$DATA
    # Unix socket paths are limited to 107 bytes; a deep checkout goes TCP-only.
    if (( ${#DATA} + 16 > 100 )); then socket_dir=""; fi
    printf '%s ' \
        "-c listen_addresses=$HOST" \
        "-c port=$PORT" \
        "-c unix_socket_directories='$socket_dir'" \
        "-c max_connections=300" \
        "-c shared_buffers=256MB" \
        "-c fsync=$sync" \
        "-c synchronous_commit=$sync" \
        "-c full_page_writes=$sync"
}

wait_ready() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    while (( SECONDS < deadline )); do
        if ! is_running; then
            show_log_tail
            die "PostgreSQL exited during start-up (port $PORT busy?)"
        fi
        # Ready only when *our* postmaster says so (line 8 of postmaster.pid) and it answers.
        if grep -qs '^ready' "$DATA/postmaster.pid" \
            && "$BINDIR/pg_isready" -q -h "$HOST" -p "$PORT" -t 1; then
            return 0
        fi
        sleep 0.2
    done
    show_log_tail
    die "PostgreSQL did not become ready within ${READY_TIMEOUT}s"
}

start_server() {
    local durable=$1 mode=fast
    [[ $durable == 1 ]] && mode=durable
    if "$BINDIR/pg_isready" -q -h "$HOST" -p "$PORT" -t 1; then
        die "another server already answers on $HOST:$PORT; stop it or set HOURGLASS_PG_PORT"
    fi
    log "starting PostgreSQL on $HOST:$PORT ($mode mode, data $DATA, log $LOGFILE)"
    # -w: pg_ctl itself notices a postmaster that dies during start-up.
    if ! as_server "$BINDIR/pg_ctl" start -w -t "$READY_TIMEOUT" -D "$DATA" -l "$LOGFILE" \
        -o "$(server_options "$durable")" >&2; then
        show_log_tail
        die "pg_ctl start failed"
    fi
    wait_ready
}

stop_server() {
    if is_running; then
        log "stopping PostgreSQL ($DATA)"
        as_server "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 30 >&2 || {
            show_log_tail
            die "pg_ctl stop failed"
        }
    fi
}

ensure_app_role_and_db() {
    psql_admin <<SQL >&2
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_USER}') THEN
        CREATE ROLE ${APP_USER} LOGIN SUPERUSER CREATEDB PASSWORD '${APP_PASSWORD}';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE ${APP_DB} OWNER ${APP_USER}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${APP_DB}') \gexec
SQL
}

cmd_start() {
    local durable=0
    while (($#)); do
        case $1 in
            --durable) durable=1 ;;
            *) die "start: unknown option '$1' (expected --durable)" ;;
        esac
        shift
    done
    take_lock
    ensure_bindir
    if is_root; then ensure_server_user; fi
    resolve_dir
    is_initialised || init_cluster
    check_version
    if is_running; then
        local want=off fsync
        [[ $durable == 1 ]] && want=on
        fsync="$(running_fsync)"
        if [[ $fsync != "$want" ]]; then
            log "running with fsync=$fsync; restarting with fsync=$want"
            stop_server
            start_server "$durable"
        else
            log "already running on $HOST:$PORT ($DATA)"
        fi
    else
        start_server "$durable"
    fi
    ensure_app_role_and_db
    echo "$URL"
}

cmd_stop() {
    resolve_dir
    if ! is_initialised; then
        log "no cluster in $DATA"
        return 0
    fi
    BINDIR="$(find_bindir)" || die "PostgreSQL binaries not found; cannot stop $DATA"
    take_lock
    if is_running; then stop_server; else log "not running ($DATA)"; fi
}

cmd_status() {
    resolve_dir
    if is_running; then
        local mode=fast
        [[ $(running_fsync) == on ]] && mode=durable
        echo "running ($mode) on $HOST:$PORT"
        echo "data: $DATA"
        echo "log:  $LOGFILE"
        echo "url:  $URL"
        return 0
    fi
    if is_initialised; then echo "stopped (data: $DATA)"; else echo "not initialised ($DATA)"; fi
    return 3
}

cmd_reset() {
    resolve_dir
    if is_initialised; then
        BINDIR="$(find_bindir)" || true
        if [[ -n ${BINDIR:-} ]]; then
            take_lock
            stop_server
        fi
    fi
    if [[ -e $PGROOT ]]; then
        log "deleting $PGROOT"
        rm -rf -- "$PGROOT"
    fi
}

cmd_install() {
    ensure_bindir
    log "PostgreSQL binaries: $BINDIR ($("$BINDIR/postgres" --version))"
    echo "$BINDIR"
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
        start) cmd_start "$@" ;;
        stop) cmd_stop ;;
        url) echo "$URL" ;;
        status) cmd_status ;;
        reset) cmd_reset ;;
        install) cmd_install ;;
        -h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
        *) die "usage: scripts/pg.sh start [--durable] | stop | url | status | reset | install" ;;
    esac
}

main "$@"
