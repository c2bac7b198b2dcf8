"""The `env` block of ~/.claude/settings.json, measured with the REAL Claude Code: it is applied to
the session like the process environment, so a provider switch there stops Remote Control with the
same message (AIF003 judges a settings.json mounted under ~/.claude like the container's env).
Same set-up as tests/test_claude_env_measured.py (valid full-scope login, the fake endpoint), with
the variable only in settings.json; the control, a not_refused variable there, registers the bridge."""
from __future__ import annotations

import json

import pytest

import throwaway_ca
from claude_sandbox import ClaudeHome, login, require_root, start_endpoint
from fake_anthropic import Switches
from helpers import REPO
from test_claude_env_measured import BRIDGE, _remote_control

KNOWN = json.loads((REPO / "policies" / "claude_code.json").read_text())["claude_code"]["remote_control_env"]
SAYS = {r["name"]: r["says"] for r in KNOWN["refuses"]}
CASES = {"CLAUDE_CODE_USE_VERTEX": "1", "ANTHROPIC_API_KEY": "sk-ant-api03-FAKEkeyFORtests",
         "ANTHROPIC_BASE_URL": "https://proxy.example.invalid", "DO_NOT_TRACK": "1"}


@pytest.fixture(scope="module")
def measured(claude_cli, tmp_path_factory) -> dict:
    require_root()
    base = tmp_path_factory.mktemp("claude-settings-env")
    endpoint = start_endpoint(base, throwaway_ca.make(base / "ca"), Switches())
    out = {}
    try:
        for name, value in CASES.items():
            seed = login(f"settings-{name}", 3600)
            endpoint.authority.enroll(seed)
            home = ClaudeHome(claude_cli, endpoint, base / name).seed(seed)
            (home.root / ".claude" / "settings.json").write_text(json.dumps({"env": {name: value}}))
            out[name] = _remote_control(home, "AIFACTORY_UNUSED", "1")   # nothing in the process env
    finally:
        endpoint.server.stop()
    return out


@pytest.mark.parametrize("name", ["CLAUDE_CODE_USE_VERTEX", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"])
def test_a_refusing_variable_in_settings_env_stops_remote_control(measured, name):
    code, err, bridged = measured[name]
    says = SAYS.get(name) or KNOWN["base_url"]["says"]
    assert code == 1 and says in err and not bridged, (name, code, err[:400])
    assert "FAKE" not in err


def test_a_harmless_variable_in_settings_env_goes_on_to_register(measured):
    code, err, bridged = measured["DO_NOT_TRACK"]
    assert bridged, f"exit {code}, {err[:300]!r}: Claude Code did not reach {BRIDGE}"
