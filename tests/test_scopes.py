"""credentials/scopes.py: the one scope check every command uses (renew calls it too)."""
from __future__ import annotations

import pytest

from aifactory_policy.credentials import scopes


@pytest.mark.parametrize("given,refused,warned", [
    (["user:inference", "user:profile", "user:sessions:claude_code"], None, False),
    (["user:inference", "user:profile"], None, True),
    (["user:profile", "user:sessions:claude_code"], "requires a claude.ai subscription", False),
    (["user:inference", "user:sessions:claude_code"], "requires a full-scope login token", False),
    ([], "requires a claude.ai subscription", False),
])
def test_check(given, refused, warned):
    checked = scopes.check(given)
    if refused:
        assert refused in checked.refusal and checked.warnings == ()
    else:
        assert checked.refusal is None
    assert bool(checked.warnings) is warned
    assert checked.ok is (refused is None and not warned)
    if warned:
        [w] = checked.warnings
        assert "user:sessions:claude_code" in w and "reported" in w and "Fix:" in w


def test_sessions_warning_names_the_scopes_it_saw():
    assert scopes.sessions_warning(["user:inference", "user:profile", "user:sessions:claude_code"]) is None
    assert "['user:inference']" in scopes.sessions_warning(("user:inference",))
