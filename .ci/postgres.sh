#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the `postgres`-marked tests and print, on stdout, the line
#   export GRIDSIM_TEST_PG_URL=postgresql+psycopg://gridsim@127.0.0.1:PORT/gridsim_test
# for `eval "$(bash .ci/postgres.sh)"`.
#
# Idempotent: a cluster this script already started is reused. Fail-soft: if PostgreSQL cannot
# be installed or started, it prints nothing on stdout and exits 0, so those tests skip.
# Diagnostics go to stderr. Listens on 127.0.0.1 only; data lives under $GRIDSIM_PG_DIR.

set -u

STATE_DIR="${GRIDSIM_PG_DIR:-${TMPDIR:-/tmp}/gridsim-ci-postgres}"
DATA="$STATE_DIR/data"
DB_USER=gridsim
DB_NAME=gridsim_test

log() { echo "postgres.sh: $*" >&2; }

pg_bindir() {
    # Debian keeps the server binaries out of PATH, one directory per major version.
    local initdb
    initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$initdb" ]; then
        initdb=$(command -v initdb 2>/dev/null) || return 1
    fi
    dirname "$(readlink -f "$initdb")"
}

install_postgres() {
    [ "$(id -u)" -eq 0 ] || { log "not root: cannot apt-get install postgresql"; return 1; }
    command -v apt-get >/dev/null || { log "no apt-get"; return 1; }
    log "installing postgresql with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
}

# Run a server binary as the cluster owner: PostgreSQL refuses to run as root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'EOF' 2>/dev/null || echo 55432
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

print_url() {
    echo "export GRIDSIM_TEST_PG_URL=postgresql+psycopg://$DB_USER@127.0.0.1:$1/$DB_NAME"
}

main() {
    local bin port
    bin=$(pg_bindir) || { install_postgres && bin=$(pg_bindir); } || {
        log "PostgreSQL unavailable; postgres tests will skip"
        return 0
    }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        log "no 'postgres' system user to own the cluster; postgres tests will skip"
        return 0
    fi

    if [ -f "$STATE_DIR/port" ] && as_owner "$bin/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
        port=$(cat "$STATE_DIR/port")
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
            print_url "$port"
            return 0
        fi
    fi

    mkdir -p "$STATE_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$STATE_DIR"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$DATA" -U "$DB_USER" -A trust -E UTF8 --no-sync >&2 || {
            log "initdb failed; postgres tests will skip"
            return 0
        }
    fi
    port=$(free_port)
    # Throwaway data: durability settings off for speed.
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$STATE_DIR/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $STATE_DIR -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" >&2 || {
        log "server did not start (see $STATE_DIR/server.log); postgres tests will skip"
        return 0
    }
    echo "$port" >"$STATE_DIR/port"
    if ! "$bin/psql" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME" >&2 || {
            log "createdb failed; postgres tests will skip"
            return 0
        }
    fi
    if ! python3 -c "import psycopg" 2>/dev/null; then
        log "note: psycopg is not importable here; install the 'postgres' extra or tests skip"
    fi
    print_url "$port"
}

main
exit 0
