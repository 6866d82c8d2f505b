#!/usr/bin/env bash
# `make test` (and CI): install what is missing, start PostgreSQL/Redis if needed,
# lint, then run the whole pytest suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. scripts/env.sh

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
[ -x /usr/bin/chromium ] || apt_install chromium
. scripts/services.sh

# Lint first but keep going, so one run reports both lint and test failures.
lint_rc=0
ruff check . || lint_rc=1
ruff format --check . || lint_rc=1

test_rc=0
if [ "$#" -gt 0 ]; then
    python -m pytest tests -q -p no:randomly --durations=15 "$@" || test_rc=$?
else
    # The whole suite in two lanes at once, one per core, each with its own PostgreSQL
    # database and Redis number: SQLite unit tests then the handler tests; PostgreSQL unit
    # tests, the scale-out test, then the browser tests (whose app is built and served from
    # the start of that lane, tests/e2e/conftest.py). Each lane's output is shown whole.
    lane_a="$(mktemp)"
    (
        COP_TEST_BACKENDS=sqlite COP_TEST_PG_URL="${COP_TEST_PG_URL}_b" \
            COP_TEST_REDIS_URL="${COP_TEST_REDIS_URL%/*}/1" \
            python -m pytest tests/unit tests/state -q -p no:randomly --durations=10
    ) >"$lane_a" 2>&1 &
    lane_a_pid=$!
    lane_b_rc=0
    COP_TEST_BACKENDS=postgresql COP_TEST_UNIT_BACKEND_ONLY=1 \
        python -m pytest tests/unit tests/scaled tests/e2e -q -p no:randomly --durations=10 \
        || lane_b_rc=$?
    lane_a_rc=0
    wait "$lane_a_pid" || lane_a_rc=$?
    echo "== SQLite unit tests and handler tests (run beside the lane above) =="
    cat "$lane_a"
    rm -f "$lane_a"
    for rc in "$lane_b_rc" "$lane_a_rc"; do
        if [ "$rc" -ne 0 ] && [ "$test_rc" -eq 0 ]; then test_rc=$rc; fi
    done
fi
if [ "$test_rc" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
fi
if [ "$lint_rc" -ne 0 ]; then
    echo "test.sh: ruff found problems (run 'make format' / 'make lint')" >&2
fi
if [ "$test_rc" -ne 0 ] || [ "$lint_rc" -ne 0 ]; then
    exit 1
fi
