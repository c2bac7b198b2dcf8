#!/usr/bin/env python3
"""A BROWSER stand-in for `claude auth login` against the fake endpoint (tests/fake_anthropic.py).

Claude Code opens its sign-in URL with $BROWSER; that URL carries `redirect_uri` (the CLI's local
listener, http://localhost:PORT/callback) and `state`. This program does what a person approving
the sign-in would: it sends a code and that state to the callback, from a child process after it
returned (the CLI waits for the browser command to exit before it listens for the answer).
The code is fake_anthropic.BROWSER_CODE, which the fake takes as it is. Standard library only.
Logs the URL to $FAKE_BROWSER_LOG when set (it holds no secret: a PKCE challenge and a state).
"""
from __future__ import annotations

import os
import sys
import time
import urllib.parse
import urllib.request


def main(url: str) -> int:
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    if os.environ.get("FAKE_BROWSER_LOG"):
        with open(os.environ["FAKE_BROWSER_LOG"], "a", encoding="utf-8") as log:
            log.write(url + "\n")
    if "redirect_uri" not in query or "state" not in query:
        print(f"fake browser: no redirect_uri/state in {url[:80]}", file=sys.stderr)
        return 1
    if os.fork():
        return 0
    time.sleep(0.3)
    callback = query["redirect_uri"][0] + "?" + urllib.parse.urlencode({"code": "FAKE-code", "state": query["state"][0]})
    try:
        urllib.request.urlopen(callback, timeout=20).read()
    except OSError as exc:  # the CLI's own output says what went wrong; this is for the log
        print(f"fake browser: callback failed: {exc}", file=sys.stderr)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
