"""The redact module: tokens keep their family prefix, encoded credentials vanish whole."""
import base64

import pytest

from aifactory_policy.redact import REDACTED_B64, RedactingWriter, redact
from fake_credentials import FAKE_ACCESS, FAKE_REFRESH, fake_credentials_b64, fake_credentials_json, leaked


def test_token_keeps_prefix():
    assert redact(f"token: {FAKE_ACCESS} end") == "token: sk-ant-oat01-…[REDACTED] end"
    assert redact(FAKE_REFRESH) == "sk-ant-ort01-…[REDACTED]"
    assert redact("sk-ant-api03-FAKEkey") == "sk-ant-api03-…[REDACTED]"


def test_credentials_json_loses_both_tokens():
    out = redact(fake_credentials_json())
    assert not leaked(out)
    assert "claudeAiOauth" in out and "sk-ant-oat01-…[REDACTED]" in out


@pytest.mark.parametrize("prefix", ["", "x", "xy"])
def test_base64_of_token_at_any_alignment(prefix):
    blob = base64.b64encode(f"{prefix}token={FAKE_ACCESS}".encode()).decode()
    assert redact(f"data: {blob}") == f"data: {REDACTED_B64}"


def test_base64_credentials_json_and_urlsafe():
    assert redact(fake_credentials_b64()) == REDACTED_B64
    urlsafe = base64.urlsafe_b64encode(fake_credentials_json().encode()).decode()
    assert redact(urlsafe) == REDACTED_B64


def test_innocent_text_untouched():
    text = "image: ghcr.io/aifactory/agent-service@sha256:" + "a" * 64 + " aGVsbG8gd29ybGQgaGVsbG8="
    assert redact(text) == text


def test_writer_redacts(capsys):
    import sys
    w = RedactingWriter(sys.stdout)
    print(f"leak {FAKE_ACCESS}", file=w)
    assert not leaked(capsys.readouterr().out)
