# Static busybox from Debian's busybox-static package, unpacked in the cache (sourced).
# shellcheck shell=bash
# busybox_static: prints the path of the static busybox binary (downloads the .deb once).
busybox_static() {
  local dir="$CACHE/debs/busybox-static"
  if [[ ! -x "$dir/bin/busybox" ]]; then
    mkdir -p "$CACHE/debs"
    ( cd "$CACHE/debs" && rm -f busybox-static_*.deb &&
      { apt-get download busybox-static >"$CACHE/debs/busybox.log" 2>&1 ||
        { apt-get update -qq >>"$CACHE/debs/busybox.log" 2>&1 && apt-get download busybox-static >>"$CACHE/debs/busybox.log" 2>&1; }; } ) ||
      fail_log "apt-get download busybox-static failed" "$CACHE/debs/busybox.log"
    rm -rf "$dir.tmp"; dpkg-deb -x "$CACHE"/debs/busybox-static_*.deb "$dir.tmp"
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  echo "$dir/bin/busybox"
}
busybox_version() {
  local out; out="$("$(busybox_static)" 2>&1 || true)"   # no pipe into head: SIGPIPE + pipefail
  out="${out%%$'\n'*}"; out="${out#BusyBox v}"; out="${out%% *}"
  echo "${out//[^A-Za-z0-9_.-]/_}"
}
