#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback for the tests, and export their URLs.
# Sourced by test.sh (needs .venv from bootstrap.sh); `bash scripts/services.sh` also works.
# Servers that already answer are used as they are: nothing here stops or reconfigures them.

[[ "${BASH_SOURCE[0]}" != "$0" ]] || set -euo pipefail  # strict when run, caller's options when sourced
# shellcheck source=scripts/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

export COP_TEST_PG_URL="postgresql://postgres@127.0.0.1:5432/cop_test"
export COP_TEST_REDIS_URL="redis://127.0.0.1:6379/0"

# Talk to the servers through the venv's drivers, so no client binaries are needed.
_pg() { # _pg SQL...: run statements as postgres on the maintenance db
    "$COP_ROOT/.venv/bin/python" - "$@" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
for sql in sys.argv[1:]:
    conn.cursor().execute(sql)
PY
}
_pg_ok() { _pg "SELECT 1" 2>/dev/null; }
_pg_port_open() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
_redis_ok() {
    "$COP_ROOT/.venv/bin/python" -c \
        "import redis; redis.Redis.from_url('$COP_TEST_REDIS_URL', socket_timeout=3).ping()" 2>/dev/null
}
_wait() { # _wait CHECK...: retry a check for up to 30 s
    local _
    for _ in $(seq 60); do "$@" && return 0; sleep 0.5; done
    echo "services: gave up waiting for: $*" >&2
    return 1
}

_pg_start() {
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        echo "services: installing PostgreSQL from apt"
        apt_install postgresql
    fi
    local ver hba
    ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    # Debian's package creates the "main" cluster (listening on localhost); recreate it if gone.
    [ -d "/etc/postgresql/$ver/main" ] || pg_createcluster "$ver" main
    echo "services: starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true # may already be running
    _wait _pg_port_open
    if ! _pg_ok; then
        # Debian's default pg_hba wants a password over TCP: trust loopback (test-only server).
        echo "services: enabling trust auth for local connections in $hba"
        sed -i '1i local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
        _wait _pg_ok
    fi
}

_redis_start() {
    if ! command -v redis-server >/dev/null; then
        echo "services: installing Redis from apt"
        apt_install redis-server
    fi
    if ! _redis_ok; then # the package may have started one already
        echo "services: starting Redis"
        # Same flags as the machine's own Redis: loopback only, keeps nothing on disk.
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp
        _wait _redis_ok
    fi
}

if ! _pg_ok; then _pg_start; fi
# A fresh database every run, so tests never see the last run's rows (serve_scaled.sh, which
# only wants the servers, sets COP_SERVICES_KEEP_TEST_DB=1).
if [ -z "${COP_SERVICES_KEEP_TEST_DB:-}" ]; then
    _pg "DROP DATABASE IF EXISTS cop_test WITH (FORCE)" "CREATE DATABASE cop_test OWNER postgres" \
        "DROP DATABASE IF EXISTS cop_test_b WITH (FORCE)" "CREATE DATABASE cop_test_b OWNER postgres"
fi
if ! _redis_ok; then _redis_start; fi

echo "services: PostgreSQL at $COP_TEST_PG_URL"
echo "services: Redis at $COP_TEST_REDIS_URL"
