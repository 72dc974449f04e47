#!/usr/bin/env bash
# Runs scripts/official-sdk-ts/check.mjs (official Scaleway TypeScript SDK) against the simulator:
# installs the SDK exactly as locked (`npm ci`), builds and starts `scaleway-sim` on a free port
# (scripts/standalone_simulator.sh), runs the check, and always stops the simulator.
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

# shellcheck source=scripts/standalone_simulator.sh
. "$root/scripts/standalone_simulator.sh"

(cd "$check_dir" && "$npm" ci --no-audit --no-fund --loglevel=error)

start_simulator

"$node" "$check_dir/check.mjs"
