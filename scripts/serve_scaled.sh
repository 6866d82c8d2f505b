#!/usr/bin/env bash
# `make serve-scaled`: the production build with several Granian workers on PostgreSQL +
# Redis, on one port (http://localhost:3000). Uses the servers answering on loopback, or
# installs and starts them from Debian's packages (scripts/services.sh); creates the database
# if missing, applies the migrations, loads the demo data once, then serves. A worker that
# dies is started again by Granian; open tabs reconnect with their state (kept in Redis).
#   COP_WORKERS (2)  COP_PORT (3000)  COP_SCALED_DB (cop_scaled)  COP_SCALED_REDIS_DB (1)
#   REFLEX_DB_URL / REFLEX_REDIS_URL: set them to use other servers (nothing is created then).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh

if [ -z "${REFLEX_DB_URL:-}" ] || [ -z "${REFLEX_REDIS_URL:-}" ]; then
    COP_SERVICES_KEEP_TEST_DB=1 . scripts/services.sh
fi
if [ -z "${REFLEX_DB_URL:-}" ]; then
    db="${COP_SCALED_DB:-cop_scaled}"
    python - "$db" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[1],))
if cur.fetchone() is None:
    cur.execute(f'CREATE DATABASE "{sys.argv[1]}" OWNER postgres')
    print(f"serve_scaled: created database {sys.argv[1]}")
PY
    export REFLEX_DB_URL="postgresql+psycopg2://postgres@127.0.0.1:5432/$db"
fi
export REFLEX_REDIS_URL="${REFLEX_REDIS_URL:-redis://127.0.0.1:6379/${COP_SCALED_REDIS_DB:-1}}"

reflex db migrate
python -m cop_app.manage seed
exec python -m cop_app.serve --port "${COP_PORT:-3000}" --workers "${COP_WORKERS:-2}"
