#!/usr/bin/env bash
# Runs scripts/official_sdk_check.py (official Scaleway Python SDK) against the simulator:
# creates a virtual environment, installs the pinned SDK, builds and starts `scaleway-sim` on a
# free port, runs the check, and always stops the simulator.
#
# Environment: PYTHON (default python3), VENV (default target/official-sdk-venv),
# SIM_TIME_SCALE (default 0.1), CARGO_TARGET_DIR (default target).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="${VENV:-$target_dir/official-sdk-venv}"

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

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r scripts/requirements-official-sdk.txt

cargo build --quiet -p scaleway-sim --bin scaleway-sim
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$target_dir/debug/scaleway-sim" --listen "127.0.0.1:$port" --time-scale "${SIM_TIME_SCALE:-0.1}" >"$sim_out" &
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

"$venv/bin/python" scripts/official_sdk_check.py
