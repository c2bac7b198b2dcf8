#!/usr/bin/env bash
# `helm aifactory ARGS`: runs `aifactory-policy ARGS` from a virtualenv made on first use from this
# plugin's folder (the repository: pyproject.toml, src/, policies/, charts/), under
# ${XDG_CACHE_HOME:-~/.cache}/aifactory-policy/helm-plugin/<digest of those sources>, so a plugin
# update makes a new one. `check` renders with the Helm running the plugin ($HELM_BIN) unless
# --helm or --helm-major is given. AIFACTORY_POLICY_PYTHON picks the Python (default python3).
# AIFACTORY_POLICY_CLI=<path> runs an aifactory-policy installed otherwise (pipx, a venv) instead.
set -euo pipefail
if [[ -n "${AIFACTORY_POLICY_CLI:-}" ]]; then cli="$AIFACTORY_POLICY_CLI"; fi
plugin_dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
python="${AIFACTORY_POLICY_PYTHON:-python3}"
die() { printf 'helm aifactory: %s\n' "$*" >&2; exit 2; }

run() {
  if [[ "${1:-}" == "check" && -n "${HELM_BIN:-}" ]]; then
    case " $* " in
      *" --helm "*|*" --helm="*|*" --helm-major"*) ;;
      *) shift; set -- check --helm "$HELM_BIN" "$@" ;;
    esac
  fi
  exec "$cli" "$@"
}
if [[ -n "${cli:-}" ]]; then run "$@"; fi

command -v "$python" >/dev/null 2>&1 \
  || die "$python not found; install Python 3.10 or later (or set AIFACTORY_POLICY_PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "$python is $("$python" -V 2>&1); aifactory-policy needs Python 3.10 or later (set AIFACTORY_POLICY_PYTHON)"

digest="$(cd "$plugin_dir" && find pyproject.toml setup.py MANIFEST.in src policies charts/aifactory ci/versions.env \
  -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/aifactory-policy/helm-plugin/${digest:0:16}"
cli="$venv/bin/aifactory-policy"
install() {
  [[ -f "$venv/.installed" ]] && return 0   # made by a run that held the lock before this one
  printf 'helm aifactory: first run: installing aifactory-policy from %s into %s\n' "$plugin_dir" "$venv" >&2
  rm -rf "$venv"
  local log
  log="$(mktemp)"
  if ! { "$python" -m venv "$venv" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
           "${plugin_dir}[cluster]"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$venv" "$log"
    die "could not install aifactory-policy (pip's output above); check that pip reaches its index"
  fi
  rm -f "$log"
  touch "$venv/.installed"
}
if [[ ! -f "$venv/.installed" ]]; then
  mkdir -p "$(dirname "$venv")"
  if command -v flock >/dev/null 2>&1; then   # two first runs at once: one installs, the other waits
    exec 9>"$venv.lock"
    flock 9
    install
    flock -u 9
    exec 9>&-
  else
    install
  fi
fi

run "$@"
