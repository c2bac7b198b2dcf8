# Shared helpers for ci/cluster/* (sourced, not executed).
# shellcheck shell=bash
set -euo pipefail
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=cluster
# shellcheck source=ci/lib.sh
source "$CLUSTER_DIR/../lib.sh"
mkdir -p "$CACHE/logs" "$BIN"
export PATH="$BIN:$PATH"
export DEBIAN_FRONTEND=noninteractive

# hash_of FILE...: short stable hash of the given files' contents (cache keys).
hash_of() { cat "$@" | sha256sum | cut -c1-12; }
# timed LABEL CMD...: runs CMD, prints its duration, appends it to $CACHE/timings.log.
timed() {
  local label="$1"; shift
  local t0=$SECONDS
  "$@"
  local dt=$((SECONDS - t0))
  say "$label: ${dt}s"
  record "$label" "$dt"
}
# Prefer the Debian dockerd's own socket; the docker CLI in /usr/local/bin talks to it.
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
