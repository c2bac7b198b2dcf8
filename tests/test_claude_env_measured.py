"""policies/claude_code.json, the one list of environment variables that matter to Remote Control,
checked against the REAL Claude Code: each entry is what the pinned CLI does, measured here.

`claude remote-control --name t` runs with a valid full-scope login, the state Remote Control wants,
and the fake Anthropic endpoint reachable (so "reached the network" is not mistaken for a refusal):
- every `refuses` entry (and a foreign ANTHROPIC_BASE_URL, and the two scrubbed token variables)
  stops it, exit 1, with the message the data file quotes, before any token request;
- every `not_refused` entry goes on past the local checks: the fake sees Remote Control register its
  environment (POST /v1/environments/bridge), so it does not belong on the refusal list;
- the `second_holders` are not refusals either (their finding is about holding the login twice).
The chart guard, the probe and AIF003 read the same file (the chart through ci/rule_data.py).
"""
from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time

import pytest

import throwaway_ca
from claude_sandbox import ClaudeHome, login, require_root, start_endpoint
from fake_anthropic import Switches
from helpers import REPO

KNOWN = json.loads((REPO / "policies" / "claude_code.json").read_text())["claude_code"]["remote_control_env"]
BRIDGE = "/v1/environments/bridge"
FEATURE_FLAGS_UNREACHABLE = "feature-flag service was unreachable"


# A value of the right shape where "1" would not be one; every other variable is set to "1".
VALUES = {"ANTHROPIC_UNIX_SOCKET": "/tmp/none.sock", "ANTHROPIC_API_KEY": "sk-ant-api03-FAKEkeyFORtests",
          "ANTHROPIC_BASE_URL": "https://proxy.example.invalid",
          "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat01-FAKEenvTOKENforTESTS",
          "ANTHROPIC_AUTH_TOKEN": "sk-ant-oat01-FAKEenvTOKENforTESTS",
          "CLAUDE_CODE_OAUTH_REFRESH_TOKEN": "sk-ant-ort01-FAKEenvREFRESHforTESTS",
          "CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR": "9"}


def _cases() -> list[tuple[str, str, str]]:
    """(variable, value, the refusal text expected or "" for none)."""
    refusing = KNOWN["refuses"] + [KNOWN["base_url"]] + KNOWN["scrubbed_tokens"]
    cases = [(r["name"], VALUES.get(r["name"], "1"), r["says"]) for r in refusing]
    return cases + [(h["name"], VALUES.get(h["name"], "1"), "") for h in KNOWN["second_holders"]]


def _remote_control(home: ClaudeHome, name: str, value: str) -> tuple[int | None, str, bool]:
    """(exit code or None if still running, stderr, whether the fake saw the bridge registration).
    A run that passes the local checks keeps going (it registers, then polls): it is stopped once
    the fake has seen the registration, or after 60 s (a loaded machine once took over 20 s to reach
    the feature-flag stop; a run that ends or registers sooner returns at once)."""
    seen_before = len(home.endpoint.authority.records)
    proc = subprocess.Popen(home.argv("remote-control", "--name", "t"), env=home.environment({name: value}), cwd=home.root / "workspace",
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    bridged = False
    while proc.poll() is None and time.monotonic() < deadline:
        bridged = any(r["path"] == BRIDGE for r in home.endpoint.authority.records[seen_before:])
        if bridged:
            break
        time.sleep(0.1)
    code = proc.poll()
    if code is None:
        proc.kill()
    _, err = proc.communicate(timeout=30)
    bridged = bridged or any(r["path"] == BRIDGE for r in home.endpoint.authority.records[seen_before:])
    return code, err, bridged


@pytest.fixture(scope="module")
def measured(claude_cli, tmp_path_factory) -> dict:
    """One real run per variable (two at a time), against one fake endpoint."""
    require_root()
    base = tmp_path_factory.mktemp("claude-env")
    endpoint = start_endpoint(base, throwaway_ca.make(base / "ca"), Switches())
    todo = _cases() + [(n["name"], "1", "") for n in KNOWN["not_refused"]]

    def one(case):
        name, value, _ = case
        seed = login(f"env-{name}", 3600)
        endpoint.authority.enroll(seed)
        home = ClaudeHome(claude_cli, endpoint, base / name).seed(seed)
        return name, _remote_control(home, name, value)

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            return dict(pool.map(one, todo))
    finally:
        endpoint.server.stop()


@pytest.mark.parametrize("name,value,says", [c for c in _cases() if c[2]], ids=lambda v: v if v.isupper() else "")
def test_each_listed_variable_stops_remote_control_with_the_quoted_message(measured, name, value, says):
    code, err, bridged = measured[name]
    assert code == 1 and says in err, f"{name}: exit {code}, stderr {err[:400]!r}"
    assert not bridged
    assert "FAKE" not in err


@pytest.mark.parametrize("name", [n["name"] for n in KNOWN["not_refused"]] + [h["name"] for h in KNOWN["second_holders"]])
def test_unlisted_variables_do_not_stop_remote_control(measured, name):
    code, err, bridged = measured[name]
    assert "Remote Control is only available" not in err and "Remote Control requires" not in err, err[:400]
    if name in {n["name"] for n in KNOWN["not_refused"]}:
        # the observation the data file records: past every local check, registering the environment
        assert bridged, f"{name}: Claude Code did not reach {BRIDGE} (exit {code}, {err[:300]!r})"
    else:
        # with nothing else set, this fake stops Remote Control at its feature flags, as with no variable
        assert code == 1 and FEATURE_FLAGS_UNREACHABLE in err, (code, err[:400])


@pytest.fixture(scope="module")
def measured_access_only(claude_cli, tmp_path_factory) -> dict:
    """The broker-mode agent's case: a login with no refreshToken (what the receiver writes), each
    `refuses_access_only` variable set, and one run with none of them as the control."""
    require_root()
    base = tmp_path_factory.mktemp("claude-env-access-only")
    endpoint = start_endpoint(base, throwaway_ca.make(base / "ca"), Switches())
    out = {}
    try:
        for name in [r["name"] for r in KNOWN["refuses_access_only"]] + ["(none)"]:
            seed = login(f"access-only-{name.strip('()')}", 3600)
            endpoint.authority.enroll(seed)
            seed["claudeAiOauth"].pop("refreshToken")
            home = ClaudeHome(claude_cli, endpoint, base / name.strip("()")).seed(seed)
            out[name] = _remote_control(home, "AIFACTORY_UNUSED" if name == "(none)" else name, "1")
    finally:
        endpoint.server.stop()
    return out


@pytest.mark.parametrize("entry", KNOWN["refuses_access_only"], ids=lambda e: e["name"])
def test_with_an_access_only_login_these_stop_remote_control(measured_access_only, entry):
    code, err, bridged = measured_access_only[entry["name"]]
    assert code == 1 and entry["says"] in err and not bridged, (code, err[:400])
    control_code, control_err, _ = measured_access_only["(none)"]
    assert entry["says"] not in control_err and "Remote Control requires a full-scope" not in control_err, control_err[:400]
