"""The token lifecycle of one holder, measured with the REAL Claude Code against a fake Anthropic
token endpoint (tests/fake_anthropic.py, fixtures in tests/lifecycle_fixtures.py).

No simulated write anywhere: the pinned CLI refreshes (or fails to) by itself; the fake endpoint
only answers and records, and enforces single-use refresh tokens as the real server is reported to.
- a writable in-pod file (writeBack's copy): Claude Code keeps every new pair, no refresh token is
  presented twice;
- the seed's read-only mount (readOnly, and ownedCopy's read-only copy): fine while the stored
  access token is valid; from its expiry on, every task fails (it refreshes, cannot keep the pair,
  and calls the API with the expired token from the file), whatever the server does with refresh
  tokens.
Two holders: tests/test_token_holders.py; the helm test probe: tests/test_helm_test_probe.py.
"""
from __future__ import annotations

import pytest

from claude_sandbox import login
from fake_anthropic import MESSAGES_PATH, REPLY_TEXT, Switches
from lifecycle_fixtures import (EXPIRED, LONG_LIVED, SHORT_LIVED, endpoint, holder, refresh_outcomes,  # noqa: F401
                                tls)


@pytest.mark.parametrize("endpoint", [Switches(access_lifetime_s=SHORT_LIVED)], indirect=True, ids=["240s-tokens"])
def test_writable_file_keeps_every_new_pair_and_never_reuses_a_refresh_token(endpoint, holder):
    seed = login("rw", EXPIRED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed)
    inode = agent.credentials.stat().st_ino

    for _ in range(2):   # two tasks, several expiries each
        task = agent.task()
        assert task.code == 0 and REPLY_TEXT in task.out, (task.code, task.out, task.err)

    refreshes = endpoint.refreshes()
    assert len(refreshes) >= 3, "Claude Code did not refresh at each expiry"
    assert refreshes[0]["refresh"] == endpoint.fp(seed["claudeAiOauth"]["refreshToken"])
    assert all(r["outcome"] == "issued" for r in refreshes), refresh_outcomes(endpoint)
    presented = [r["refresh"] for r in refreshes]
    assert len(presented) == len(set(presented)), "a refresh token was presented twice"
    # Each refresh presents the pair the previous one issued: a chain, as Claude Code kept them.
    assert presented[1:] == [r["issued_refresh"] for r in refreshes[:-1]]
    # Claude Code replaced the file (write elsewhere, rename) with the newest pair, mode 0600.
    assert agent.refresh_fp() == refreshes[-1]["issued_refresh"]
    assert agent.credentials.stat().st_ino != inode
    assert agent.credentials.stat().st_mode & 0o777 == 0o600


def test_read_only_mount_works_until_the_access_token_in_the_secret_expires(endpoint, holder):
    """Before expiry the seed's mount is fine: the task uses the stored access token, no refresh."""
    seed = login("ro-valid", LONG_LIVED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed, read_only=True)
    task = agent.task()
    assert task.code == 0 and REPLY_TEXT in task.out, (task.code, task.out)
    assert endpoint.refreshes() == []


@pytest.mark.parametrize("endpoint", [Switches(access_lifetime_s=LONG_LIVED),
                                      Switches(access_lifetime_s=LONG_LIVED, single_use=False)],
                         indirect=True, ids=["single-use", "reusable-refresh-tokens"])
def test_read_only_mount_fails_the_first_task_after_the_access_token_expired(endpoint, holder):
    """The seed's mount (subPath + readOnly) once the stored access token has expired. Measured with
    2.1.330: the task refreshes, cannot keep the pair, and calls the API with the EXPIRED token it
    reads again from the file, so it exits 1 on the 401 whatever the server does with refresh
    tokens (the reusable-refresh-tokens case shows it is not the server's single use). Under single
    use the spent refresh token is presented again as well."""
    seed = login("ro", EXPIRED)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed, read_only=True)
    spent = endpoint.fp(seed["claudeAiOauth"]["refreshToken"])
    stale = endpoint.fp(seed["claudeAiOauth"]["accessToken"])
    before = agent.credentials.read_bytes()

    task = agent.task()
    assert task.code == 1, (task.code, task.out, task.err)
    assert "Failed to authenticate" in task.out and "401" in task.out, task.out
    assert refresh_outcomes(endpoint)[0] == (spent, "issued")
    calls = [(r["access"], r["outcome"]) for r in endpoint.authority.records if r["path"] == MESSAGES_PATH]
    assert calls and set(calls) == {(stale, "expired")}, calls
    if endpoint.authority.switches.single_use:
        assert (spent, "reused") in refresh_outcomes(endpoint)
    else:
        assert {o for _, o in refresh_outcomes(endpoint)} == {"issued"}
    assert agent.credentials.read_bytes() == before, "the read-only file changed"
    code, status = agent.auth_status()
    # ...while `auth status` still says logged in (it cannot mark the read-only file): no liveness check.
    assert code == 0 and status["loggedIn"] is True and status["authMethod"] == "claude.ai"
