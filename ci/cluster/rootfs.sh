# Debian root filesystems made with debootstrap, cached (sourced by build-node-image).
# shellcheck shell=bash
# node_rootfs: prints the directory of the node rootfs (debootstrap minbase + node/packages.txt).
node_rootfs() {
  local pkgs key dir log
  pkgs="$(grep -v '^#' "$CLUSTER_DIR/node/packages.txt" | grep . | paste -sd, -)"
  key="$DEBIAN_SUITE-$(printf '%s\n' "$pkgs" "$DEBIAN_MIRROR" "$(declare -f node_rootfs)" | sha256sum | cut -c1-12)"
  dir="$CACHE/node/rootfs-$key"; log="$dir.log"
  if [[ -f "$dir/.complete" ]]; then
    say "node rootfs $key: cached"
  else
    command -v debootstrap >/dev/null || apt_install debootstrap
    say "node rootfs $key: debootstrap $DEBIAN_SUITE minbase (about 1 min; log $log)"
    local t0=$SECONDS
    rm -rf "$dir.tmp"; mkdir -p "$CACHE/node"
    debootstrap --variant=minbase --include="$pkgs" "$DEBIAN_SUITE" "$dir.tmp" "$DEBIAN_MIRROR" >"$log" 2>&1 \
      || fail_log "debootstrap of the node rootfs failed" "$log"
    # Keep the package list of what was built (for the docs and for debugging).
    chroot "$dir.tmp" dpkg-query -W -f '${Package} ${Version}\n' >"$dir.tmp.packages" 2>/dev/null || true
    chroot "$dir.tmp" apt-get clean >/dev/null 2>&1 || true
    rm -rf "$dir.tmp"/var/lib/apt/lists/* "$dir.tmp"/var/cache/apt/*.bin
    touch "$dir.tmp/.complete"
    rm -rf "$dir"; mv "$dir.tmp" "$dir"; mv -f "$dir.tmp.packages" "$dir.packages" 2>/dev/null || true
    say "node rootfs $key: built in $((SECONDS - t0))s ($(du -sh "$dir" | cut -f1))"
    printf '%s node-rootfs %ss\n' "$(date -u +%FT%TZ)" "$((SECONDS - t0))" >>"$CACHE/timings.log"
  fi
  # shellcheck disable=SC2034  # the result: build-node-image, which sources this file, reads it
  NODE_ROOTFS="$dir"
}
