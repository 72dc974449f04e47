#!/usr/bin/env bash
# Runs scripts/official_sdk_check.py (official Scaleway Python SDK) against the simulator:
# creates a virtual environment, installs the pinned SDK, builds and starts `scaleway-sim` on a
# free port (scripts/standalone_simulator.sh), runs the check, and always stops the simulator.
#
# Environment: PYTHON (default python3), VENV (default target/official-sdk-venv),
# SIM_TIME_SCALE (default 0.1), CARGO_TARGET_DIR (default target).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="${VENV:-$target_dir/official-sdk-venv}"

# shellcheck source=scripts/standalone_simulator.sh
. "$root/scripts/standalone_simulator.sh"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r scripts/requirements-official-sdk.txt

start_simulator

"$venv/bin/python" scripts/official_sdk_check.py
