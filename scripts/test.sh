#!/usr/bin/env bash
# The whole test suite: ruff, mypy (strict on kassi_app) and pytest. Creates the environment first.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not packaging" for a quicker local run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/env.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff" && ruff check kassi_app tests bin
echo "== mypy" && mypy kassi_app
echo "== pytest" && pytest -q "$@"
