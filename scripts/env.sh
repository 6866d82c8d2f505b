#!/usr/bin/env bash
# Sourced by the other scripts and the Makefile: the environment the app and tests run in.
# Only sets variables and defines helpers; installs nothing (that is bootstrap.sh's job).

COP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export COP_ROOT

# Bun comes from the npm registry into .tools/bun (Reflex's own installer would
# download it from GitHub, which is not reachable from CI).
export COP_BUN_VERSION="1.4.4"
export PATH="$COP_ROOT/.venv/bin:$COP_ROOT/.tools/bun/node_modules/.bin:$PATH"
if [ -e "$COP_ROOT/.tools/bun/node_modules/.bin/bun" ]; then
    # Reflex reads config fields from REFLEX_<FIELD>; point it at our bun.
    REFLEX_BUN_PATH="$(readlink -f "$COP_ROOT/.tools/bun/node_modules/.bin/bun")"
    export REFLEX_BUN_PATH
fi
export REFLEX_TELEMETRY_ENABLED=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

# apt_install PKG...: install Debian packages, running `apt-get update` at most once per shell.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${COP_APT_UPDATED:-}" ]; then
        $sudo apt-get update -q
        COP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"
}
