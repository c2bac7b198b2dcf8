"""A login's end (`claudeAiOauth.refreshTokenExpiresAt`), measured with the REAL Claude Code against
the fake token endpoint (tests/fake_anthropic.py), offline.

What the pinned CLI was measured to do (docs/facts.md, "A login's end"):
- `claude auth login` always stores `refreshTokenExpiresAt`: now + the endpoint's
  `refresh_token_expires_in`, or now + 30 days (the CLI's own default) when the endpoint sends none;
- a refresh keeps the EARLIER of the stored end and the announced one, and a login stored
  without the field never gains it (so a hand-made or older login stays "unknown" for good);
- within 10 days of the end `claude -p` warns on stderr, `auth status` reports `loginExpiresAt`;
- past the end the endpoint refuses the refresh: the task exits 1, the file keeps the end but
  loses both tokens, and the CLI asks nothing more of the endpoint.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from claude_sandbox import ClaudeHome, login
from fake_anthropic import MESSAGES_PATH, REPLY_TEXT, Switches
from lifecycle_fixtures import EXPIRED, LONG_LIVED, endpoint, holder, tls  # noqa: F401

DAY = 86400
BROWSER = str(Path(__file__).with_name("fake_browser.py"))


def oauth(home: ClaudeHome) -> dict:
    return home.login()["claudeAiOauth"]


def days_from(ms: int, t0: float) -> float:
    return (ms / 1000 - t0) / DAY


def signed_in(claude_cli, endpoint, where: Path) -> tuple[ClaudeHome, float]:
    """`claude auth login` in an empty HOME, the fake browser approving the sign-in."""
    home = ClaudeHome(claude_cli, endpoint, where)
    (home.root / "workspace").mkdir(parents=True)
    t0 = time.time()
    r = home.run("auth", "login", env={"BROWSER": BROWSER}, timeout=30)
    assert r.code == 0 and "Login successful" in r.out, (r.code, r.out, r.err)
    return home, t0


@pytest.mark.parametrize("endpoint,days", [
    (Switches(family_lifetime_s=30 * DAY), 30),
    (Switches(family_lifetime_s=12 * DAY), 12),
    (Switches(), 30),      # nothing announced: Claude Code's own default
], indirect=["endpoint"], ids=["announced-30d", "announced-12d", "not-announced"])
def test_sign_in_stores_the_login_end(claude_cli, endpoint, tmp_path, days):
    home, t0 = signed_in(claude_cli, endpoint, tmp_path / "login")
    [exchange] = endpoint.authority.logins()
    assert exchange["status"] == 200
    stored = oauth(home)
    assert days_from(stored["refreshTokenExpiresAt"], t0) == pytest.approx(days, abs=0.001)
    assert stored["refreshToken"] and stored["scopes"] == ["user:inference", "user:profile", "user:sessions:claude_code"]


@pytest.mark.parametrize("endpoint,seeded,announced,kept", [
    (Switches(family_lifetime_s=30 * DAY), None, 30, None),     # never gains one
    (Switches(family_lifetime_s=30 * DAY), 20, 30, 20),         # the earlier one stays
    (Switches(family_lifetime_s=10 * DAY), 20, 10, 10),         # ... whichever it is
    (Switches(family_lifetime_s=30 * DAY, announce_family_end=False), 20, None, 20),
], indirect=["endpoint"], ids=["no-end-stored", "stored-earlier", "announced-earlier", "not-announced"])
def test_a_refresh_keeps_the_earlier_end(endpoint, holder, seeded, announced, kept):
    """The earlier measurement ("2.1.330 stored no refreshTokenExpiresAt after a refresh") is the
    first case: its seed had none, and a refresh never adds one, whatever the endpoint says."""
    seed = login("end", EXPIRED)
    if seeded is not None:
        seed["claudeAiOauth"]["refreshTokenExpiresAt"] = int((time.time() + seeded * DAY) * 1000)
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed)
    t0 = time.time()
    code, status = agent.auth_status()
    assert code == 0 and status["loggedIn"] is True
    [refresh] = endpoint.refreshes()
    assert refresh["outcome"] == "issued"
    if announced is None:
        assert "refresh_token_expires_in" not in refresh
    else:
        assert refresh["refresh_token_expires_in"] / DAY == pytest.approx(announced, abs=0.001)
    after = oauth(agent)
    assert after["refreshToken"] != seed["claudeAiOauth"]["refreshToken"]
    if kept is None:
        assert "refreshTokenExpiresAt" not in after
        assert status["loginExpiresAt"] is None
    else:
        assert days_from(after["refreshTokenExpiresAt"], t0) == pytest.approx(kept, abs=0.001)


@pytest.mark.parametrize("left_days,warned", [(5, "ends between"), (0.5, "can end at any time"), (20, None)],
                         ids=["5d", "12h", "20d"])
def test_claude_warns_within_ten_days_of_the_end(endpoint, holder, left_days, warned):
    """Claude Code's own warning (stderr of `claude -p`, text output): from 10 days before the
    stored end, which it reads as the latest end, 3 days after the earliest."""
    seed = login("warn", LONG_LIVED)
    end_ms = int((time.time() + left_days * DAY) * 1000)
    seed["claudeAiOauth"]["refreshTokenExpiresAt"] = end_ms
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed)
    task = agent.task()
    assert task.code == 0 and REPLY_TEXT in task.out
    if warned:
        assert f"Warning: this sign-in {warned}" in task.err and "Renewing it does not move" in task.err, task.err
    else:
        assert "sign-in" not in task.err, task.err
    text = agent.run("auth", "status", "--text")
    end_iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(end_ms / 1000))
    assert "Sign-in ends:" in text.out and end_iso in text.out, text.out
    _, status = agent.auth_status()
    assert status["loginExpiresAt"].startswith(end_iso)
    assert endpoint.refreshes() == []


@pytest.mark.parametrize("endpoint", [Switches(family_lifetime_s=30 * DAY)], indirect=True)
@pytest.mark.parametrize("stored_end", [True, False], ids=["end-stored", "no-end-stored"])
def test_past_the_end_the_refresh_is_refused_and_the_login_is_gone(endpoint, holder, stored_end):
    """The family has ended at the endpoint and the access token has expired: Claude Code asks for
    a refresh (a stored end in the past does not stop it from trying), is refused, blanks both
    tokens in its file (the trace the write-back sidecar and the broker read), and fails the task
    without calling the API; later processes ask nothing more."""
    seed = login("ended", EXPIRED)
    if stored_end:
        seed["claudeAiOauth"]["refreshTokenExpiresAt"] = int((time.time() - 60) * 1000)
    endpoint.authority.enroll(seed)
    for family in endpoint.authority.families.values():
        family.ends_at = time.time() - 60
    agent = holder("agent", seed)
    task = agent.task()
    assert task.code == 1, (task.code, task.out, task.err)
    assert "OAuth session expired and could not be refreshed" in task.out
    assert [r["outcome"] for r in endpoint.refreshes()] == ["family-ended"]
    assert not [r for r in endpoint.authority.records if r["path"] == MESSAGES_PATH]
    after = oauth(agent)
    assert (after["accessToken"], after["refreshToken"], after["expiresAt"]) == ("", "", 0)
    assert after.get("refreshTokenExpiresAt") == seed["claudeAiOauth"].get("refreshTokenExpiresAt")
    code, status = agent.auth_status()
    assert (code, status["loggedIn"], status["authMethod"]) == (1, False, "none")
    text = agent.run("auth", "status", "--text")
    assert "Expired" in text.out and "log in again" in text.out
    assert len(endpoint.refreshes()) == 1, "a later process asked for a refresh again"


def test_a_refresh_with_a_stored_end_in_the_past_is_still_tried(endpoint, holder):
    """Claude Code does not judge the end itself: it refreshes, and keeps the (past) end."""
    seed = login("past", EXPIRED)
    end = int((time.time() - DAY) * 1000)
    seed["claudeAiOauth"]["refreshTokenExpiresAt"] = end
    endpoint.authority.enroll(seed)
    agent = holder("agent", seed)
    task = agent.task()
    assert task.code == 0 and REPLY_TEXT in task.out
    assert "Warning: this sign-in may have ended" in task.err
    assert [r["outcome"] for r in endpoint.refreshes()] == ["issued"]
    assert oauth(agent)["refreshTokenExpiresAt"] == end
    assert json.loads(agent.credentials.read_text())["claudeAiOauth"]["refreshToken"]


@pytest.mark.parametrize("endpoint", [Switches()], indirect=True, ids=["not-announced"])
def test_credentials_login_records_the_end_claude_code_stored(claude_cli, endpoint, tmp_path, monkeypatch, capfd):
    """`aifactory-policy credentials login` runs the real `claude auth login` (its own fresh
    CLAUDE_CONFIG_DIR, the fake browser approving): the Secret carries the end Claude Code stored,
    and `credentials status` reads it back."""
    import shlex
    from aifactory_policy.cli import main
    from aifactory_policy.commands import credentials as creds_cli
    from claude_sandbox import _IN_NAMESPACE, clean_environ
    from fake_kube_and_tools import NS, FakeKube
    kube = FakeKube()
    monkeypatch.setattr(creds_cli, "_api_kube", lambda args: kube)
    for k in set(os.environ) - set(clean_environ()):   # nothing that gives Claude Code another identity
        monkeypatch.delenv(k)
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(endpoint.ca))
    monkeypatch.setenv("BROWSER", BROWSER)
    wrapper = tmp_path / "claude"   # the CLI in a mount namespace whose /etc/hosts names the fake
    wrapper.write_text("#!/bin/sh\nexec unshare -m sh -c " + shlex.quote(_IN_NAMESPACE) + " sh "
                       + f"{shlex.quote(str(endpoint.hosts_file))} /nonexistent 0 {shlex.quote(claude_cli)} \"$@\"\n")
    wrapper.chmod(0o755)
    t0 = time.time()
    code = main(["credentials", "login", "--install", "aifactory", "-n", NS, "--claude", str(wrapper)])
    out = capfd.readouterr()
    assert code == 0, out.err
    assert "sk-ant-" not in out.out + out.err
    [exchange] = endpoint.authority.logins()
    assert exchange["status"] == 200 and "refresh_token_expires_in" not in exchange
    stored = json.loads(kube.secret_json(NS, "claude-remote-credentials")["credentials.json"])["claudeAiOauth"]
    assert days_from(stored["refreshTokenExpiresAt"], t0) == pytest.approx(30, abs=0.01)
    end_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stored["refreshTokenExpiresAt"] / 1000))
    ann = kube.secrets[(NS, "claude-remote-credentials")]["metadata"]["annotations"]
    assert ann["aifactory.dev/refresh-token-expires-at"] == end_iso
    assert f"login ends: {end_iso} (in 29 days" in out.err
    assert main(["credentials", "status", "-n", NS, "--format", "json"]) == 0
    row = json.loads(capfd.readouterr().out)["installs"][0]
    assert row["loginEndsAt"] == end_iso and row["loginEndState"] == "ok"
