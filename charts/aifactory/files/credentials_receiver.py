#!/usr/bin/env python3
"""credentials-receiver: writes the broker's access-token-only login into an agent pod, in milliseconds.

Runs beside each agent (a native sidecar) with an API token mounted in it alone. It watches one
Secret, the install's access Secret, and on every change writes its key into the agent's credentials
file by atomic rename, mode 0440 (the agent reads it through a read-only mount; Claude Code re-reads
the file on a 401 and takes the new token without a restart, measured). It never writes a refresh
token: a value that holds one is written without it, and said so.

  --once: write the file from the current Secret (waiting up to --wait for one), then exit.
Logs one line per file written, with the access token's expiry and the write time (never a token).
Standard library only; shares the API client with credentials_writeback.py (same ConfigMap).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.parse
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credentials_writeback as wb  # noqa: E402  (beside this file in the ConfigMap)

wb.LOG_NAME = "credentials-receiver"
log = wb.log
PUBLISHED_AT = "aifactory.dev/published-at"


def access_login(raw: Optional[bytes]) -> tuple[Optional[bytes], str]:
    """(file content, "") for a usable access-only login, else (None, why not)."""
    if not raw:
        return None, "the access Secret holds no login yet (is the broker running?)"
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "not valid JSON"
    oauth = doc.get("claudeAiOauth") if isinstance(doc, dict) else None
    if not isinstance(oauth, dict) or not isinstance(oauth.get("accessToken"), str) or not oauth["accessToken"]:
        return None, "no claudeAiOauth.accessToken"
    if isinstance(oauth.get("expiresAt"), bool) or not isinstance(oauth.get("expiresAt"), int):
        return None, "expiresAt is not an integer"
    if "refreshToken" in oauth or "refreshTokenExpiresAt" in oauth:
        log("the access Secret holds a refresh token: writing the login WITHOUT it (the agent must never hold one)")
        oauth = {k: v for k, v in oauth.items() if k not in ("refreshToken", "refreshTokenExpiresAt")}
    return json.dumps({"claudeAiOauth": oauth}, sort_keys=True).encode(), ""


class Receiver:
    def __init__(self, client: wb.SecretClient, key: str, path: str):
        self.client, self.key, self.path = client, key, path
        self.written: Optional[bytes] = wb.read_file(path)
        self._last = ""

    def say(self, message: str) -> None:
        if message != self._last:
            log(message)
            self._last = message

    def apply(self, secret: dict) -> bool:
        """Writes the file when the Secret holds a new usable login; True when it did."""
        content, why = access_login(wb.secret_value(secret, self.key))
        if content is None:
            self.say(f"not writing: {why}")
            return False
        if content == self.written:
            return False
        tmp = f"{self.path}.receiver-tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o440)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o440)  # the umask may have taken the group bit
        os.replace(tmp, self.path)
        self.written = content
        expires = json.loads(content)["claudeAiOauth"]["expiresAt"]
        published = ((secret.get("metadata") or {}).get("annotations") or {}).get(PUBLISHED_AT, "?")
        self.say(f"wrote {self.path}: access token expires {wb.expiry_text(expires)}; "
                 f"published {published}; written {time.time():.3f}")
        return True

    def watch(self, resource_version: str, timeout_s: int) -> str:
        """Applies every change until the watch ends; returns the last resourceVersion seen."""
        query = "?" + urllib.parse.urlencode({
            "fieldSelector": f"metadata.name={self.client.name}", "watch": "true",
            "resourceVersion": resource_version, "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout_s)})
        with self.client.open("GET", url=self.client.collection, query=query, timeout=timeout_s + 10) as stream:
            for line in stream:
                event = json.loads(line)
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    raise wb.ApiError(int(obj.get("code") or 0), f"watch: {obj.get('message', '')[:200]}")
                resource_version = (obj.get("metadata") or {}).get("resourceVersion", resource_version)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self.apply(obj)
        return resource_version


def run(args: argparse.Namespace, stop: wb.StopSignal) -> int:
    server = args.api_server or wb._in_cluster_server()
    if not server:
        log("no API server: KUBERNETES_SERVICE_HOST is not set; pass --api-server")
        return 2
    ca = args.ca_file or os.path.join(os.path.dirname(args.token_file), "ca.crt")
    client = wb.SecretClient(server, args.namespace, args.secret, args.token_file, ca)
    receiver = Receiver(client, args.key, args.file)
    log(f"watching Secret {args.namespace}/{args.secret} key {args.key!r} -> {args.file}")
    deadline = time.monotonic() + args.wait
    failures, rv = 0, ""
    while not stop.requested:
        try:
            if not rv:
                secret = client.get()
                receiver.apply(secret)
                rv = (secret.get("metadata") or {}).get("resourceVersion", "")
                if args.once:
                    if receiver.written is not None:
                        return 0
                    if time.monotonic() > deadline:
                        log(f"no access login within {args.wait:.0f}s: is the broker running? "
                            f"(kubectl -n {args.namespace} logs deploy/<release>-credentials-broker)")
                        return 1
                    rv = ""
                    stop.wait(1.0)
                    continue
            rv = receiver.watch(rv, args.watch_seconds)
            failures = 0
        except wb.ApiError as exc:
            failures += 1
            if exc.status == 410:       # resourceVersion too old: list again
                rv = ""
                continue
            rv = ""
            wait = min(0.2 * (2 ** min(failures, 8)), args.max_backoff)
            receiver.say(f"API error (attempt {failures}, retry in {wait:.1f}s): {exc}")
            if stop.wait(wait):
                break
        except (OSError, ValueError) as exc:  # the stream broke mid-way
            rv = ""
            receiver.say(f"watch ended ({exc.__class__.__name__}); listing again")
            if stop.wait(0.2):
                break
    log("stopped")
    return 0


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--secret", required=True, help="the install's access Secret")
    p.add_argument("--key", required=True, help="its key holding the access-only .credentials.json")
    p.add_argument("--file", required=True, help="the file the agent reads")
    p.add_argument("--namespace", required=True)
    p.add_argument("--token-file", required=True, help="service account token, re-read for every request")
    p.add_argument("--ca-file", help="CA bundle of the API server (default: ca.crt beside --token-file)")
    p.add_argument("--api-server", help="API server URL (default: from KUBERNETES_SERVICE_HOST/PORT)")
    p.add_argument("--watch-seconds", type=int, default=300, help="length of one watch request")
    p.add_argument("--max-backoff", type=float, default=10.0, help="longest wait after API errors, seconds")
    p.add_argument("--once", action="store_true", help="write the file once, then exit")
    p.add_argument("--wait", type=float, default=120.0, help="with --once: how long to wait for a login")
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    stop = wb.StopSignal()
    # Nothing to finish on SIGTERM, and a watch blocks in a read that a flag cannot end: exit at once.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    return run(args, stop)


if __name__ == "__main__":
    sys.exit(main())
