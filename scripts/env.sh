#!/usr/bin/env bash
# Creates (or refreshes) the project environment in .venv: Python 3.13 when pyenv has it (what
# Splunk 10.2+ runs app code on), else python3 >= 3.11. Reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  if PYENV_VERSION=3.13.0 python3.13 -c 'import sys' >/dev/null 2>&1; then
    echo "PYENV_VERSION=3.13.0 python3.13"
  elif command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' >/dev/null 2>&1; then
    echo "python3.13"
  elif python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    echo "python3"
  else
    echo "kassi needs Python >= 3.11 (3.13 preferred); none found" >&2
    exit 2
  fi
}

# The report tests open the HTML report in Debian's chromium (driven through playwright, which
# brings no browser of its own here): install it when missing and we may (root with apt-get).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "kassi: installing chromium for the report tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "kassi: could not install chromium; the HTML report browser tests will be skipped" >&2
fi

stamp=".venv/.kassi-installed"
want="$(cat pyproject.toml bench/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  py="$(pick_python)"
  echo "kassi: creating .venv with: $py" >&2
  eval "$py -m venv .venv"
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v 'is ignored' >&2 || true
# kassi with its demo and dev extras, and the benchmarks (a separate, never-shipped package that
# plugs `kassi bench` into the CLI).
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[demos,dev,report]' -e ./bench 2>&1 \
  | grep -vE 'is ignored|^\s*$' >&2 || true
.venv/bin/python -c 'import kassi_app, kassi_bench, burr, mcp, scipy' || { echo "kassi: environment install failed" >&2; exit 1; }
echo "$want" > "$stamp"
