#!/usr/bin/env bash
# Runs scripts/official-sdk-ts/check.mjs (official Scaleway TypeScript SDK) against the simulator:
# installs the SDK exactly as locked (`npm ci`), builds and starts `scaleway-sim` on a free port,
# runs the check, and always stops the simulator.
#
# Environment: NODE (default node), NPM (default npm), SIM_TIME_SCALE (default 0.1),
# CARGO_TARGET_DIR (default target), SCW_TS_CHECK_ONLY (comma-separated scenario names, default
# all), SCW_TS_CHECK_TRACE (1 prints every request and answer), SIM_CHECK_TIMEOUT (waiters, s).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
node="${NODE:-node}"
npm="${NPM:-npm}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
check_dir="$root/scripts/official-sdk-ts"

# How the simulator binary is built, and where it lands.
sim_build_command=(cargo build --quiet -p scaleway-sim --bin scaleway-sim)
sim_binary="$target_dir/debug/scaleway-sim"

sim_pid=""
sim_out="$(mktemp)"
cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -f "$sim_out"
}
trap cleanup EXIT INT TERM

(cd "$check_dir" && "$npm" ci --no-audit --no-fund --loglevel=error)

"${sim_build_command[@]}"
port="$("$node" -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')"
"$sim_binary" --listen "127.0.0.1:$port" --time-scale "${SIM_TIME_SCALE:-0.1}" >"$sim_out" &
sim_pid=$!

for _ in $(seq 1 100); do
    if grep -q '^SCW_DEFAULT_ORGANIZATION_ID=' "$sim_out"; then
        break
    fi
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        echo "scaleway-sim exited early" >&2
        exit 1
    fi
    sleep 0.1
done
grep -q '^SCW_DEFAULT_ORGANIZATION_ID=' "$sim_out" || { echo "scaleway-sim did not start" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
. "$sim_out"
set +a
echo "simulator at $SCW_API_URL (pid $sim_pid)"

"$node" "$check_dir/check.mjs"
