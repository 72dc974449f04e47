# Sourced by the official SDK checks: `start_simulator` builds `scaleway-sim`, starts it on a free
# port of 127.0.0.1 with `--time-scale ${SIM_TIME_SCALE:-0.1}`, waits for the credentials it
# prints and exports them (SCW_API_URL, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID,
# SCW_DEFAULT_ORGANIZATION_ID); the simulator is stopped when the calling script exits.
#
# Expects `root` (the repository) and `target_dir` (cargo's target directory) to be set.

sim_pid=""
sim_out=""

stop_simulator() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    if [ -n "$sim_out" ]; then
        rm -f "$sim_out"
    fi
}

start_simulator() {
    trap stop_simulator EXIT INT TERM
    (cd "$root" && cargo build --quiet -p scaleway-sim --bin scaleway-sim)
    sim_out="$(mktemp)"
    # Port 0: the simulator binds a free port and prints the address it got.
    "$target_dir/debug/scaleway-sim" --listen 127.0.0.1:0 --time-scale "${SIM_TIME_SCALE:-0.1}" >"$sim_out" &
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
}
