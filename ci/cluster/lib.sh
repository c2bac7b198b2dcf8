# Shared helpers for ci/cluster/* (sourced, not executed).
# shellcheck shell=bash
set -euo pipefail
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLUSTER_DIR/../.." && pwd)"
# shellcheck source=ci/versions.env
source "$ROOT/ci/versions.env"
CACHE="${AIFACTORY_CACHE:-$HOME/.cache/aifactory-chart}"
BIN="$ROOT/bin"
mkdir -p "$CACHE/logs" "$BIN"
export PATH="$BIN:$PATH"
export DEBIAN_FRONTEND=noninteractive

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
# fail_log WHAT LOG: print the tail of LOG and die naming it.
fail_log() { [[ -f "$2" ]] && tail -n 30 "$2" >&2; die "$1 (full log: $2)"; }
# hash_of FILE...: short stable hash of the given files' contents (cache keys).
hash_of() { cat "$@" | sha256sum | cut -c1-12; }
# timed LABEL CMD...: runs CMD, prints its duration, appends it to $CACHE/timings.log.
timed() {
  local label="$1"; shift
  local t0=$SECONDS
  "$@"
  local dt=$((SECONDS - t0))
  say "$label: ${dt}s"
  printf '%s %s %ss\n' "$(date -u +%FT%TZ)" "$label" "$dt" >>"$CACHE/timings.log"
}
# with_lock NAME: serialize concurrent runs of the same step (flock on a cache file).
with_lock() {
  exec {LOCKFD}>"$CACHE/.$1.lock"
  flock "$LOCKFD"
}
# Prefer the Debian dockerd's own socket; the docker CLI in /usr/local/bin talks to it.
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"

apt_ready=""
apt_update_once() {
  [[ -n "$apt_ready" ]] && return
  say "apt-get update"
  apt-get update -qq >"$CACHE/logs/apt-update.log" 2>&1 || fail_log "apt-get update failed" "$CACHE/logs/apt-update.log"
  apt_ready=1
}
# apt_install PKG...: installs missing Debian packages without starting their services.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  apt_update_once
  say "apt-get install ${missing[*]}"
  local had_policy=1
  [[ -e /usr/sbin/policy-rc.d ]] || { had_policy=0; printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  local rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$CACHE/logs/apt-install.log" 2>&1 || rc=$?
  ((had_policy)) || rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || fail_log "apt-get install ${missing[*]} failed" "$CACHE/logs/apt-install.log"
}
