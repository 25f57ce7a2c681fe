#!/usr/bin/env bash
# The main job on the embedded default: set up the environment, check the machine, then run kassi
# end to end on a demo change (arguments go to `kassi demo`, default: the SQLite write-lock demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/env.sh
export PATH="$PWD/.venv/bin:$PATH"
kassi doctor
kassi demo run "${1:-sqlite-write-lock}" --check "${@:2}"
