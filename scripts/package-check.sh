#!/usr/bin/env bash
# Checks a built Hourglass .deb without installing it (nothing on the machine changes):
#
#   1. its metadata: name, dependencies, the env file declared a conffile, the maintainer
#      scripts that create the `hourglass` user;
#   2. its files, unpacked with `dpkg-deb -x` into a temporary root: the binary, the systemd unit,
#      /etc/hourglass/hourglass.env (every line a comment), the /usr/share/doc page;
#   3. the unit, with `systemd-analyze verify --root` where systemd-analyze exists (skipped,
#      saying so, elsewhere), and its hardening settings;
#   4. the unpacked binary, started with the packaged env file (as systemd would load it) plus
#      DATABASE_URL_FILE and JWT_SECRET_FILE against the test PostgreSQL (scripts/pg.sh): it must
#      answer /readyz and /metrics, then stop cleanly on SIGTERM.
#
# Usage: scripts/package-check.sh target/debian/hourglass_<version>_<arch>.deb
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

deb="${1:?usage: scripts/package-check.sh <file.deb>}"
[[ -f $deb ]] || { echo "package-check: no such file: $deb" >&2; exit 1; }

fail() { printf 'package-check: FAILED: %s\n' "$*" >&2; exit 1; }
ok() { printf 'package-check: ok: %s\n' "$*" >&2; }
# GET a URL, print the body; fails unless 200 (python3 rather than curl, which CI may lack).
http_get() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
        sys.stdout.write(answer.read().decode())
except Exception:
    sys.exit(1)
PY
}

root="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$root"
}
trap cleanup EXIT

# 1. Metadata.
info="$(dpkg-deb --info "$deb")"
grep -q '^ Package: hourglass$' <<<"$info" || fail "the package is not named hourglass"
grep -q '^ Depends:.*adduser' <<<"$info" || fail "the package does not depend on adduser"
dpkg-deb --control "$deb" "$root/control"
grep -qx '/etc/hourglass/hourglass.env' "$root/control/conffiles" || fail "/etc/hourglass/hourglass.env is not a conffile"
grep -q 'adduser --system' "$root/control/postinst" || fail "postinst does not create the hourglass user"
ok "metadata ($(grep '^ Version:' <<<"$info" | tr -d ' '))"

# 2. Files.
dpkg-deb -x "$deb" "$root/fs"
fs="$root/fs"
unit=""
for candidate in "$fs/lib/systemd/system/hourglass.service" "$fs/usr/lib/systemd/system/hourglass.service"; do
    [[ -f $candidate ]] && unit="$candidate"
done
[[ -n $unit ]] || fail "no hourglass.service in the package"
[[ -x $fs/usr/bin/hourglass ]] || fail "no executable /usr/bin/hourglass"
env_file="$fs/etc/hourglass/hourglass.env"
[[ -f $env_file ]] || fail "no /etc/hourglass/hourglass.env"
[[ $(stat -c %a "$env_file") == 600 ]] || fail "hourglass.env is mode $(stat -c %a "$env_file"), not 600"
if grep -vnE '^(#.*)?$' "$env_file"; then fail "hourglass.env sets the lines above; every setting must be commented out"; fi
[[ -s $fs/usr/share/doc/hourglass/README.md ]] || fail "no /usr/share/doc/hourglass/README.md"
[[ -s $fs/usr/share/doc/hourglass/copyright ]] || fail "no /usr/share/doc/hourglass/copyright"
ok "files: ${unit#"$fs"}, /usr/bin/hourglass, /etc/hourglass/hourglass.env, /usr/share/doc/hourglass/"

# 3. The unit.
for setting in 'User=hourglass' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
               'PrivateTmp=yes' 'CapabilityBoundingSet=' 'EnvironmentFile=/etc/hourglass/hourglass.env' \
               'ExecStart=/usr/bin/hourglass serve'; do
    grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    # --root resolves ExecStart and the unit's dependencies inside the unpacked tree, so the
    # host's own units (sysinit.target, network-online.target, ...) are laid beside ours there.
    host_units=""
    for dir in /lib/systemd/system /usr/lib/systemd/system; do
        [[ -f $dir/sysinit.target ]] && host_units=$dir && break
    done
    if [[ -n $host_units ]]; then
        unit_dir="$(dirname "$unit")"
        cp -rn "$host_units/." "$unit_dir/" 2>/dev/null || true
        status=0
        verify="$(systemd-analyze verify --root="$fs" "${unit#"$fs"}" 2>&1)" || status=$?
        if grep -i 'hourglass' <<<"$verify" || ((status != 0)); then
            printf '%s\n' "$verify" >&2
            fail "systemd-analyze verify found problems in hourglass.service (exit $status)"
        fi
        ok "systemd-analyze verify: hourglass.service is clean"
    else
        echo "package-check: systemd-analyze found but no systemd units on this host: unit verification skipped" >&2
    fi
else
    echo "package-check: systemd-analyze not found: unit verification skipped" >&2
fi

# 4. Start the unpacked binary as the unit would, against the test PostgreSQL.
url="$(scripts/pg.sh start)"
secrets="$root/secrets"
mkdir -m 700 "$secrets"
printf '%s\n' "$url" > "$secrets/database-url"
head -c 32 /dev/urandom | base64 > "$secrets/jwt-secret"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$root/server.log"
(
    # systemd's EnvironmentFile: every line is a comment, so this only proves it parses.
    set -a
    # shellcheck disable=SC1090
    . "$env_file"
    set +a
    export DATABASE_URL_FILE="$secrets/database-url" JWT_SECRET_FILE="$secrets/jwt-secret" \
        BIND_ADDR="127.0.0.1:$port" LOG_FORMAT=json
    exec "$fs/usr/bin/hourglass" serve
) >"$log" 2>&1 &
server_pid=$!
ready=""
for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$log" >&2
        fail "the unpacked binary exited at start"
    fi
    if http_get "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        ready=yes
        break
    fi
    sleep 0.1
done
[[ -n $ready ]] || { cat "$log" >&2; fail "no answer on /readyz within 30 s"; }
metrics="$(http_get "http://127.0.0.1:$port/metrics")" || fail "/metrics did not answer 200"
grep -q '^hourglass_build_info{version=' <<<"$metrics" || fail "/metrics has no hourglass_build_info"
grep -q '^hourglass_listener_connected 1$' <<<"$metrics" || fail "the LISTEN connection is not up"
ok "the unpacked binary serves /readyz and /metrics on 127.0.0.1:$port (secrets from _FILE)"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
((status == 0)) || { cat "$log" >&2; fail "exit status $status after SIGTERM"; }
grep -q '"stopped"' "$log" || { cat "$log" >&2; fail "no 'stopped' log line after SIGTERM"; }
ok "SIGTERM: stopped cleanly"
