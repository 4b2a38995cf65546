#!/usr/bin/env bash
# Times the README's set-up (`make setup`: venv, every package, llama-cpp-python compiled, the bundled model joined)
# as a new machine does it: a fresh clone of this checkout's HEAD and an empty pip cache. Prints the seconds.
# Usage: bash eval/bench_setup.sh [WORK_DIR]   (default: a new temporary folder; removed afterwards)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
git clone --quiet "$repo" "$work/clone"
start=$SECONDS
(cd "$work/clone" && PIP_CACHE_DIR="$work/pip-cache" make setup >"$work/setup.log" 2>&1) || {
    tail -20 "$work/setup.log"
    exit 1
}
printf 'set-up from a fresh clone, empty pip cache: %d s (commit %s, %s cores)\n' \
    "$((SECONDS - start))" "$(git -C "$repo" rev-parse --short HEAD)" "$(nproc)"
[ -n "${1:-}" ] || rm -rf "$work"
