# Shared by every ci/ script (sourced, not executed): where things are, the pinned versions, and how
# to talk. Set LOG_TAG before sourcing (e.g. LOG_TAG=bootstrap) to prefix messages with [bootstrap].
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/versions.env
source "$ROOT/ci/versions.env"
# Everything built or downloaded lives here, keyed on the versions above; never in the checkout.
CACHE="${AIFACTORY_CACHE:-$HOME/.cache/aifactory-chart}"
# shellcheck disable=SC2034  # used by the scripts that source this file
BIN="$ROOT/bin"
LOG_TAG="${LOG_TAG:-ci}"

say() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }
# fail_log WHAT LOG: print the tail of LOG and die naming it.
fail_log() { [[ -f "$2" ]] && tail -n 30 "$2" >&2; die "$1 (full log: $2)"; }
# record LABEL SECONDS: one line in $CACHE/timings.log (bench/run and the docs read it).
record() { mkdir -p "$CACHE"; printf '%s %s %ss\n' "$(date -u +%FT%TZ)" "$1" "$2" >>"$CACHE/timings.log"; }
# ms: milliseconds since the epoch; elapsed START_MS: seconds since then, one decimal.
ms() { date +%s%3N; }
elapsed() { local d=$(( $(ms) - $1 )); printf '%d.%d' $((d / 1000)) $((d % 1000 / 100)); }
# go_tool NAME MODULE VERSION [LDFLAGS]: builds MODULE@VERSION once into
# $CACHE/tools/NAME-VERSION[-ldflags hash] (the cache key) and sets LAST_TOOL to the binary.
# CGO_ENABLED=0: static binaries, so one can be copied into a scratch image as it is.
go_tool() {
  local name="$1" module="$2" version="$3" ldflags="${4:-}"
  local dir="$CACHE/tools/$name-$version"
  [[ -z "$ldflags" ]] || dir="$dir-$(printf '%s' "$ldflags" | sha256sum | cut -c1-8)"
  local binary
  binary="$dir/$(basename "${module%%@*}")"
  if [[ -x "$binary" ]]; then
    say "$name $version: cached"
  else
    say "$name $version: building (go install $module@$version; first time only, 1-4 min)"
    local log="$CACHE/tools/$name-$version.log" started=$SECONDS
    mkdir -p "$dir.tmp"
    if ! CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$dir.tmp" \
        go install -trimpath -ldflags "$ldflags" "$module@$version" >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "building $name $version failed (full log: $log); check that the Go module proxy is reachable"
    fi
    rm -rf "$dir" && mv "$dir.tmp" "$dir"   # publish atomically: a killed build leaves no half tool
    say "$name $version: built in $((SECONDS - started)) s"
    record "go-install-$name" "$((SECONDS - started))"
  fi
  # shellcheck disable=SC2034  # read by the scripts that call go_tool
  LAST_TOOL="$binary"
}

# with_lock NAME: serialize concurrent runs of the same step (flock on a cache file).
with_lock() {
  mkdir -p "$CACHE"
  exec {LOCKFD}>"$CACHE/.$1.lock"
  flock "$LOCKFD"
}

# Debian packages (root; the machine's own apt sources).
export DEBIAN_FRONTEND=noninteractive
apt_ready=""
apt_update_once() {
  [[ -n "$apt_ready" ]] && return
  say "apt-get update"
  mkdir -p "$CACHE/logs"
  apt-get update -qq >"$CACHE/logs/apt-update.log" 2>&1 || fail_log "apt-get update failed" "$CACHE/logs/apt-update.log"
  apt_ready=1
}
# apt_install PKG...: installs missing Debian packages without starting their services.
# A PKG=VERSION argument installs exactly that version unless it is the one installed.
apt_install() {
  local missing=() p
  for p in "$@"; do
    if [[ "$p" == *=* ]]; then
      [[ "$(dpkg-query -W -f '${Version}' "${p%%=*}" 2>/dev/null)" == "${p#*=}" ]] || missing+=("$p")
    else
      dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    fi
  done
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
