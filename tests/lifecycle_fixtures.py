"""Fixtures of the offline token-lifecycle tests: a fake Anthropic endpoint per test (its switches
by indirect parametrisation) and holders of a login (ClaudeHome) talking to it."""
from __future__ import annotations

import pytest

import throwaway_ca
from claude_sandbox import ClaudeHome, require_root, start_endpoint
from fake_anthropic import Switches

EXPIRED = -3600        # the access token expired an hour ago
LONG_LIVED = 3600      # the fake's access tokens by default: one refresh per expiry, as in real use
# Inside Claude Code's ~5-minute refresh margin: a process refreshes at (nearly) every API call,
# so a few tasks go through many expiries. With a read-only file this fails within the first task.
SHORT_LIVED = 240


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> throwaway_ca.Bundle:
    return throwaway_ca.make(tmp_path_factory.mktemp("fake-anthropic-ca"))


@pytest.fixture
def endpoint(tls, tmp_path, request):
    """A fake Anthropic endpoint for this test; switches by indirect parametrisation or defaults."""
    require_root()
    switches = getattr(request, "param", None) or Switches(access_lifetime_s=LONG_LIVED)
    ep = start_endpoint(tmp_path, tls, switches)
    yield ep
    ep.server.stop()


@pytest.fixture
def holder(claude_cli, endpoint, tmp_path):
    """Factory: holder(name, login, read_only=False) -> a seeded ClaudeHome."""
    def make(name: str, content: dict, read_only: bool = False) -> ClaudeHome:
        return ClaudeHome(claude_cli, endpoint, tmp_path / name, read_only=read_only).seed(content)
    return make


def refresh_outcomes(endpoint) -> list[tuple[str, str]]:
    return [(r["refresh"], r["outcome"]) for r in endpoint.refreshes()]
