"""Two holders of one login (a pod and a laptop, or two pods), measured with the REAL Claude Code
against the fake token endpoint: the measured reason for one holder per login."""
from __future__ import annotations

import pytest

from claude_sandbox import login
from fake_anthropic import REPLY_TEXT, Switches
from lifecycle_fixtures import (EXPIRED, LONG_LIVED, endpoint, holder, refresh_outcomes,  # noqa: F401
                                tls)


@pytest.mark.parametrize("endpoint,revocation", [
    (Switches(access_lifetime_s=LONG_LIVED, revoke_family_on_reuse=True), True),
    (Switches(access_lifetime_s=LONG_LIVED), False)], indirect=["endpoint"], ids=["family-revocation", "single-use-only"])
def test_two_holders_of_one_login(endpoint, holder, revocation):
    """The same login in the pod and on a laptop (or in two pods): the fake sees the second holder
    present a spent refresh token; with family revocation on, the first holder loses the login too.
    The measured reason for one holder."""
    seed = login("two", EXPIRED)
    endpoint.authority.enroll(seed)
    pod, laptop = holder("pod", seed), holder("laptop", seed)
    spent = endpoint.fp(seed["claudeAiOauth"]["refreshToken"])

    assert pod.task().code == 0                       # refreshes, keeps the new pair
    pods_pair = pod.refresh_fp()
    laptop_task = laptop.task()                       # presents the pair the pod already spent
    assert (spent, "reused") in refresh_outcomes(endpoint)
    assert laptop_task.code == 1
    assert "OAuth session expired and could not be refreshed" in laptop_task.out + laptop_task.err
    # After the refusal Claude Code rewrote the laptop's file: `auth status` now says logged out.
    code, status = laptop.auth_status()
    assert code == 1 and status["loggedIn"] is False

    pod_again = pod.task()
    if revocation:
        assert (pods_pair, "revoked") in refresh_outcomes(endpoint)
        assert pod_again.code == 1
        assert pod.auth_status()[1]["loggedIn"] is False
    else:
        assert pod_again.code == 0 and REPLY_TEXT in pod_again.out
